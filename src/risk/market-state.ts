/**
 * The engine's view of the market: one slot per instrument in typed arrays (float64: this is the
 * risk path, not the ledger), plus the per-contract risk units every aggregate is built from.
 *
 * Valuation price ("mark") per instrument, by source rank:
 *   3  the venue's mark (mark / option events): what the venue margins and liquidates on
 *   2  the mid of the best bid and offer (quote / book events)
 *   1  the last trade
 * A lower-ranked source replaces the mark only when the higher one has gone stale.
 */
import type { Instrument } from '../portfolio/instruments.js';
import type { FeedStatus, MarketEvent } from './events.js';
import { black76, newGreeks } from './options/black76.js';
import type { Universe } from './universe.js';

export const FEED_STATUS_CODES: readonly FeedStatus[] = ['ok', 'connected', 'resyncing', 'stale', 'disconnected', 'halted'];
const STATUS_OK = 0;
const STATUS_CONNECTED = 1;

const MS_PER_YEAR = 365 * 86_400_000;

export type MarketApplyResult = 'mark' | 'other' | 'invalid' | 'unknown';

export class MarketState {
  readonly n: number;
  readonly mark: Float64Array;
  readonly markTs: Float64Array;
  readonly markRank: Uint8Array;
  /** The exact decimal text of the last mark, for exact valuation in reports. */
  readonly markText: string[];
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bidSize: Float64Array;
  readonly askSize: Float64Array;
  readonly quoteTs: Float64Array;
  readonly last: Float64Array;
  readonly index: Float64Array;
  readonly funding: Float64Array;
  readonly nextFundingTs: Float64Array;
  /** Options: mark IV (fraction) and the forward the venue priced it on. */
  readonly iv: Float64Array;
  readonly forward: Float64Array;
  readonly status: Uint8Array;
  readonly statusTs: Float64Array;

  // Per-contract risk units, recomputed when the mark moves (see computeUnits).
  /** Equity contribution per contract (reporting ccy); futures add `uCost` x cost basis. */
  readonly uValue: Float64Array;
  /** Multiplier of the position's cost basis in its equity contribution (0, -fx or +fx). */
  readonly uCost: Float64Array;
  /** Signed delta-equivalent notional per contract (reporting ccy). */
  readonly uNotional: Float64Array;
  /** Underlying units per contract (delta). */
  readonly uDelta: Float64Array;
  /** Change of delta (underlying units) per contract for a 1% move. */
  readonly uGamma: Float64Array;
  /** Reporting ccy per vol point per contract. */
  readonly uVega: Float64Array;
  /** Initial margin per contract (reporting ccy, >= 0). */
  readonly uIm: Float64Array;
  /** 1 when the units are computable (mark and fx known). */
  readonly unitsOk: Uint8Array;
  /** 1 when the mark moved since the units were computed (computed lazily for unheld instruments). */
  readonly unitsStale: Uint8Array;

  private readonly universe: Universe;
  private readonly maxAgeMs: number;
  private readonly greeks = newGreeks();

  constructor(universe: Universe, maxAgeMs: number) {
    const n = universe.n;
    this.n = n;
    this.universe = universe;
    this.maxAgeMs = maxAgeMs;
    const nan = (): Float64Array => new Float64Array(n).fill(Number.NaN);
    this.mark = nan();
    this.markTs = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.markRank = new Uint8Array(n);
    this.markText = new Array<string>(n).fill('');
    this.bid = nan();
    this.ask = nan();
    this.bidSize = nan();
    this.askSize = nan();
    this.quoteTs = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.last = nan();
    this.index = nan();
    this.funding = nan();
    this.nextFundingTs = nan();
    this.iv = nan();
    this.forward = nan();
    this.status = new Uint8Array(n).fill(STATUS_OK);
    this.statusTs = new Float64Array(n);
    this.uValue = new Float64Array(n);
    this.uCost = new Float64Array(n);
    this.uNotional = new Float64Array(n);
    this.uDelta = new Float64Array(n);
    this.uGamma = new Float64Array(n);
    this.uVega = new Float64Array(n);
    this.uIm = new Float64Array(n);
    this.unitsOk = new Uint8Array(n);
    this.unitsStale = new Uint8Array(n);
  }

