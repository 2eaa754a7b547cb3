/**
 * OKX instrument ids -> Keel canonical ids.
 *
 * Instruments in the registry resolve through `registry.byVenueSymbol('okx', instId)`. Any other
 * instId is derived from its shape (OKX v5 instId grammar), so `keel parse` works on every symbol:
 *   BASE-QUOTE                      spot        okx:BASE/QUOTE
 *   BASE-QUOTE-SWAP                 perpetual   okx:BASE/QUOTE:SETTLE
 *   BASE-QUOTE-YYMMDD               future      okx:BASE/QUOTE:SETTLE-YYMMDD
 *   BASE-QUOTE-YYMMDD-STRIKE-C|P    option      okx:BASE/QUOTE:SETTLE-YYMMDD-STRIKE-C|P
 * SETTLE is the base coin when QUOTE is USD (OKX "coin-margined": inverse contracts and options),
 * otherwise the quote (USDT-/USDC-margined linear contracts). Anything else is not an instrument.
 */
import type { Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';

export interface ResolvedSymbol {
  /** Canonical id (`okx:BTC/USDT:USDT`). */
  readonly id: string;
  /** The registry instrument, when the universe has it. */
  readonly instrument: Instrument | undefined;
}

/** Caps the memo so a stream of made-up symbols cannot grow it without bound. */
const MEMO_LIMIT = 4096;

const ASSET = /^[A-Z0-9]{1,20}$/;
const YYMMDD = /^\d{6}$/;
const STRIKE = /^\d+(\.\d+)?$/;

/** Derives the canonical id of an instId from its shape, or undefined if it has none. */
export function deriveOkxCanonicalId(instId: string): string | undefined {
  const parts = instId.split('-');
  const base = parts[0];
  const quote = parts[1];
  if (base === undefined || quote === undefined || !ASSET.test(base) || !ASSET.test(quote)) return undefined;
  const pair = `${base}/${quote}`;
  if (parts.length === 2) return `okx:${pair}`;
  const settle = quote === 'USD' ? base : quote;
  const third = parts[2] ?? '';
  if (parts.length === 3) {
    if (third === 'SWAP') return `okx:${pair}:${settle}`;
    if (YYMMDD.test(third)) return `okx:${pair}:${settle}-${third}`;
    return undefined;
  }
  if (parts.length === 5) {
    const strike = parts[3] ?? '';
    const right = parts[4];
    if (YYMMDD.test(third) && STRIKE.test(strike) && (right === 'C' || right === 'P')) {
      return `okx:${pair}:${settle}-${third}-${strike}-${right}`;
    }
  }
  return undefined;
}

/** Per-connection memo of instId -> canonical id (the registry key is built per call otherwise). */
export class OkxSymbols {
  private readonly registry: InstrumentRegistry;
  private readonly memo = new Map<string, ResolvedSymbol>();

  constructor(registry: InstrumentRegistry) {
    this.registry = registry;
  }

  resolve(instId: string): ResolvedSymbol | undefined {
    const hit = this.memo.get(instId);
    if (hit !== undefined) return hit;
    const instrument = this.registry.byVenueSymbol('okx', instId);
    const id = instrument?.id ?? deriveOkxCanonicalId(instId);
    if (id === undefined) return undefined;
    const resolved: ResolvedSymbol = { id, instrument };
    if (this.memo.size < MEMO_LIMIT) this.memo.set(instId, resolved);
    return resolved;
  }
}
