/**
 * Execution reports from gateways: the ledger books them exactly, then the engine mirrors the new
 * position into its risk aggregates, converts or releases the order's reservation, and syncs the
 * VaR books. Reports that cannot be applied raise an alert with the reason and change nothing.
 */
import { parseFixed, toNumber, type Fixed } from '../portfolio/fixed.js';
import type { Instrument } from '../portfolio/instruments.js';
import type { ExecutionEvent, FillEvent, FundingEvent, OrderAckEvent, OrderCancelEvent, OrderRejectEvent, SettlementEvent, TransferEvent } from './events.js';
import { addEquity, revalueLeg } from './exposures.js';
import { stepsFromFixed } from './lots.js';
import type { AlertCode } from './outputs.js';
import { releaseReservation } from './reserve.js';
import type { EngineState } from './state.js';
import { evaluateChain } from './triggers.js';
import { syncLegVar } from './var-sync.js';

export function applyExecution(state: EngineState, ev: ExecutionEvent): void {
  switch (ev.type) {
    case 'fill':
      return applyFill(state, ev);
    case 'order.ack':
      return applyAck(state, ev);
    case 'order.reject':
    case 'order.cancel':
      return applyRelease(state, ev);
    case 'funding':
      return applyFunding(state, ev);
    case 'transfer':
      return applyTransfer(state, ev);
    case 'settlement':
      return applySettlement(state, ev);
  }
}

function alert(state: EngineState, code: AlertCode, severity: 'info' | 'warning' | 'critical', scope: 'account' | 'instrument', target: string, message: string): void {
  state.emit({ type: 'alert', ts: state.now, code, severity, scope, target, message });
}

function resolveAccount(state: EngineState, id: string, what: string): number {
  const a = state.universe.accountOf(id);
  if (a < 0) alert(state, 'EXECUTION_REJECTED', 'warning', 'account', id, `${what}: unknown account`);
  return a;
}

function resolveInstrument(state: EngineState, id: string, account: string, what: string): Instrument | undefined {
  const ins = state.registry.byCanonical(id);
  if (ins === undefined) alert(state, 'EXECUTION_REJECTED', 'warning', 'account', account, `${what}: unknown instrument ${id}`);
  return ins;
}

function exact(state: EngineState, text: string | undefined, field: string, account: string, what: string): Fixed | null | undefined {
  if (text === undefined) return undefined;
  const r = parseFixed(text);
  if (r.ok) return r.value;
  alert(state, 'EXECUTION_REJECTED', 'warning', 'account', account, `${what}: ${field} ${JSON.stringify(text)} is not a valid decimal (${r.error})`);
  return null;
}

function applyFill(state: EngineState, ev: FillEvent): void {
  const what = `fill ${ev.execId}`;
  const a = resolveAccount(state, ev.account, what);
  const ins = resolveInstrument(state, ev.instrument, ev.account, what);
  if (a < 0 || ins === undefined) return;
  const qty = exact(state, ev.qty, 'qty', ev.account, what);
  const price = exact(state, ev.price, 'price', ev.account, what);
  const fee = exact(state, ev.fee, 'fee', ev.account, what);
  if (qty == null || price == null || fee === null) return;
  const res = state.ledger.applyFill({
    account: a,
    instrument: ins,
    execId: ev.execId,
    side: ev.side,
    qty,
    price,
    fee: fee ?? undefined,
    feeCurrency: ev.feeCurrency,
  });
  if (!res.ok) {
    if (res.code === 'DUPLICATE') {
      state.counters.duplicateExecutions++;
      return;
    }
    alert(state, 'EXECUTION_REJECTED', 'warning', 'account', ev.account, `${what}: ${res.code}: ${res.detail}`);
    return;
  }
  const dValue = updatePosition(state, a, ins, res.position.qty, res.position.cost);
  applyCash(state, a, res.cashDeltas, dValue);
  if (ev.clOrdId !== undefined) {
    const r = state.reservations.get(a, ev.clOrdId);
    if (r !== undefined) releaseReservation(state, r, stepsFromFixed(qty, state.universe.lots[ins.idx]!));
    else alert(state, 'ORDER_REPORT_UNKNOWN', 'warning', 'account', ev.account, `${what} for order ${ev.clOrdId} that has no open reservation`);
  } else {
    alert(state, 'FILL_WITHOUT_ORDER', 'info', 'account', ev.account, `${what} carries no client order id (liquidation or manual trade?)`);
  }
  evaluateChain(state, state.leg(a, ins.idx).chain);
}