  /** Applies one normalized market event for instrument `i` at engine time `now`. */
  apply(i: number, ev: MarketEvent, now: number): MarketApplyResult {
    switch (ev.type) {
      case 'trade': {
        const p = positive(ev.price);
        if (p !== p) return 'invalid';
        this.last[i] = p;
        return this.offerMark(i, p, ev.price, 1, now) ? 'mark' : 'other';
      }
      case 'quote': {
        const b = ev.bid === null ? Number.NaN : positive(ev.bid);
        const a = ev.ask === null ? Number.NaN : positive(ev.ask);
        if ((ev.bid !== null && b !== b) || (ev.ask !== null && a !== a)) return 'invalid';
        this.bid[i] = b;
        this.ask[i] = a;
        this.bidSize[i] = ev.bidSize === null ? Number.NaN : nonNegative(ev.bidSize);
        this.askSize[i] = ev.askSize === null ? Number.NaN : nonNegative(ev.askSize);
        this.quoteTs[i] = now;
        return this.offerMid(i, now);
      }
      case 'book': {
        const bl = ev.bids[0];
        const al = ev.asks[0];
        const b = bl === undefined ? Number.NaN : positive(bl[0]);
        const a = al === undefined ? Number.NaN : positive(al[0]);
        if ((bl !== undefined && b !== b) || (al !== undefined && a !== a)) return 'invalid';
        this.bid[i] = b;
        this.ask[i] = a;
        this.bidSize[i] = bl === undefined ? Number.NaN : nonNegative(bl[1]);
        this.askSize[i] = al === undefined ? Number.NaN : nonNegative(al[1]);
        this.quoteTs[i] = now;
        return this.offerMid(i, now);
      }
      case 'mark': {
        let changed = false;
        if (ev.markPrice !== undefined) {
          const m = positive(ev.markPrice);
          if (m !== m) return 'invalid';
          changed = this.offerMark(i, m, ev.markPrice, 3, now);
        }
        if (ev.indexPrice !== undefined) this.index[i] = positive(ev.indexPrice);
        if (ev.fundingRate !== undefined) this.funding[i] = Number(ev.fundingRate);
        if (ev.nextFundingTs !== undefined) this.nextFundingTs[i] = ev.nextFundingTs;
        return changed ? 'mark' : 'other';
      }
      case 'option': {
        const m = nonNegative(ev.markPrice);
        const v = positive(ev.markIv);
        const f = positive(ev.underlyingPrice);
        if (m !== m || v !== v || f !== f) return 'invalid';
        this.iv[i] = v;
        this.forward[i] = f;
        if (ev.indexPrice !== undefined) this.index[i] = positive(ev.indexPrice);
        this.offerMark(i, m, ev.markPrice, 3, now);
        return 'mark';
      }
      case 'status': {
        const code = FEED_STATUS_CODES.indexOf(ev.status);
        if (code < 0) return 'invalid';
        this.status[i] = code;
        this.statusTs[i] = now;
        return 'other';
      }
      default:
        return 'unknown';
    }
  }

  private offerMid(i: number, now: number): MarketApplyResult {
    const b = this.bid[i]!;
    const a = this.ask[i]!;
    if (!(b > 0 && a > 0)) return 'other';
    const mid = (b + a) / 2;
    return this.offerMark(i, mid, '', 2, now) ? 'mark' : 'other';
  }

  private offerMark(i: number, price: number, text: string, rank: number, now: number): boolean {
    if (rank < this.markRank[i]! && now - this.markTs[i]! <= this.maxAgeMs) return false;
    this.mark[i] = price;
    this.markTs[i] = now;
    this.markRank[i] = rank;
    this.markText[i] = text;
    return true;
  }

  /** True when the instrument's feed says its data can be trusted. */
  healthy(i: number): boolean {
    const s = this.status[i]!;
    return s === STATUS_OK || s === STATUS_CONNECTED;
  }

