/**
 * Automatic trading-state triggers: a node whose daily loss or drawdown reaches its limit moves to
 * the configured state (REDUCING or HALTED) and an alert goes out. Triggers only escalate; going
 * back to ACTIVE is a risk manager's audited admin action.
 */
import type { TradingState } from './events.js';
import type { EngineState } from './state.js';
import { TRADING_STATES } from './state.js';

export function evaluateTriggers(state: EngineState, node: number): void {
  const lim = state.limits[node]!;
  const maxLoss = lim.maxDailyLoss;
  const maxDd = lim.maxDrawdown;
  if (maxLoss !== maxLoss && maxDd !== maxDd) return;
  const a = state.agg;
  if (maxLoss === maxLoss) {
    const loss = -a.dailyPnl(node);
    if (loss >= maxLoss) escalate(state, node, state.config.triggers.dailyLoss, 'TRIGGER_DAILY_LOSS', `daily loss ${round2(loss)} reached limit ${maxLoss}`);
  }
  if (maxDd === maxDd) {
    const dd = a.drawdown(node);
    if (dd >= maxDd) escalate(state, node, state.config.triggers.drawdown, 'TRIGGER_DRAWDOWN', `drawdown ${round2(dd)} from peak reached limit ${maxDd}`);
  }
}

function escalate(state: EngineState, node: number, to: TradingState, code: 'TRIGGER_DAILY_LOSS' | 'TRIGGER_DRAWDOWN', message: string): void {
  const target = TRADING_STATES.indexOf(to);
  if (state.tradingStates[node]! >= target) return;
  state.tradingStates[node] = target;
  state.stateReasons[node] = message;
  const info = state.universe.nodes[node]!;
  state.emit({ type: 'alert', ts: state.now, code, severity: 'critical', scope: info.kind, target: info.id, message: `${message}: ${to}` });
}

export function evaluateChain(state: EngineState, chain: readonly [number, number, number]): void {
  evaluateTriggers(state, chain[0]);
  evaluateTriggers(state, chain[1]);
  evaluateTriggers(state, chain[2]);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