/**
 * Mirrors a new exact position into the leg, the nodes' exact quantities, VaR and aggregates.
 * Returns the change of the leg's equity contribution, for the caller to book with the cash.
 */
function updatePosition(state: EngineState, account: number, ins: Instrument, qty: Fixed, cost: Fixed): number {
  const i = ins.idx;
  const leg = state.leg(account, i);
  const dQty = (qty - leg.qty) as Fixed;
  leg.qty = qty;
  leg.qtyF = toNumber(qty);
  leg.costF = toNumber(cost);
  const dLots = stepsFromFixed(dQty, state.universe.lots[i]!);
  for (let k = 0; k < 3; k++) state.mutableNodeQty(leg.chain[k]!, i).qtyLots += dLots;
  const m = state.market;
  if (m.unitsStale[i] === 1 || m.unitsOk[i] !== 1) m.computeUnits(ins, state.now);
  syncLegVar(state, leg);
  const dValue = revalueLeg(leg, m, state.universe, state.agg, true);
  if (leg.isEmpty) state.unlistHolder(leg);
  else state.listHolder(leg);
  return dValue;
}

/** Books cash changes (exact in the ledger), with any position value change, into equity at once. */
function applyCash(state: EngineState, account: number, deltas: ReadonlyMap<string, Fixed>, dPositionValue = 0): void {
  const u = state.universe;
  const info = u.accounts[account]!;
  const cc = u.currencies.length;
  let dValue = 0;
  for (const [ccy, amount] of deltas) {
    const c = u.currencyIdx(ccy);
    if (c < 0 || amount === 0n) continue;
    const slot = account * cc + c;
    const before = state.accountCash[slot]!;
    const after = before + toNumber(amount);
    state.accountCash[slot] = after;
    if (before === 0 && after !== 0) state.cashHolders[c]!.push(account);
    else if (after === 0 && before !== 0) removeHolder(state.cashHolders[c]!, account);
    dValue += revalueCash(state, account, c);
  }
  if (dValue !== 0 || dPositionValue !== 0) addEquity(info.chain, dPositionValue, dValue, state.agg, info.venue);
}

/** Re-prices one cash balance at the current fx; returns the change of its value (reporting ccy). */
export function revalueCash(state: EngineState, account: number, currency: number): number {
  const slot = account * state.universe.currencies.length + currency;
  const fx = state.market.fx(currency);
  if (fx !== fx) return 0; // unpriced: keeps its last value until the currency has a price
  const value = state.accountCash[slot]! * fx;
  const d = value - state.cashValues[slot]!;
  state.cashValues[slot] = value;
  return d;
}

function removeHolder(list: number[], account: number): void {
  const k = list.indexOf(account);
  if (k >= 0) list.splice(k, 1);
}

function applyAck(state: EngineState, ev: OrderAckEvent): void {
  const a = resolveAccount(state, ev.account, `ack ${ev.clOrdId}`);
  if (a < 0) return;
  const r = state.reservations.get(a, ev.clOrdId);
  if (r === undefined) {
    alert(state, 'ORDER_REPORT_UNKNOWN', 'warning', 'account', ev.account, `ack for order ${ev.clOrdId} that has no open reservation`);
    return;
  }
  state.reservations.ack(r, state.now + state.config.reservations.openTtlMs);
}

function applyRelease(state: EngineState, ev: OrderRejectEvent | OrderCancelEvent): void {
  const what = `${ev.type === 'order.reject' ? 'reject' : 'cancel'} ${ev.clOrdId}`;
  const a = resolveAccount(state, ev.account, what);
  if (a < 0) return;
  const r = state.reservations.get(a, ev.clOrdId);
  if (r === undefined) {
    alert(state, 'ORDER_REPORT_UNKNOWN', 'warning', 'account', ev.account, `${what}: no open reservation`);
    return;
  }
  releaseReservation(state, r, null);
}

