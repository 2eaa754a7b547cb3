/**
 * Contract math and mark-to-market valuation. Pure and exact: every function takes `Fixed`
 * (bigint, 1e-18) and rounds half-to-even at most once per returned value. docs/ledger.md lists
 * each rounding site; the comments marked "ROUNDS" here are those sites.
 *
 * Pricing models (DOMAIN.md §6.1, §6.4):
 *   linear   value = contracts · price · contractSize, in the quote/settle currency.
 *            Spot, linear perpetuals/futures, and every option: an option trades as a premium
 *            per contract (coin per contract for Deribit coin options), so its trade value is
 *            linear in the premium even when `settlementType` is inverse.
 *   inverse  value = contracts · contractSize / price, in coin. Inverse perpetuals and futures.
 */
import { type Fixed, SCALE, ZERO, divRound, parseFixed } from './fixed.js';
import type { Instrument } from './instruments.js';
import type { Ledger, Position } from './ledger.js';

export type PricingModel = 'linear' | 'inverse';

const SCALE_SQUARED = SCALE * SCALE;

/** Inverse pricing is for inverse futures and perpetuals only; options trade on a premium. */
export function pricingModel(ins: Instrument): PricingModel {
  return ins.inverse && !ins.isOption ? 'inverse' : 'linear';
}

/** Spot and options move cash on every fill (the premium); futures and perpetuals do not. */
export function isPremiumStyle(ins: Instrument): boolean {
  return ins.kind === 'spot' || ins.kind === 'option';
}

/**
 * The currency an instrument's trades, P&L and market value are booked in: the quote currency
 * for spot, the settle currency otherwise (coin for inverse contracts and Deribit coin options).
 */
export function valueCurrency(ins: Instrument): string {
  return ins.kind === 'spot' ? ins.spec.quote : ins.spec.settle;
}

/**
 * Value of a signed number of contracts at `price`, in `valueCurrency(ins)`.
 * linear: contracts·price·contractSize. ROUNDS only when the three operands carry more than 18
 * decimals between them (never for the configured universe: e.g. lot 1e-8 · tick 0.01 · size 1).
 * inverse: contracts·contractSize/price. ROUNDS (the 1/price the formula requires).
 * `price` must be > 0 for inverse instruments.
 */
export function contractValue(ins: Instrument, contracts: bigint, price: bigint): bigint {
  if (pricingModel(ins) === 'inverse') return divRound(contracts * ins.contractSize, price);
  return divRound(contracts * price * ins.contractSize, SCALE_SQUARED);
}

/**
 * Unrealized P&L of the open quantity at `mark`, in `valueCurrency(ins)`.
 *   linear:  qty·mark·cs − cost
 *   inverse: cost − qty·cs/mark          (= contracts·cs·(1/entry − 1/mark), DOMAIN §6.1)
 * A non-positive mark on an inverse contract has no meaning (1/0) and throws RangeError; callers
 * holding unchecked marks use `valuePosition`, which returns a structured error instead.
 */
export function unrealizedPnl(ins: Instrument, pos: Readonly<Position>, mark: Fixed): Fixed {
  const v = valuePosition(ins, pos, mark);
  if (!v.ok) throw new RangeError(`${v.code}: ${v.detail}`);
  return v.unrealized;
}

/**
 * What the position adds to equity at `mark`, in `valueCurrency(ins)`: qty·mark·cs for
 * premium-style instruments (spot, options; their cost already left cash), the unrealized P&L for
 * futures and perpetuals (their cost never left cash). Throws like `unrealizedPnl`.
 */
export function marketValue(ins: Instrument, pos: Readonly<Position>, mark: Fixed): Fixed {
  const v = valuePosition(ins, pos, mark);
  if (!v.ok) throw new RangeError(`${v.code}: ${v.detail}`);
  return v.marketValue;
}

export type PositionValue =
  | { ok: true; unrealized: Fixed; marketValue: Fixed }
  | { ok: false; code: 'INVALID_PRICE'; detail: string };

/** Non-throwing valuation: unrealized P&L and market value together, or why the mark is unusable. */
export function valuePosition(ins: Instrument, pos: Readonly<Position>, mark: Fixed): PositionValue {
  if (typeof mark !== 'bigint') return { ok: false, code: 'INVALID_PRICE', detail: `mark for ${ins.id} is not a Fixed` };
  if (pricingModel(ins) === 'inverse') {
    if (mark <= 0n) return { ok: false, code: 'INVALID_PRICE', detail: `inverse ${ins.id} needs a mark > 0` };
    const unrealized = (pos.cost - contractValue(ins, pos.qty, mark)) as Fixed;
    return { ok: true, unrealized, marketValue: unrealized };
  }
  if (mark < 0n) return { ok: false, code: 'INVALID_PRICE', detail: `mark for ${ins.id} is negative` };
  const held = contractValue(ins, pos.qty, mark) as Fixed;
  const unrealized = (held - pos.cost) as Fixed;
  return { ok: true, unrealized, marketValue: isPremiumStyle(ins) ? held : unrealized };
}

