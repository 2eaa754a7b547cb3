/**
 * Keeps the VaR books' exposure vectors in step with positions. A fill changes one leg: its
 * delta-equivalent exposure moves on one factor, an O(n) update per book of its chain. Price moves
 * are folded in by the revalue clock (full recompute), not per market event.
 */
import type { Leg } from './exposures.js';
import type { EngineState } from './state.js';

export function syncLegVar(state: EngineState, leg: Leg): void {
  const i = leg.instrument;
  const m = state.market;
  if (m.unitsOk[i] !== 1) return; // keep the last known exposure until a price returns
  const w = leg.qtyF * m.uNotional[i]!;
  const delta = w - leg.varW;
  if (delta === 0) return;
  leg.varW = w;
  const f = state.universe.factorOf[i]!;
  state.books[leg.chain[0]]!.add(f, delta);
  state.books[leg.chain[1]]!.add(f, delta);
  state.books[leg.chain[2]]!.add(f, delta);
}
