/**
 * Adds or removes a reservation's contribution to its account, strategy and firm. Removal uses
 * the same frozen per-contract values as the addition, so a full release returns every aggregate
 * to where it was (up to float rounding, which the periodic revalue clears).
 */
import {
  NU_RES_DELTA_NEG,
  NU_RES_DELTA_POS,
  NU_RES_GAMMA_NEG,
  NU_RES_GAMMA_POS,
  NU_RES_GROSS,
  NU_RES_UNITS,
  NU_RES_VEGA_NEG,
  NU_RES_VEGA_POS,
} from './exposures.js';
import type { Reservation } from './reservations.js';
import type { EngineState } from './state.js';

/** The float aggregates only: `dq` contracts (signed: + add, - remove). */
export function reservationAggregates(state: EngineState, r: Reservation, dq: number): void {
  const u = state.universe;
  const a = state.agg;
  const account = u.accounts[r.account]!;
  const ui = u.underlyingOf[r.instrument]!;
  const venue = u.venueOf[r.instrument]!;
  for (let k = 0; k < 3; k++) {
    const node = k === 0 ? account.node : k === 1 ? account.strategyNode : 0;
    a.resGross[node]! += dq * r.grossPer;
    a.resNet[node]! += dq * r.netPer;
    a.resIm[node]! += dq * r.imPer;
    a.resVarBound[node]! += dq * r.varBoundPer;
    a.resVenue[node * a.venueCount + venue]! += dq * r.grossPer;
    const base = a.nuBase(node, ui);
    const nu = a.nu;
    nu[base + NU_RES_GROSS]! += dq * r.grossPer;
    nu[base + NU_RES_UNITS]! += dq * r.unitsPer;
    nu[base + (r.deltaPer >= 0 ? NU_RES_DELTA_POS : NU_RES_DELTA_NEG)]! += dq * r.deltaPer;
    nu[base + (r.gammaPer >= 0 ? NU_RES_GAMMA_POS : NU_RES_GAMMA_NEG)]! += dq * r.gammaPer;
    nu[base + (r.vegaPer >= 0 ? NU_RES_VEGA_POS : NU_RES_VEGA_NEG)]! += dq * r.vegaPer;
  }
}

export function applyReservation(state: EngineState, r: Reservation, lots: number, qtyF: number, sign: 1 | -1): void {
  reservationAggregates(state, r, sign * qtyF);
  const account = state.universe.accounts[r.account]!;
  const d = sign * lots;
  for (let k = 0; k < 3; k++) {
    const node = account.chain[k]!;
    const nq = state.mutableNodeQty(node, r.instrument);
    if (r.side === 1) nq.resBuyLots += d;
    else nq.resSellLots += d;
  }
  const leg = state.leg(r.account, r.instrument);
  if (r.side === 1) leg.resBuyLots += d;
  else leg.resSellLots += d;
  if (sign === 1) state.listHolder(leg);
  else state.unlistHolder(leg);
}

/** Releases up to `lots` of a reservation (fill, cancel, reject, expiry); removes it when done. */
export function releaseReservation(state: EngineState, r: Reservation, lots: number | null): number {
  const take = lots === null || !(lots < r.remainingLots) ? r.remainingLots : lots;
  if (!(take > 0)) return 0;
  const whole = take === r.remainingLots;
  const takeF = whole ? r.remainingF : take * state.universe.lots[r.instrument]!.value;
  applyReservation(state, r, take, takeF, -1);
  r.remainingLots -= take;
  r.remainingF = whole ? 0 : r.remainingF - takeF;
  if (r.remainingLots === 0) state.reservations.remove(r);
  return take;
}
