/**
 * The pre-trade check: validate, resolve, compute the order's facts once, run the catalogue,
 * and on approval reserve the order's worst-case exposure. Never throws: an internal fault
 * rejects with ENGINE_ERROR (fail closed).
 */
import { stepsFromFixed, stepsFromText } from './lots.js';
import { CheckContext } from './checks/context.js';
import { DATA_CHECK, PRICED_CHECKS, STATIC_CHECKS } from './checks/catalogue.js';
import type { Order } from './events.js';
import { applyReservation } from './reserve.js';
import type { Decision, Reason } from './reasons.js';
import { Reservation } from './reservations.js';
import type { EngineState } from './state.js';
import { validateOrder } from './validate.js';

/** Marks a value as having passed the pre-trade check; only this module creates one. */
declare const approvedBrand: unique symbol;
export type Approved<T> = T & { readonly [approvedBrand]: true };

export interface ApprovedDecision extends Decision {
  approved: true;
  order: Approved<Order>;
}

const NO_REASONS: Reason[] = Object.freeze([]) as unknown as Reason[];

export function isApproved(d: Decision): d is ApprovedDecision {
  return d.approved;
}

export class Checker {
  private readonly state: EngineState;
  private readonly ctx: CheckContext;

  constructor(state: EngineState) {
    this.state = state;
    this.ctx = new CheckContext(state);
  }

  check(input: unknown): Decision {
    const state = this.state;
    const t0 = state.timer();
    let decision: Decision;
    try {
      decision = this.evaluate(input);
    } catch (e) {
      decision = errorDecision(input, state.now, e);
    }
    decision.computeNs = state.timer() - t0;
    state.counters.checks++;
    if (decision.approved) state.counters.approved++;
    else state.counters.rejected++;
    return decision;
  }

  private evaluate(input: unknown): Decision {
    const state = this.state;
    const ctx = this.ctx;
    ctx.reset();
    ctx.now = state.now;
    const v = validateOrder(input);
    if (!v.ok) {
      const reasons: Reason[] = v.errors.map((e) => ({
        code: 'INVALID_ORDER',
        scope: 'order',
        target: e.field,
        limit: null,
        observed: null,
        projected: null,
        utilization: null,
        detail: e.problem,
      }));
      return makeDecision(input, state.now, false, reasons);
    }
    const order = v.order;
    ctx.clOrdId = order.clOrdId;
    ctx.accountId = order.account;
    ctx.instrumentId = order.instrument;
    const u = state.universe;
    const a = u.accountOf(order.account);
    const i = state.registry.indexOf(order.instrument);
    if (a < 0) ctx.fail('REF_UNKNOWN_ACCOUNT', 'account', order.account, null, null, null, 'no such account');
    if (i < 0) ctx.fail('REF_UNKNOWN_INSTRUMENT', 'instrument', order.instrument, null, null, null, 'no such instrument');
    if (ctx.reasons !== null) return makeDecision(order, state.now, false, ctx.reasons);

    const account = u.accounts[a]!;
    const ins = state.registry.get(i);
    ctx.account = account;
    ctx.ins = ins;
    ctx.i = i;
    ctx.chain = account.chain;
    ctx.side = order.side === 'buy' ? 1 : -1;
    ctx.isMarket = order.type === 'market';
    ctx.reduceOnly = order.reduceOnly === true;
    ctx.qty = v.qty;
    ctx.qtyF = Number(order.qty);
    ctx.price = v.price;
    ctx.priceF = v.price === null ? Number.NaN : Number(order.price);
    ctx.priceText = order.price ?? '';
    ctx.underlying = u.underlyingOf[i]!;
    ctx.venue = u.venueOf[i]!;
    ctx.factor = u.factorOf[i]!;

    // Quantities in lots: exact integers in float64 (src/risk/lots.ts), no bigint on the hot path.
    const lot = u.lots[i]!;
    let qtyLots = stepsFromText(order.qty, lot);
    if (qtyLots !== qtyLots) qtyLots = stepsFromFixed(v.qty, lot); // off the grid or long: rejected by `increments`
    ctx.lot = lot;
    ctx.qtyLots = qtyLots;
    const nq = state.nodeQty(account.node, i);
    const worst = nq.qtyLots + (ctx.side === 1 ? nq.resBuyLots : -nq.resSellLots);
    const projected = worst + ctx.side * qtyLots;
    ctx.worstLots = worst;
    ctx.projectedLots = projected;
    ctx.worstCaseF = worst * lot.value;
    ctx.projectedF = projected * lot.value;
    ctx.increasesRisk = Math.abs(projected) > Math.abs(worst) || (worst !== 0 && projected !== 0 && worst < 0 !== projected < 0);

    const m = state.market;
    if (m.unitsStale[i] === 1) m.computeUnits(ins, state.now);
    for (let k = 0; k < STATIC_CHECKS.length; k++) STATIC_CHECKS[k]!.run(ctx);
    const before = ctx.reasonCount;
    DATA_CHECK.run(ctx);
    const dataOk = ctx.reasonCount === before;
    if (dataOk) {
      computeImpacts(state, ctx);
      ctx.priced = true;
      for (let k = 0; k < PRICED_CHECKS.length; k++) PRICED_CHECKS[k]!.run(ctx);
    }
    if (ctx.reasons !== null) return makeDecision(order, state.now, false, ctx.reasons);

    reserve(state, ctx);
    return makeDecision(order, state.now, true, NO_REASONS);
  }
}

