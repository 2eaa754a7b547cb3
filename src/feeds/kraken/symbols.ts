/**
 * Kraken v2 symbols -> Keel canonical ids and the price/qty precision the book checksum needs.
 *
 * Canonical id: registry instruments resolve through `registry.byVenueSymbol('kraken', symbol)`.
 * Any other symbol is already a unified `BASE/QUOTE` pair in v2 (BTC, not XBT), so the id is
 * `kraken:<symbol>` (`MATIC/USD` -> `kraken:MATIC/USD`). Kraken's WebSocket v2 serves spot only.
 *
 * Precision (decimals the venue formats a price/qty with; the checksum re-pads to it because v2
 * JSON numbers lose trailing zeros):
 *   1. an explicit override (`precisions` option), e.g. for symbols outside the registry;
 *   2. registry instruments: fraction digits of `tickSize` / `lotSize` with trailing zeros
 *      ignored (Kraken's `price_increment` is 10^-price_precision, `qty_increment` 10^-qty_precision:
 *      BTC/USD tick 0.1 -> 1, lot 0.00000001 -> 8);
 *   3. otherwise unknown: the book sync discovers it from the first snapshot's checksum
 *      (src/feeds/kraken/checksum.ts `discoverPrecision`).
 */
import type { Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';
import { normalizeDecimal } from '../decimal.js';

export interface KrakenPrecision {
  /** Decimals of prices (`price_precision` in Kraken's instrument channel). */
  readonly price: number;
  /** Decimals of quantities (`qty_precision`). */
  readonly qty: number;
}

/** One symbol seen on the connection. */
export interface KrakenMarket {
  readonly symbol: string;
  /** Canonical id (`kraken:BTC/USD`). */
  readonly id: string;
  readonly instrument: Instrument | undefined;
  /** Undefined until known; set once discovered from a snapshot checksum. */
  precision: KrakenPrecision | undefined;
}

/** Caps the memo so a stream of made-up symbols cannot grow it without bound. */
const MEMO_LIMIT = 4096;
const PAIR = /^[A-Za-z0-9.]{1,20}\/[A-Za-z0-9.]{1,20}$/;

/** Canonical id of a v2 symbol outside the registry, or undefined when it is not a `BASE/QUOTE` pair. */
export function deriveKrakenCanonicalId(symbol: string): string | undefined {
  return PAIR.test(symbol) ? `kraken:${symbol}` : undefined;
}

/** Decimals implied by an increment: "0.1" -> 1, "0.00000001" -> 8, "0.50" -> 1, "1" -> 0. */
export function decimalsOfIncrement(increment: string): number | undefined {
  const n = normalizeDecimal(increment);
  if (n === null || n.startsWith('-')) return undefined;
  const dot = n.indexOf('.');
  if (dot < 0) return 0;
  let end = n.length;
  while (end > dot + 1 && n.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}

export function precisionOfInstrument(instrument: Instrument): KrakenPrecision | undefined {
  const price = decimalsOfIncrement(instrument.spec.tickSize);
  const qty = decimalsOfIncrement(instrument.spec.lotSize);
  return price === undefined || qty === undefined ? undefined : { price, qty };
}

/** Per-connection symbol table. */
export class KrakenSymbols {
  private readonly memo = new Map<string, KrakenMarket>();

  constructor(
    private readonly registry: InstrumentRegistry,
    private readonly overrides: ReadonlyMap<string, KrakenPrecision> = new Map(),
  ) {}

  /** The market for a symbol, or undefined when the symbol is not a Kraken pair. */
  resolve(symbol: string): KrakenMarket | undefined {
    const hit = this.memo.get(symbol);
    if (hit !== undefined) return hit;
    const instrument = this.registry.byVenueSymbol('kraken', symbol);
    const id = instrument?.id ?? deriveKrakenCanonicalId(symbol);
    if (id === undefined) return undefined;
    const precision = this.overrides.get(symbol) ?? (instrument === undefined ? undefined : precisionOfInstrument(instrument));
    const market: KrakenMarket = { symbol, id, instrument, precision };
    // Registry symbols are bounded; only derived ones could grow the memo without limit.
    if (instrument !== undefined || this.memo.size < MEMO_LIMIT) this.memo.set(symbol, market);
    return market;
  }
}
