/**
 * What every check reads: the order, already validated and resolved to dense ids, plus the facts
 * computed once per check (worst-case position, the order's risk units, whether it increases
 * risk). One context object is reused for every check: the hot path allocates only the decision
 * and, when something fails, its reasons.
 */
import type { Fixed } from '../../portfolio/fixed.js';
import { toNumber, ZERO } from '../../portfolio/fixed.js';
import type { Instrument } from '../../portfolio/instruments.js';
import type { Reason, ReasonScope, RejectCode } from '../reasons.js';
import type { EngineState } from '../state.js';
import type { StepScale } from '../lots.js';
import type { AccountInfo } from '../universe.js';

export interface RiskCheck {
  /** Stable name, listed in docs/risk-checks.md and in `keel replay` reports. */
  readonly name: string;
  readonly codes: readonly RejectCode[];
  /** Needs a trusted price and risk units: skipped when the data checks already rejected. */
  readonly needsPrice: boolean;
  run(ctx: CheckContext): void;
}

export const SCOPES: readonly ReasonScope[] = ['account', 'strategy', 'firm'];

export class CheckContext {
  readonly state: EngineState;
  now = 0;
  clOrdId = '';
  accountId = '';
  instrumentId = '';
  account!: AccountInfo;
  ins!: Instrument;
  i = 0;
  /** [account node, strategy node, firm node]. */
  chain: readonly [number, number, number] = [0, 0, 0];
  side: 1 | -1 = 1;
  isMarket = false;
  reduceOnly = false;
  qty: Fixed = ZERO;
  qtyF = 0;
  /** Limit price (NaN for market orders). */
  priceF = Number.NaN;
  price: Fixed | null = null;
  priceText = '';
  /** Reference price (the mark) and the price the order's notional is taken at. */
  refPrice = Number.NaN;
  execPrice = Number.NaN;
  /** Notional of the order at its price, reporting ccy (fat-finger check). */
  orderNotional = Number.NaN;

  /** The instrument's lot grid; quantities below are in lots (exact integers in float64). */
  lot!: StepScale;
  qtyLots = 0;
  /** Account position including same-direction open orders (worst case), and after the order. */
  worstLots = 0;
  projectedLots = 0;
  /** The same in contracts, float64 (ratios and reports). */
  worstCaseF = 0;
  projectedF = 0;
  /** |projected| > |worst case|: the order adds exposure in its instrument. */
  increasesRisk = true;

  /** Market data trusted and units computed: exposure checks can run. */
  priced = false;
  /** The order's effect on the aggregates (reporting ccy; delta in underlying units). */
  grossImpact = 0;
  netImpact = 0;
  imImpact = 0;
  unitsImpact = 0;
  deltaImpact = 0;
  gammaImpact = 0;
  vegaImpact = 0;
  /** Delta-equivalent exposure added to VaR factor `factor`. */
  varImpact = 0;
  factor = 0;
  underlying = 0;
  venue = 0;

  reasons: Reason[] | null = null;

  constructor(state: EngineState) {
    this.state = state;
  }

  reset(): void {
    this.reasons = null;
    this.priced = false;
    this.price = null;
    this.priceF = Number.NaN;
    this.refPrice = Number.NaN;
    this.execPrice = Number.NaN;
    this.orderNotional = Number.NaN;
    this.increasesRisk = true;
    this.grossImpact = 0;
    this.netImpact = 0;
    this.imImpact = 0;
    this.unitsImpact = 0;
    this.deltaImpact = 0;
    this.gammaImpact = 0;
    this.vegaImpact = 0;
    this.varImpact = 0;
  }

  fail(
    code: RejectCode,
    scope: ReasonScope,
    target: string,
    limit: number | null,
    observed: number | null,
    projected: number | null,
    detail?: string,
  ): void {
    const utilization = limit !== null && projected !== null ? (limit > 0 ? projected / limit : projected > 0 ? Number.POSITIVE_INFINITY : 0) : null;
    const reason: Reason = { code, scope, target, limit, observed, projected, utilization: utilization === null ? null : round12(utilization) };
    if (detail !== undefined) reason.detail = detail;
    (this.reasons ??= []).push(reason);
  }

  get reasonCount(): number {
    return this.reasons === null ? 0 : this.reasons.length;
  }

  get failed(): boolean {
    return this.reasons !== null;
  }

  /** Name of chain level k (0 account, 1 strategy, 2 firm) for reasons. */
  target(k: number): string {
    return this.state.universe.nodes[this.chain[k]!]!.id;
  }

  qtyNumber(x: Fixed): number {
    return toNumber(x);
  }
}

/** Keeps reported ratios readable and stable across platforms' last-bit differences in printing. */
function round12(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e12) / 1e12 : x;
}

/**
 * The standard limit rule for an exposure metric: fail when the projected value is beyond the
 * limit AND the order makes it worse. An order that only reduces a breached metric passes.
 */
export function breaches(limit: number, observed: number, projected: number): boolean {
  return limit === limit && Math.abs(projected) > limit && Math.abs(projected) > Math.abs(observed);
}
