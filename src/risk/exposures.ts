/**
 * Running risk aggregates per node of the limit hierarchy (firm, strategies, accounts), kept
 * current incrementally so a pre-trade check reads them in O(1):
 *   - position legs (account x instrument) are revalued when their instrument's mark moves, and
 *     the difference is added to the leg's account, strategy and firm;
 *   - open-order reservations add their worst-case contribution on approval and remove it on
 *     ack/fill/cancel/reject/expiry.
 * All of it is float64 risk math (docs/numerics.md); the exact positions live in the ledger and are
 * mirrored here as `qty` (Fixed) for exact position-limit comparisons. A periodic full recompute
 * (`Engine.revalue`) bounds floating-point drift.
 */
import type { Fixed } from '../portfolio/fixed.js';
import { ZERO } from '../portfolio/fixed.js';
import type { MarketState } from './market-state.js';
import type { Universe } from './universe.js';

// Offsets inside one per-(node, underlying) slot of NodeAggregates.nu.
export const NU_GROSS = 0;
export const NU_UNITS = 1;
export const NU_DELTA = 2;
export const NU_GAMMA = 3;
export const NU_VEGA = 4;
export const NU_RES_GROSS = 5;
export const NU_RES_UNITS = 6;
export const NU_RES_DELTA_POS = 7;
export const NU_RES_DELTA_NEG = 8;
export const NU_RES_GAMMA_POS = 9;
export const NU_RES_GAMMA_NEG = 10;
export const NU_RES_VEGA_POS = 11;
export const NU_RES_VEGA_NEG = 12;
export const NU_STRIDE = 16;
export const NU_POSITION_FIELDS: readonly number[] = [NU_GROSS, NU_UNITS, NU_DELTA, NU_GAMMA, NU_VEGA];
export const NU_RESERVATION_FIELDS: readonly number[] = [
  NU_RES_GROSS, NU_RES_UNITS, NU_RES_DELTA_POS, NU_RES_DELTA_NEG, NU_RES_GAMMA_POS, NU_RES_GAMMA_NEG, NU_RES_VEGA_POS, NU_RES_VEGA_NEG,
];

/** Per-node scalar aggregates. */
export class NodeAggregates {
  readonly posGross: Float64Array;
  readonly posNet: Float64Array;
  readonly posIm: Float64Array;
  /** Σ leg equity contributions (market value or unrealized P&L), reporting ccy. */
  readonly posValue: Float64Array;
  /** Σ cash balances x fx, reporting ccy. */
  readonly cashValue: Float64Array;
  readonly resGross: Float64Array;
  readonly resNet: Float64Array;
  readonly resIm: Float64Array;
  /** Σ |reserved exposure| x factor σ: an upper bound of the open orders' VaR (per sample). */
  readonly resVarBound: Float64Array;
  /** Equity at the start of the UTC day, external flows since, and the peak (drawdown). */
  readonly sodEquity: Float64Array;
  readonly flows: Float64Array;
  readonly peakEquity: Float64Array;
  /** Legs whose units could not be computed (missing mark/fx): their exposure is unknown. */
  readonly unpricedLegs: Int32Array;

  /**
   * Per node x underlying, interleaved: NU_STRIDE doubles per (node, underlying) at
   * `nuBase(node, u)`, fields at the NU_* offsets. One slot is two cache lines, so a check reads
   * every per-underlying figure of a level from two lines instead of one line per array.
   */
  readonly nu: Float64Array;
  // Per node x venue (stride V): Σ max(0, equity) of the node's accounts at the venue, and the
  // open orders' gross notional there.
  readonly venueExposure: Float64Array;
  readonly resVenue: Float64Array;

  readonly nodeCount: number;
  readonly underlyingCount: number;
  readonly venueCount: number;

  constructor(nodeCount: number, underlyingCount: number, venueCount: number) {
    this.nodeCount = nodeCount;
    this.underlyingCount = underlyingCount;
    this.venueCount = venueCount;
    const b = (): Float64Array => new Float64Array(nodeCount);
    this.posGross = b();
    this.posNet = b();
    this.posIm = b();
    this.posValue = b();
    this.cashValue = b();
    this.resGross = b();
    this.resNet = b();
    this.resIm = b();
    this.resVarBound = b();
    this.sodEquity = b();
    this.flows = b();
    this.peakEquity = b();
    this.unpricedLegs = new Int32Array(nodeCount);
    this.nu = new Float64Array(nodeCount * underlyingCount * NU_STRIDE);
    this.venueExposure = new Float64Array(nodeCount * venueCount);
    this.resVenue = new Float64Array(nodeCount * venueCount);
  }

  nuBase(node: number, underlying: number): number {
    return (node * this.underlyingCount + underlying) * NU_STRIDE;
  }

  /** Zeroes the given per-underlying fields in every slot. */
  clearNu(fields: readonly number[]): void {
    const nu = this.nu;
    for (let base = 0; base < nu.length; base += NU_STRIDE) for (const f of fields) nu[base + f] = 0;
  }

  equity(node: number): number {
    return this.posValue[node]! + this.cashValue[node]!;
  }

  /** Profit since 00:00 UTC net of deposits and withdrawals (negative = loss). */
  dailyPnl(node: number): number {
    return this.equity(node) - this.sodEquity[node]! - this.flows[node]!;
  }

  drawdown(node: number): number {
    return Math.max(0, this.peakEquity[node]! - this.equity(node));
  }

