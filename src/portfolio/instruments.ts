/**
 * Instruments and reference data. Pure: the caller parses `config/instruments.yaml` and hands
 * the specs in. Inside the engine instruments are dense integer ids (0..n-1); canonical string
 * ids and venue symbols exist only at the edges.
 *
 * Canonical id: `<venue>:<unified symbol>`, the unified symbol following the widely used ccxt
 * convention:
 *   spot                 binance:BTC/USDT
 *   linear perpetual     binance:BTC/USDT:USDT
 *   inverse perpetual    deribit:BTC/USD:BTC
 *   dated future         okx:BTC/USDT:USDT-261225
 *   option               deribit:BTC/USD:BTC-261225-100000-C
 */
import { type Fixed, fx, toNumber } from './fixed.js';

export const VENUES = ['binance', 'coinbase', 'kraken', 'okx', 'bybit', 'deribit'] as const;
export type Venue = (typeof VENUES)[number];

export const INSTRUMENT_KINDS = ['spot', 'perpetual', 'future', 'option'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];

/**
 * linear: P&L in the quote/settle currency, qty x contractSize x price.
 * inverse: contracts are worth `contractSize` units of quote (USD); P&L is in the base coin,
 *          contracts x contractSize x (1/entry - 1/exit). Deribit coin options are "inverse":
 *          premium quoted and paid in the coin.
 */
export type SettlementType = 'linear' | 'inverse';

/** One market data connection kind. Venues with several endpoints have several feeds. */
export const FEED_IDS = [
  'binance-spot',
  'binance-usdm',
  'coinbase',
  'kraken',
  'okx',
  'bybit-spot',
  'bybit-linear',
  'bybit-inverse',
  'bybit-option',
  'deribit',
] as const;
export type FeedId = (typeof FEED_IDS)[number];

/** The reference data as configured (decimal strings, as a venue's instrument API gives them). */
export interface InstrumentSpec {
  venue: Venue;
  /** The venue's own symbol, exactly as its WebSocket API spells it. */
  venueSymbol: string;
  kind: InstrumentKind;
  settlementType: SettlementType;
  base: string;
  quote: string;
  /** Currency P&L and margin are paid in. Spot: the quote currency. */
  settle: string;
  /** The asset the risk is on (BTC for every BTC contract); used by per-underlying limits. */
  underlying: string;
  /**
   * linear: base units per contract (spot: 1); inverse: quote units (USD) per contract;
   * option: underlying units per contract.
   */
  contractSize: string;
  tickSize: string;
  lotSize: string;
  minQty?: string | undefined;
  /** Expiry, ISO-8601 UTC (futures and options). */
  expiry?: string | undefined;
  strike?: string | undefined;
  optionType?: 'call' | 'put' | undefined;
  /** Average daily volume in contracts, for the liquidity check. */
  adv?: string | undefined;
  /** Initial margin as a fraction of notional; spot defaults to 1 (no leverage). */
  initialMarginRate?: number | undefined;
  tradable?: boolean | undefined;
}

/** A resolved instrument with everything the hot path needs precomputed. */
export interface Instrument {
  readonly idx: number;
  readonly id: string;
  readonly spec: Readonly<InstrumentSpec>;
  readonly venue: Venue;
  readonly feed: FeedId;
  readonly kind: InstrumentKind;
  readonly inverse: boolean;
  readonly isOption: boolean;
  readonly contractSize: Fixed;
  readonly contractSizeF: number;
  readonly tickSize: Fixed;
  readonly tickSizeF: number;
  readonly lotSize: Fixed;
  readonly minQty: Fixed;
  /** Expiry in ms since epoch; +Infinity when the instrument does not expire. */
  readonly expiryMs: number;
  readonly strikeF: number;
  readonly isCall: boolean;
  readonly advF: number;
  readonly initialMarginRate: number;
  readonly tradable: boolean;
}

/** `deribit`, `binance`... plus the unified symbol: see the module comment. */
export function canonicalId(spec: InstrumentSpec): string {
  return `${spec.venue}:${unifiedSymbol(spec)}`;
}

export function unifiedSymbol(spec: InstrumentSpec): string {
  const pair = `${spec.base}/${spec.quote}`;
  if (spec.kind === 'spot') return pair;
  const settled = `${pair}:${spec.settle}`;
  if (spec.kind === 'perpetual') return settled;
  const yymmdd = expiryCode(spec.expiry ?? '');
  if (spec.kind === 'future') return `${settled}-${yymmdd}`;
  const cp = spec.optionType === 'put' ? 'P' : 'C';
  return `${settled}-${yymmdd}-${spec.strike ?? '?'}-${cp}`;
}