function applyFunding(state: EngineState, ev: FundingEvent): void {
  const what = `funding ${ev.fundingId}`;
  const a = resolveAccount(state, ev.account, what);
  const ins = resolveInstrument(state, ev.instrument, ev.account, what);
  if (a < 0 || ins === undefined) return;
  const amount = exact(state, ev.amount, 'amount', ev.account, what);
  const rate = exact(state, ev.rate, 'rate', ev.account, what);
  const mark = exact(state, ev.markPrice, 'markPrice', ev.account, what);
  if (amount === null || rate === null || mark === null) return;
  const res = state.ledger.applyFunding({ account: a, instrument: ins, fundingId: ev.fundingId, amount, rate, markPrice: mark });
  if (!res.ok) {
    if (res.code === 'DUPLICATE') state.counters.duplicateExecutions++;
    else alert(state, 'EXECUTION_REJECTED', 'warning', 'account', ev.account, `${what}: ${res.code}: ${res.detail}`);
    return;
  }
  applyCash(state, a, new Map([[ins.spec.settle, res.amount]]));
  evaluateChain(state, state.leg(a, ins.idx).chain);
}

function applyTransfer(state: EngineState, ev: TransferEvent): void {
  const what = `transfer ${ev.transferId}`;
  const a = resolveAccount(state, ev.account, what);
  if (a < 0) return;
  const amount = exact(state, ev.amount, 'amount', ev.account, what);
  if (amount == null) return;
  const c = state.universe.currencyIdx(ev.currency);
  if (c < 0) {
    alert(state, 'EXECUTION_REJECTED', 'warning', 'account', ev.account, `${what}: unknown currency ${ev.currency}`);
    return;
  }
  const res = state.ledger.applyTransfer({ account: a, transferId: ev.transferId, currency: ev.currency, amount });
  if (!res.ok) {
    if (res.code === 'DUPLICATE') state.counters.duplicateExecutions++;
    else alert(state, 'EXECUTION_REJECTED', 'warning', 'account', ev.account, `${what}: ${res.code}: ${res.detail}`);
    return;
  }
  // An external flow is not P&L: it moves the day's baseline and the drawdown peak with it.
  const fx = state.market.fx(c);
  if (fx === fx) recordFlow(state, a, toNumber(amount) * fx);
  else state.pendingFlows.push({ account: a, currency: c, amount: toNumber(amount) });
  applyCash(state, a, new Map([[ev.currency, amount]]));
}

/**
 * Values the deposits/withdrawals booked while `currency` had no price, at its first price; call
 * before the balances in that currency are valued, so the flow never shows up as profit.
 */
export function settlePendingFlows(state: EngineState, currency: number): void {
  if (state.pendingFlows.length === 0) return;
  const fx = state.market.fx(currency);
  if (fx !== fx) return;
  state.pendingFlows = state.pendingFlows.filter((f) => {
    if (f.currency !== currency) return true;
    recordFlow(state, f.account, f.amount * fx);
    return false;
  });
}

/** Adds an external flow (reporting ccy) to the day's baseline and the drawdown peak of a chain. */
export function recordFlow(state: EngineState, account: number, value: number): void {
  const info = state.universe.accounts[account]!;
  for (const node of [info.node, info.strategyNode, 0]) {
    state.agg.flows[node]! += value;
    state.agg.peakEquity[node]! += value;
  }
}

function applySettlement(state: EngineState, ev: SettlementEvent): void {
  const ins = state.registry.byCanonical(ev.instrument);
  if (ins === undefined) {
    state.emit({ type: 'alert', ts: state.now, code: 'EXECUTION_REJECTED', severity: 'warning', scope: 'instrument', target: ev.instrument, message: 'settlement for an unknown instrument' });
    return;
  }
  const price = parseFixed(ev.price);
  if (!price.ok || price.value <= 0n) {
    state.emit({ type: 'alert', ts: state.now, code: 'EXECUTION_REJECTED', severity: 'warning', scope: 'instrument', target: ev.instrument, message: `settlement price ${JSON.stringify(ev.price)} invalid` });
    return;
  }
  const res = state.ledger.applySettlement(ins, price.value);
  if (!res.ok) {
    if (res.code !== 'ALREADY_SETTLED') {
      state.emit({ type: 'alert', ts: state.now, code: 'EXECUTION_REJECTED', severity: 'warning', scope: 'instrument', target: ev.instrument, message: `${res.code}: ${res.detail}` });
    }
    return;
  }
  for (const s of res.settled) {
    const pos = state.ledger.position(s.account, ins.idx);
    const dValue = updatePosition(state, s.account, ins, pos?.qty ?? (0n as Fixed), pos?.cost ?? (0n as Fixed));
    applyCash(state, s.account, new Map([[ins.spec.settle, s.cashDelta]]), dValue);
    evaluateChain(state, state.leg(s.account, ins.idx).chain);
  }
}