  /** Every typed array, in a fixed order, for snapshots. */
  arrays(): Array<Float64Array | Int32Array> {
    return [
      this.posGross, this.posNet, this.posIm, this.posValue, this.cashValue, this.resGross, this.resNet, this.resIm,
      this.resVarBound, this.sodEquity, this.flows, this.peakEquity, this.unpricedLegs, this.nu, this.venueExposure, this.resVenue,
    ];
  }

  /** Zeroes the position-derived aggregates before a full recompute (reservations stay). */
  clearPositions(): void {
    for (const a of [this.posGross, this.posNet, this.posIm, this.posValue, this.venueExposure]) a.fill(0);
    this.clearNu(NU_POSITION_FIELDS);
    this.unpricedLegs.fill(0);
  }
}

/** One account's position in one instrument, with the contribution last added to the aggregates. */
export class Leg {
  readonly account: number;
  readonly instrument: number;
  /** [account node, strategy node, firm node]. */
  readonly chain: readonly [number, number, number];
  qty: Fixed = ZERO;
  qtyF = 0;
  /** Cost basis in the settle currency (float mirror of the ledger's exact cost). */
  costF = 0;
  /** Open reservations by side, in lots (exact integers). */
  resBuyLots = 0;
  resSellLots = 0;
  // Contribution currently included in the aggregates.
  value = 0;
  gross = 0;
  net = 0;
  im = 0;
  units = 0;
  delta = 0;
  gamma = 0;
  vega = 0;
  priced = true;
  /** Delta-equivalent exposure currently in the VaR books (reporting ccy). */
  varW = 0;
  /** Position in the instrument's holder list, -1 when not listed. */
  holderSlot = -1;

  constructor(account: number, instrument: number, chain: readonly [number, number, number]) {
    this.account = account;
    this.instrument = instrument;
    this.chain = chain;
  }

  get isEmpty(): boolean {
    return this.qty === 0n && this.resBuyLots === 0 && this.resSellLots === 0;
  }
}

/**
 * Revalues one leg from the current units of its instrument and adds the change to the three
 * nodes of its chain. Returns the change in the leg's equity contribution (booked into equity
 * here unless `deferEquity`).
 */
export function revalueLeg(leg: Leg, market: MarketState, universe: Universe, agg: NodeAggregates, deferEquity = false): number {
  const i = leg.instrument;
  const q = leg.qtyF;
  let value = 0;
  let gross = 0;
  let net = 0;
  let im = 0;
  let units = 0;
  let delta = 0;
  let gamma = 0;
  let vega = 0;
  const priced = market.unitsOk[i] === 1;
  if (priced) {
    value = q * market.uValue[i]! + leg.costF * market.uCost[i]!;
    net = q * market.uNotional[i]!;
    gross = Math.abs(net);
    im = Math.abs(q) * market.uIm[i]!;
    delta = q * market.uDelta[i]!;
    units = Math.abs(delta);
    gamma = q * market.uGamma[i]!;
    vega = q * market.uVega[i]!;
  } else if (q === 0) {
    // An empty leg has nothing to price.
  } else {
    // Unknown price: keep the last known contribution (fail-closed checks happen per order).
    if (leg.priced) {
      leg.priced = false;
      for (const node of leg.chain) agg.unpricedLegs[node]! += 1;
    }
    return 0;
  }
  if (!leg.priced) {
    leg.priced = true;
    for (const node of leg.chain) agg.unpricedLegs[node]! -= 1;
  }
  const dValue = value - leg.value;
  const dGross = gross - leg.gross;
  const dNet = net - leg.net;
  const dIm = im - leg.im;
  const dUnits = units - leg.units;
  const dDelta = delta - leg.delta;
  const dGamma = gamma - leg.gamma;
  const dVega = vega - leg.vega;
  leg.value = value;
  leg.gross = gross;
  leg.net = net;
  leg.im = im;
  leg.units = units;
  leg.delta = delta;
  leg.gamma = gamma;
  leg.vega = vega;
  const ui = universe.underlyingOf[i]!;
  const nu = agg.nu;
  for (let k = 0; k < 3; k++) {
    const node = leg.chain[k]!;
    agg.posGross[node]! += dGross;
    agg.posNet[node]! += dNet;
    agg.posIm[node]! += dIm;
    const base = agg.nuBase(node, ui);
    nu[base + NU_GROSS]! += dGross;
    nu[base + NU_UNITS]! += dUnits;
    nu[base + NU_DELTA]! += dDelta;
    nu[base + NU_GAMMA]! += dGamma;
    nu[base + NU_VEGA]! += dVega;
  }
  // A fill moves cash and position value together: the caller books both in one step so no
  // transient equity (a false peak, a false loss) is ever observed.
  if (dValue !== 0 && !deferEquity) addEquity(leg.chain, dValue, 0, agg, universe.accounts[leg.account]!.venue);
  return dValue;
}

/**
 * Adds an equity change (position value or cash) to a chain and keeps the venue exposure
 * (Σ max(0, account equity)) and the peaks current.
 */
export function addEquity(chain: readonly [number, number, number], dPos: number, dCash: number, agg: NodeAggregates, venue: number): void {
  const accountNode = chain[0];
  const before = agg.equity(accountNode);
  for (let k = 0; k < 3; k++) {
    const node = chain[k]!;
    agg.posValue[node]! += dPos;
    agg.cashValue[node]! += dCash;
    const e = agg.equity(node);
    if (e > agg.peakEquity[node]!) agg.peakEquity[node] = e;
  }
  const after = agg.equity(accountNode);
  const dVenue = Math.max(0, after) - Math.max(0, before);
  if (dVenue !== 0) {
    const vStride = agg.venueCount;
    for (let k = 0; k < 3; k++) agg.venueExposure[chain[k]! * vStride + venue]! += dVenue;
  }
}