  statusName(i: number): FeedStatus {
    return FEED_STATUS_CODES[this.status[i]!]!;
  }

  markAge(i: number, now: number): number {
    return now - this.markTs[i]!;
  }

  /** Reporting-currency value of one unit of currency `c` (NaN when unknown). */
  fx(c: number): number {
    const u = this.universe;
    let value = 1;
    // Chains are validated at start (at most 3 hops, ending at a fixed rate).
    for (let k = c; ; k = u.fxVia[k]!) {
      const src = u.fxInstrument[k]!;
      if (src < 0) return value * u.fxFixed[k]!;
      value *= this.mark[src]!;
    }
  }

  /**
   * Recomputes instrument i's per-contract units from its mark (and, for options, Black-76 on the
   * venue's mark IV). Returns false (unitsOk = 0) when a needed input is missing.
   */
  computeUnits(ins: Instrument, now: number): boolean {
    const i = ins.idx;
    this.unitsStale[i] = 0;
    const mark = this.mark[i]!;
    const cs = ins.contractSizeF;
    const u = this.universe;
    const fxQuote = this.fx(u.quoteCcyOf[i]!);
    const fxSettle = this.fx(u.settleCcyOf[i]!);
    let ok = mark > 0 && fxQuote > 0 && fxSettle > 0;
    let value = 0;
    let cost = 0;
    let notional = 0;
    let delta = 0;
    let gamma = 0;
    let vega = 0;
    let im = 0;
    if (ok) {
      if (ins.isOption) {
        // Premium-style: equity holds the option at its mark (premium currency = settle).
        value = cs * mark * fxSettle;
        const f = this.forward[i]!;
        const vol = this.iv[i]!;
        const t = (ins.expiryMs - now) / MS_PER_YEAR;
        if (f > 0 && vol > 0) {
          const g = black76(f, ins.strikeF, t, vol, ins.isCall, this.greeks);
          delta = cs * g.delta;
          gamma = cs * g.gamma * f * 0.01;
          vega = cs * g.vega * 0.01 * fxQuote;
          notional = delta * f * fxQuote;
          im = ins.initialMarginRate * cs * f * fxQuote;
        } else ok = false;
      } else if (ins.inverse) {
        // Inverse: contracts are worth cs quote units (USD); P&L in coin = cost - qty*cs/mark.
        value = (-cs / mark) * fxSettle;
        cost = fxSettle;
        notional = cs * fxQuote;
        delta = cs / mark;
        gamma = -(cs / mark) * 0.01;
        im = ins.initialMarginRate * cs * fxQuote;
      } else if (ins.kind === 'spot') {
        value = cs * mark * fxQuote;
        notional = value;
        delta = cs;
        im = ins.initialMarginRate * value;
      } else {
        // Linear future/perpetual: equity holds unrealized P&L = qty*cs*mark - cost.
        value = cs * mark * fxSettle;
        cost = -fxSettle;
        notional = cs * mark * fxQuote;
        delta = cs;
        im = ins.initialMarginRate * notional;
      }
    }
    if (!ok || !Number.isFinite(value + notional + delta + gamma + vega + im)) {
      this.unitsOk[i] = 0;
      return false;
    }
    this.uValue[i] = value;
    this.uCost[i] = cost;
    this.uNotional[i] = notional;
    this.uDelta[i] = delta;
    this.uGamma[i] = gamma;
    this.uVega[i] = vega;
    this.uIm[i] = im;
    this.unitsOk[i] = 1;
    return true;
  }
}

/** Parses a positive decimal string to float64; NaN if not positive or not a number. */
function positive(text: string): number {
  const x = typeof text === 'string' && text.length > 0 ? Number(text) : Number.NaN;
  return x > 0 && x < Number.POSITIVE_INFINITY ? x : Number.NaN;
}

function nonNegative(text: string): number {
  const x = typeof text === 'string' && text.length > 0 ? Number(text) : Number.NaN;
  return x >= 0 && x < Number.POSITIVE_INFINITY ? x : Number.NaN;
}
