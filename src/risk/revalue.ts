/**
 * The full recompute on the revalue clock: every instrument's units at current marks and fx,
 * every aggregate rebuilt from the legs, cash and live reservations, and the VaR books' exposure
 * vectors re-priced. Incremental updates between ticks are exact algebra; this bounds their
 * floating-point drift and folds in fx moves (docs/risk-engine.md, "Clocks").
 */
import { settlePendingFlows } from './apply-execution.js';
import { NU_DELTA, NU_GAMMA, NU_GROSS, NU_RESERVATION_FIELDS, NU_UNITS, NU_VEGA } from './exposures.js';
import { reservationAggregates } from './reserve.js';
import type { EngineState } from './state.js';

export function revalueAll(state: EngineState, repriceVar = true): void {
  const m = state.market;
  const u = state.universe;
  const a = state.agg;
  const now = state.now;
  state.counters.revalues++;

  for (const ins of state.registry.all) {
    if (m.mark[ins.idx]! > 0) m.computeUnits(ins, now);
  }

  a.clearPositions();
  a.cashValue.fill(0);
  const nu = a.nu;
  for (const leg of state.legs.values()) {
    const i = leg.instrument;
    const q = leg.qtyF;
    if (m.unitsOk[i] === 1) {
      leg.value = q * m.uValue[i]! + leg.costF * m.uCost[i]!;
      leg.net = q * m.uNotional[i]!;
      leg.gross = Math.abs(leg.net);
      leg.im = Math.abs(q) * m.uIm[i]!;
      leg.delta = q * m.uDelta[i]!;
      leg.units = Math.abs(leg.delta);
      leg.gamma = q * m.uGamma[i]!;
      leg.vega = q * m.uVega[i]!;
      leg.priced = true;
    } else if (q === 0) {
      leg.value = leg.net = leg.gross = leg.im = leg.delta = leg.units = leg.gamma = leg.vega = 0;
      leg.priced = true;
    } else {
      leg.priced = false; // keeps its last known contribution
    }
    const ui = u.underlyingOf[i]!;
    for (let k = 0; k < 3; k++) {
      const node = leg.chain[k]!;
      if (!leg.priced) a.unpricedLegs[node]! += 1;
      a.posGross[node]! += leg.gross;
      a.posNet[node]! += leg.net;
      a.posIm[node]! += leg.im;
      a.posValue[node]! += leg.value;
      const base = a.nuBase(node, ui);
      nu[base + NU_GROSS]! += leg.gross;
      nu[base + NU_UNITS]! += leg.units;
      nu[base + NU_DELTA]! += leg.delta;
      nu[base + NU_GAMMA]! += leg.gamma;
      nu[base + NU_VEGA]! += leg.vega;
    }
  }

  const cc = u.currencies.length;
  for (const acc of u.accounts) {
    let cash = 0;
    for (let c = 0; c < cc; c++) {
      const slot = acc.idx * cc + c;
      const amount = state.accountCash[slot]!;
      const fx = m.fx(c);
      if (fx === fx) state.cashValues[slot] = amount * fx;
      cash += state.cashValues[slot]!;
    }
    a.cashValue[acc.node]! += cash;
    a.cashValue[acc.strategyNode]! += cash;
    a.cashValue[0]! += cash;
  }
  const vs = a.venueCount;
  for (const acc of u.accounts) {
    const e = Math.max(0, a.equity(acc.node));
    a.venueExposure[acc.node * vs + acc.venue]! += e;
    a.venueExposure[acc.strategyNode * vs + acc.venue]! += e;
    a.venueExposure[acc.venue]! += e;
  }
  // Flows booked before their currency had a price count at the first price seen.
  for (let c = 0; c < u.currencies.length && state.pendingFlows.length > 0; c++) settlePendingFlows(state, c);
  for (let node = 0; node < a.nodeCount; node++) {
    const e = a.equity(node);
    if (e > a.peakEquity[node]!) a.peakEquity[node] = e;
  }

  for (const arr of [a.resGross, a.resNet, a.resIm, a.resVarBound, a.resVenue]) arr.fill(0);
  a.clearNu(NU_RESERVATION_FIELDS);
  for (const r of state.reservations.all()) reservationAggregates(state, r, r.remainingF);

  if (repriceVar) repriceVarBooks(state);
}

/** Rebuilds every node's VaR exposure vector at current units and recomputes g and σ². */
function repriceVarBooks(state: EngineState): void {
  const m = state.market;
  const u = state.universe;
  const n = u.n;
  const w = state.varScratch;
  w.fill(0);
  for (const leg of state.legs.values()) {
    const i = leg.instrument;
    if (m.unitsOk[i] === 1) leg.varW = leg.qtyF * m.uNotional[i]!;
    if (leg.varW === 0) continue;
    const f = u.factorOf[i]!;
    w[leg.chain[0] * n + f]! += leg.varW;
    w[leg.chain[1] * n + f]! += leg.varW;
    w[f]! += leg.varW;
  }
  for (let node = 0; node < u.nodeCount; node++) {
    state.books[node]!.restore(w.subarray(node * n, node * n + n));
  }
}