function expiryCode(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return 'NOEXPIRY';
  const d = new Date(t);
  const yy = String(d.getUTCFullYear() % 100).padStart(2, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${yy}${mm}${dd}`;
}

/** Which market data connection serves an instrument. */
export function feedOf(spec: Pick<InstrumentSpec, 'venue' | 'kind' | 'settlementType'>): FeedId {
  switch (spec.venue) {
    case 'binance':
      return spec.kind === 'spot' ? 'binance-spot' : 'binance-usdm';
    case 'bybit':
      if (spec.kind === 'spot') return 'bybit-spot';
      if (spec.kind === 'option') return 'bybit-option';
      return spec.settlementType === 'inverse' ? 'bybit-inverse' : 'bybit-linear';
    default:
      return spec.venue;
  }
}

/** Problems found while building the registry, each with the offending instrument. */
export interface ReferenceDataError {
  path: string;
  message: string;
}

export class InstrumentRegistry {
  readonly all: readonly Instrument[];
  private readonly byId = new Map<string, number>();
  private readonly byFeedSymbol = new Map<string, number>();

  private constructor(all: Instrument[]) {
    this.all = all;
    for (const ins of all) {
      this.byId.set(ins.id, ins.idx);
      this.byFeedSymbol.set(feedKey(ins.feed, ins.spec.venueSymbol), ins.idx);
    }
  }

  /** Builds the registry, or returns every problem found (duplicates, bad decimals, missing fields). */
  static build(specs: readonly InstrumentSpec[]): InstrumentRegistry | ReferenceDataError[] {
    const errors: ReferenceDataError[] = [];
    const seen = new Map<string, number>();
    const seenVenue = new Map<string, number>();
    const out: Instrument[] = [];
    specs.forEach((spec, i) => {
      const path = `instruments[${i}]`;
      const id = canonicalId(spec);
      const feed = feedOf(spec);
      const vk = feedKey(feed, spec.venueSymbol);
      if (seen.has(id)) errors.push({ path, message: `duplicate canonical id ${id} (also instruments[${seen.get(id)}])` });
      if (seenVenue.has(vk)) errors.push({ path, message: `duplicate venue symbol ${feed} ${spec.venueSymbol}` });
      seen.set(id, i);
      seenVenue.set(vk, i);
      const dec = (field: keyof InstrumentSpec, value: string | undefined, positive: boolean): Fixed => {
        if (value === undefined) return 0n as Fixed;
        try {
          const v = fx(value);
          if (positive && v <= 0n) errors.push({ path: `${path}.${field}`, message: `must be > 0, got ${value}` });
          return v;
        } catch {
          errors.push({ path: `${path}.${field}`, message: `not a decimal: ${JSON.stringify(value)}` });
          return 0n as Fixed;
        }
      };
      const contractSize = dec('contractSize', spec.contractSize, true);
      const tickSize = dec('tickSize', spec.tickSize, true);
      const lotSize = dec('lotSize', spec.lotSize, true);
      const minQty = dec('minQty', spec.minQty, false);
      const strike = dec('strike', spec.strike, spec.kind === 'option');
      const adv = dec('adv', spec.adv, false);
      let expiryMs = Number.POSITIVE_INFINITY;
      if (spec.kind === 'future' || spec.kind === 'option') {
        expiryMs = Date.parse(spec.expiry ?? '');
        if (!Number.isFinite(expiryMs)) errors.push({ path: `${path}.expiry`, message: `${spec.kind} needs an ISO-8601 expiry` });
      } else if (spec.expiry !== undefined) {
        errors.push({ path: `${path}.expiry`, message: `${spec.kind} instruments do not expire` });
      }
      if (spec.kind === 'option' && spec.optionType === undefined) {
        errors.push({ path: `${path}.optionType`, message: 'options need optionType call|put' });
      }
      if (spec.kind === 'spot' && spec.settlementType !== 'linear') {
        errors.push({ path: `${path}.settlementType`, message: 'spot is always linear' });
      }
      const imr = spec.initialMarginRate ?? (spec.kind === 'spot' ? 1 : spec.kind === 'option' ? 0.15 : 0.1);
      if (!(imr > 0 && imr <= 1)) errors.push({ path: `${path}.initialMarginRate`, message: `must be in (0, 1], got ${imr}` });
      out.push({
        idx: i,
        id,
        spec: Object.freeze({ ...spec }),
        venue: spec.venue,
        feed,
        kind: spec.kind,
        inverse: spec.settlementType === 'inverse',
        isOption: spec.kind === 'option',
        contractSize,
        contractSizeF: toNumber(contractSize),
        tickSize,
        tickSizeF: toNumber(tickSize),
        lotSize,
        minQty,
        expiryMs,
        strikeF: toNumber(strike),
        isCall: spec.optionType !== 'put',
        advF: toNumber(adv),
        initialMarginRate: imr,
        tradable: spec.tradable ?? true,
      });
    });
    return errors.length > 0 ? errors : new InstrumentRegistry(out);
  }

  /** Like `build`, throwing on error; for tests and benches with generated universes. */
  static of(specs: readonly InstrumentSpec[]): InstrumentRegistry {
    const r = InstrumentRegistry.build(specs);
    if (Array.isArray(r)) throw new Error(r.map((e) => `${e.path}: ${e.message}`).join('\n'));
    return r;
  }

  get size(): number {
    return this.all.length;
  }

  /** Dense index of a canonical id, or -1. */
  indexOf(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  get(idx: number): Instrument {
    const ins = this.all[idx];
    if (ins === undefined) throw new RangeError(`no instrument ${idx}`);
    return ins;
  }

  byCanonical(id: string): Instrument | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.all[i];
  }

  /** The instrument a venue symbol names on one feed, or undefined. */
  byVenueSymbol(feed: FeedId, venueSymbol: string): Instrument | undefined {
    const i = this.byFeedSymbol.get(feedKey(feed, venueSymbol));
    return i === undefined ? undefined : this.all[i];
  }

  /** Instruments served by one feed, in registry order. */
  forFeed(feed: FeedId): Instrument[] {
    return this.all.filter((i) => i.feed === feed);
  }

  underlyings(): string[] {
    return [...new Set(this.all.map((i) => i.spec.underlying))].sort();
  }
}

function feedKey(feed: FeedId, symbol: string): string {
  return `${feed}\u0000${symbol}`;
}
