/**
 * Adds or removes a reservation's contribution to its account, strategy and firm. Removal uses
 * the same frozen per-contract values as the addition, so a full release returns every aggregate
 * to where it was (up to float rounding, which the periodic revalue clears).
 */
import { toNumber, type Fixed } from '../portfolio/fixed.js';
import type { Reservation } from './reservations.js';
import type { EngineState } from './state.js';

/** The float aggregates only: `dq` contracts (signed: + add, - remove). */
export function reservationAggregates(state: EngineState, r: Reservation, dq: number): void {
  const u = state.universe;
  const a = state.agg;
  const account = u.accounts[r.account]!;
  const ui = u.underlyingOf[r.instrument]!;
  const us = a.underlyingCount;
  const venue = u.venueOf[r.instrument]!;
  for (let k = 0; k < 3; k++) {
    const node = k === 0 ? account.node : k === 1 ? account.strategyNode : 0;
    a.resGross[node]! += dq * r.grossPer;
    a.resNet[node]! += dq * r.netPer;
    a.resIm[node]! += dq * r.imPer;
    a.resVarBound[node]! += dq * r.varBoundPer;
    a.resVenue[node * a.venueCount + venue]! += dq * r.grossPer;
    const slot = node * us + ui;
    a.resGrossU[slot]! += dq * r.grossPer;
    a.resUnitsU[slot]! += dq * r.unitsPer;
    if (r.deltaPer >= 0) a.resDeltaPos[slot]! += dq * r.deltaPer;
    else a.resDeltaNeg[slot]! += dq * r.deltaPer;
    if (r.gammaPer >= 0) a.resGammaPos[slot]! += dq * r.gammaPer;
    else a.resGammaNeg[slot]! += dq * r.gammaPer;
    if (r.vegaPer >= 0) a.resVegaPos[slot]! += dq * r.vegaPer;
    else a.resVegaNeg[slot]! += dq * r.vegaPer;
  }
}

export function applyReservation(state: EngineState, r: Reservation, qty: Fixed, qtyF: number, sign: 1 | -1): void {
  reservationAggregates(state, r, sign * qtyF);
  const account = state.universe.accounts[r.account]!;
  const dExact = (sign === 1 ? qty : -qty) as Fixed;
  for (let k = 0; k < 3; k++) {
    const node = k === 0 ? account.node : k === 1 ? account.strategyNode : 0;
    const nq = state.mutableNodeQty(node, r.instrument);
    if (r.side === 1) nq.resBuy = (nq.resBuy + dExact) as Fixed;
    else nq.resSell = (nq.resSell + dExact) as Fixed;
  }
  const leg = state.leg(r.account, r.instrument);
  if (r.side === 1) leg.resBuy = (leg.resBuy + dExact) as Fixed;
  else leg.resSell = (leg.resSell + dExact) as Fixed;
  if (sign === 1) state.listHolder(leg);
  else state.unlistHolder(leg);
}

/** Releases up to `qty` of a reservation (fill, cancel, reject, expiry); removes it when done. */
export function releaseReservation(state: EngineState, r: Reservation, qty: Fixed | null): Fixed {
  const take = (qty === null || qty > r.remaining ? r.remaining : qty) as Fixed;
  if (take <= 0n) return take;
  const takeF = take === r.remaining ? r.remainingF : toNumber(take);
  applyReservation(state, r, take, takeF, -1);
  r.remaining = (r.remaining - take) as Fixed;
  r.remainingF = r.remaining === 0n ? 0 : r.remainingF - takeF;
  if (r.remaining === 0n) state.reservations.remove(r);
  return take;
}
