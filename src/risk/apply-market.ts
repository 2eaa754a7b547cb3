import type { MarketEvent } from './events.js';
import { revalueCash, settlePendingFlows } from './apply-execution.js';
import { addEquity, revalueLeg } from './exposures.js';
import type { EngineState } from './state.js';
import { evaluateChain } from './triggers.js';

/**
 * A market event updates the instrument's slot; when its mark moved, every leg holding it is
 * revalued (O(holders)) and the loss/drawdown triggers of their nodes re-evaluated. Instruments
 * nobody holds only flag their units stale; a check computes them when it needs them.
 */
export function applyMarket(state: EngineState, ev: MarketEvent): void {
  const i = state.registry.indexOf(ev.instrument);
  if (i < 0) {
    state.counters.ignoredEvents++;
    return;
  }
  const m = state.market;
  const result = m.apply(i, ev, state.now);
  if (result === 'invalid' || result === 'unknown') {
    state.counters.invalidEvents++;
    return;
  }
  if (result !== 'mark') return;
  // The instrument values a currency: balances held in it move with it. Every balance is revalued
  // (and any deposit waiting for this price valued) before a trigger looks at the totals, so no
  // intermediate state can trip a loss or drawdown limit.
  const currencies = state.fxDependents[i]!;
  let moved = false;
  for (let k = 0; k < currencies.length; k++) {
    const c = currencies[k]!;
    settlePendingFlows(state, c);
    const accounts = state.cashHolders[c]!;
    for (let h = 0; h < accounts.length; h++) {
      const a = accounts[h]!;
      const d = revalueCash(state, a, c);
      if (d !== 0) {
        const info = state.universe.accounts[a]!;
        addEquity(info.chain, 0, d, state.agg, info.venue);
        moved = true;
      }
    }
  }
  if (moved) {
    for (let k = 0; k < currencies.length; k++) {
      const accounts = state.cashHolders[currencies[k]!]!;
      for (let h = 0; h < accounts.length; h++) evaluateChain(state, state.universe.accounts[accounts[h]!]!.chain);
    }
  }
  const holders = state.holders[i]!;
  if (holders.length === 0) {
    m.unitsStale[i] = 1;
    return;
  }
  m.computeUnits(state.registry.get(i), state.now);
  for (let k = 0; k < holders.length; k++) {
    const leg = holders[k]!;
    if (revalueLeg(leg, m, state.universe, state.agg) !== 0) evaluateChain(state, leg.chain);
  }
}