/**
 * Average entry price of the open quantity, or undefined when flat.
 *   linear:  cost/(qty·cs)                       ROUNDS once.
 *   inverse: qty·cs/cost  (contract-weighted harmonic mean, DOMAIN §6.1)   ROUNDS once; the cost
 *            it divides by was itself rounded per fill run, so the result can differ from the
 *            exact harmonic mean by a few 1e-18 relative units (docs/ledger.md, "Rounding").
 */
export function averageEntry(ins: Instrument, pos: Readonly<Position>): Fixed | undefined {
  if (pos.qty === 0n) return undefined;
  if (pricingModel(ins) === 'inverse') {
    if (pos.cost === 0n) return undefined;
    return divRound(pos.qty * ins.contractSize, pos.cost) as Fixed;
  }
  return divRound(pos.cost * SCALE_SQUARED, pos.qty * ins.contractSize) as Fixed;
}

/**
 * Funding payment from a rate (DOMAIN §6.2: payment = nominal × rate, longs pay when rate > 0),
 * signed, + = received, in the settle currency:
 *   linear:  −qty·cs·mark·rate            ROUNDS only beyond 18 decimals of combined precision.
 *   inverse: −contracts·cs/mark·rate (coin) ROUNDS once. `mark` must be > 0.
 */
export function fundingAmount(ins: Instrument, qty: bigint, rate: bigint, mark: bigint): Fixed {
  if (pricingModel(ins) === 'inverse') return divRound(-qty * ins.contractSize * rate, mark * SCALE) as Fixed;
  return divRound(-qty * ins.contractSize * mark * rate, SCALE_SQUARED * SCALE) as Fixed;
}

/** The option strike, exact, from the reference data (`strikeF` is a float); undefined if absent. */
export function strikeOf(ins: Instrument): Fixed | undefined {
  if (!ins.isOption || ins.spec.strike === undefined) return undefined;
  const r = parseFixed(ins.spec.strike);
  return r.ok && r.value > 0n ? r.value : undefined;
}

/** Intrinsic value per unit of underlying: max(S−K, 0) for calls, max(K−S, 0) for puts. */
export function intrinsicValue(ins: Instrument, strike: Fixed, settlementPrice: Fixed): Fixed {
  const diff = ins.isCall ? settlementPrice - strike : strike - settlementPrice;
  return (diff > 0n ? diff : 0n) as Fixed;
}

/**
 * Expiry payoff of a signed option position at settlement price S (DOMAIN §6.4), in the settle
 * currency: linear qty·cs·max(±(S−K),0); coin options qty·cs·max(±(S−K),0)/S. ROUNDS once for coin
 * options (the /S); exact for linear ones within 18 decimals. S must be > 0.
 */
export function optionPayoff(ins: Instrument, qty: bigint, strike: Fixed, settlementPrice: Fixed): Fixed {
  const intrinsic = intrinsicValue(ins, strike, settlementPrice);
  if (intrinsic === 0n) return ZERO;
  if (ins.inverse) return divRound(qty * intrinsic * ins.contractSize, settlementPrice * SCALE) as Fixed;
  return divRound(qty * intrinsic * ins.contractSize, SCALE_SQUARED) as Fixed;
}

/**
 * Account equity in the reporting currency:
 *   Σ_ccy cash[ccy]·fx(ccy) + Σ_positions marketValue·fx(valueCurrency).
 * Each product with an fx rate ROUNDS once (a reporting conversion, not a ledger amount).
 * Terms without a usable mark or fx rate are left out and named in `missing`
 * (`mark:<instrument id>`, `fx:<currency>`), sorted, so a caller can fail closed.
 */
export function accountEquity(
  ledger: Ledger,
  account: number,
  mark: (instrument: number) => Fixed | undefined,
  toReporting: (currency: string) => Fixed | undefined,
): { equity: Fixed; missing: string[] } {
  let equity = 0n;
  const missing = new Set<string>();
  const convert = (amount: bigint, currency: string): void => {
    if (amount === 0n) return;
    const rate = toReporting(currency);
    if (typeof rate !== 'bigint') {
      missing.add(`fx:${currency}`);
      return;
    }
    equity += divRound(amount * rate, SCALE);
  };
  for (const [currency, amount] of ledger.balances(account)) convert(amount, currency);
  for (const pos of ledger.positions(account)) {
    if (pos.qty === 0n) continue; // flat: cost is 0, value is 0 at any mark
    const ins = ledger.registry.get(pos.instrument);
    const m = mark(pos.instrument);
    const value = m === undefined ? undefined : valuePosition(ins, pos, m);
    if (value === undefined || !value.ok) {
      missing.add(`mark:${ins.id}`);
      continue;
    }
    convert(value.marketValue, valueCurrency(ins));
  }
  return { equity: equity as Fixed, missing: [...missing].sort() };
}
