/**
 * The closed vocabulary of pre-trade rejection reasons. Codes are stable API: gateways, the desk
 * and audits key on them, so never rename one; add new ones. Grouped by prefix:
 *   INVALID_*  the request itself is malformed or violates reference data (lot, tick)
 *   REF_*      account / instrument / venue reference checks
 *   STATE_*    trading state (kill switches, reduce-only)
 *   ORDER_*    order-by-order controls (duplicates, throttles, fat finger, price collar)
 *   DATA_*     market data we cannot trust: the engine fails closed
 *   RISK_*     exposure limits evaluated on projected values
 *   ENGINE_*   an internal fault; fails closed
 */
export const REJECT_CODES = [
  'INVALID_ORDER',
  'INVALID_QTY_INCREMENT',
  'INVALID_QTY_BELOW_MIN',
  'INVALID_PRICE_TICK',
  'REF_UNKNOWN_ACCOUNT',
  'REF_UNKNOWN_INSTRUMENT',
  'REF_INSTRUMENT_NOT_TRADABLE',
  'REF_INSTRUMENT_EXPIRED',
  'REF_VENUE_NOT_PERMITTED',
  'STATE_HALTED',
  'STATE_REDUCING',
  'STATE_REDUCE_ONLY_WOULD_INCREASE',
  'ORDER_DUPLICATE_ID',
  'ORDER_RATE_LIMIT',
  'ORDER_MAX_QTY',
  'ORDER_MAX_NOTIONAL',
  'ORDER_PRICE_COLLAR',
  'ORDER_NO_REFERENCE_PRICE',
  'DATA_MARK_MISSING',
  'DATA_MARK_STALE',
  'DATA_FEED_UNHEALTHY',
  'DATA_GREEKS_UNAVAILABLE',
  'RISK_POSITION',
  'RISK_UNDERLYING_POSITION',
  'RISK_GROSS_NOTIONAL',
  'RISK_NET_NOTIONAL',
  'RISK_CONCENTRATION',
  'RISK_VENUE_EXPOSURE',
  'RISK_MARGIN',
  'RISK_DAILY_LOSS',
  'RISK_DRAWDOWN',
  'RISK_VAR',
  'RISK_DELTA',
  'RISK_GAMMA',
  'RISK_VEGA',
  'RISK_LIQUIDITY_BOOK',
  'RISK_LIQUIDITY_ADV',
  'ENGINE_ERROR',
] as const;

export type RejectCode = (typeof REJECT_CODES)[number];

/** Where in the limit hierarchy a failed check was evaluated. */
export type ReasonScope = 'order' | 'instrument' | 'account' | 'strategy' | 'firm';

/**
 * One failed check. Every reason carries the same fields so consumers need no per-code parsing:
 * `limit`, `observed` (before the order), `projected` (after it, counting open reservations)
 * and `utilization` = projected / limit. Fields that do not apply to a code are null, and
 * `detail` says what was wrong in words (never parse it; key on `code`).
 */
export interface Reason {
  code: RejectCode;
  scope: ReasonScope;
  /** The account, strategy, instrument, underlying or venue the limit belongs to. */
  target: string;
  limit: number | null;
  observed: number | null;
  projected: number | null;
  utilization: number | null;
  detail?: string | undefined;
}

export interface Decision {
  approved: boolean;
  clOrdId: string;
  account: string;
  instrument: string;
  /** Engine time of the decision (ms). */
  ts: number;
  /** Every failed check, in catalogue order. Empty when approved. */
  reasons: Reason[];
  /** Engine compute time for this check in nanoseconds (measurement only; not part of the state). */
  computeNs: number;
}
