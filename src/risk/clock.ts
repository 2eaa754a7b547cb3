/**
 * Engine time and the fixed clocks that hang off it. Time only comes in with events (the `ts` of
 * each envelope), so replaying a log reproduces every clock tick at the same point:
 *   - reservation TTLs, checked on every event;
 *   - the revalue clock (`var.revalueIntervalMs`): fx-dependent units and a full recompute of every
 *     aggregate from the legs (bounds float drift);
 *   - the reprice clock (`var.repriceIntervalMs`): the VaR books' exposure vectors re-priced at
 *     current marks and recomputed (O(n · nonzero) per book, the costliest tick);
 *   - the VaR sample clock (`var.sampleIntervalMs`, aligned to the epoch: daily = 00:00 UTC):
 *     returns of every factor since the last sample update the EWMA covariance;
 *   - the UTC day roll: start-of-day equity for the daily loss limit, and a new generation of the
 *     ledger's execution-id dedupe (ids are remembered for one to two days).
 */
import { revalueAll } from './revalue.js';
import { releaseReservation } from './reserve.js';
import type { EngineState } from './state.js';

const DAY_MS = 86_400_000;

export function advance(state: EngineState, ts: number): void {
  if (ts > state.now) state.now = ts;
  const now = state.now;
  if (now >= state.nextDayRoll) {
    dayRoll(state);
    state.nextDayRoll = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  }
  const sampleEvery = state.config.var.sampleIntervalMs;
  const sampled = now >= state.nextSample;
  if (sampled) {
    sample(state, state.nextSample !== Number.NEGATIVE_INFINITY);
    state.nextSample = Math.floor(now / sampleEvery) * sampleEvery + sampleEvery;
  }
  // A new covariance needs the VaR books recomputed; otherwise they are re-priced on their own clock.
  const reprice = sampled || now >= state.nextReprice;
  if (reprice || now >= state.nextRevalue) {
    revalueAll(state, reprice);
    state.nextRevalue = nextTick(now, state.config.var.revalueIntervalMs);
    if (reprice) state.nextReprice = nextTick(now, state.config.var.repriceIntervalMs);
  }
  const due = state.reservations.expired(now);
  for (let k = 0; k < due.length; k++) {
    const r = due[k]!;
    state.counters.expiredReservations++;
    state.emit({
      type: 'alert',
      ts: now,
      code: 'RESERVATION_EXPIRED',
      severity: 'warning',
      scope: 'account',
      target: state.universe.accounts[r.account]!.id,
      message: `order ${r.clOrdId} on ${state.registry.get(r.instrument).id}: no ${r.acked ? 'fill or cancel' : 'ack'} within the TTL; reservation of ${r.remainingF} released`,
    });
    releaseReservation(state, r, null);
  }
}

function nextTick(now: number, every: number): number {
  return Math.floor(now / every) * every + every;
}

function dayRoll(state: EngineState): void {
  // Execution, funding and transfer ids are remembered for one to two UTC days (docs/ledger.md
  // §5): rotating on the engine's own day clock keeps the ledger's memory bounded and replays
  // rotate at the same events. A host that persists snapshots takes one right after this.
  state.ledger.rotateDedupe();
  const a = state.agg;
  for (let node = 0; node < a.nodeCount; node++) {
    a.sodEquity[node] = a.equity(node);
    a.flows[node] = 0;
  }
}

/**
 * One VaR sample: log returns of every factor instrument since the previous sample update the
 * EWMA covariance (instruments without two marks contribute no return this time).
 */
function sample(state: EngineState, update: boolean): void {
  const m = state.market;
  const n = state.universe.n;
  if (update) {
    const returns = new Float64Array(n);
    const present = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (state.universe.factorOf[i] !== i) continue;
      const now = m.mark[i]!;
      const then = state.sampleMarks[i]!;
      if (now > 0 && then > 0) {
        returns[i] = Math.log(now / then);
        present[i] = 1;
      }
    }
    state.cov.update(returns, present);
    state.counters.samples++;
  }
  state.sampleMarks.set(m.mark);
}