/** The order's effect on each aggregate, from its instrument's current per-contract units. */
function computeImpacts(state: EngineState, ctx: CheckContext): void {
  const m = state.market;
  const i = ctx.i;
  const ins = ctx.ins;
  const mark = m.mark[i]!;
  ctx.refPrice = mark;
  let exec = ctx.priceF;
  if (ctx.isMarket) {
    const best = ctx.side === 1 ? m.ask[i]! : m.bid[i]!;
    let slip = 0;
    for (let k = 0; k < 3; k++) {
      const s = state.limits[ctx.chain[k]!]!.marketOrderSlippagePct;
      if (s === s && s > slip) slip = s;
    }
    exec = best > 0 ? best * (1 + ctx.side * slip) : mark;
  }
  ctx.execPrice = exec;
  const u = state.universe;
  const fxQuote = m.fx(u.quoteCcyOf[i]!);
  const cs = ins.contractSizeF;
  if (ins.isOption) ctx.orderNotional = ctx.qtyF * cs * m.forward[i]! * fxQuote;
  else if (ins.inverse) ctx.orderNotional = ctx.qtyF * cs * fxQuote;
  else ctx.orderNotional = ctx.qtyF * cs * exec * fxQuote;

  const dq = ctx.side * ctx.qtyF;
  const absGrowth = Math.abs(ctx.worstCaseF + dq) - Math.abs(ctx.worstCaseF);
  const uNotional = m.uNotional[i]!;
  ctx.grossImpact = absGrowth * Math.abs(uNotional);
  ctx.netImpact = dq * uNotional;
  ctx.imImpact = absGrowth * m.uIm[i]!;
  ctx.unitsImpact = absGrowth * Math.abs(m.uDelta[i]!);
  ctx.deltaImpact = dq * m.uDelta[i]!;
  ctx.gammaImpact = dq * m.uGamma[i]!;
  ctx.vegaImpact = dq * m.uVega[i]!;
  ctx.varImpact = dq * uNotional;
}

/** Registers an approved order: duplicate window, rate windows, reservation. */
function reserve(state: EngineState, ctx: CheckContext): void {
  const now = state.now;
  state.duplicates[ctx.account.idx]!.add(ctx.clOrdId, now);
  for (let k = 0; k < 3; k++) state.rates[ctx.chain[k]!]!.push(now);
  const m = state.market;
  const i = ctx.i;
  const priced = m.unitsOk[i] === 1;
  const side = ctx.side;
  const uNotional = priced ? m.uNotional[i]! : 0;
  const r = new Reservation(ctx.clOrdId, ctx.account.idx, i, side, ctx.qtyLots, ctx.qtyF, now, now + state.config.reservations.pendingTtlMs, {
    gross: Math.abs(uNotional),
    net: side * uNotional,
    im: priced ? m.uIm[i]! : 0,
    units: priced ? Math.abs(m.uDelta[i]!) : 0,
    delta: priced ? side * m.uDelta[i]! : 0,
    gamma: priced ? side * m.uGamma[i]! : 0,
    vega: priced ? side * m.uVega[i]! : 0,
    varBound: Math.abs(uNotional) * state.factorSigma(ctx.factor),
  });
  state.reservations.add(r);
  applyReservation(state, r, ctx.qtyLots, ctx.qtyF, 1);
}

function makeDecision(source: unknown, ts: number, approved: boolean, reasons: Reason[]): Decision {
  const o = (typeof source === 'object' && source !== null ? source : {}) as Partial<Record<'clOrdId' | 'account' | 'instrument', unknown>>;
  const decision: Decision = {
    approved,
    clOrdId: typeof o.clOrdId === 'string' ? o.clOrdId : '',
    account: typeof o.account === 'string' ? o.account : '',
    instrument: typeof o.instrument === 'string' ? o.instrument : '',
    ts,
    reasons,
    computeNs: 0,
  };
  if (approved) (decision as ApprovedDecision).order = source as Approved<Order>;
  return decision;
}

function errorDecision(input: unknown, ts: number, e: unknown): Decision {
  const message = e instanceof Error ? e.message : String(e);
  return makeDecision(input, ts, false, [
    { code: 'ENGINE_ERROR', scope: 'order', target: '', limit: null, observed: null, projected: null, utilization: null, detail: message },
  ]);
}

