/**
 * Risk managers' actions: kill switches / trading states and limit changes. Every one, accepted
 * or refused, leaves an audit record (actor, before, after, reason) and an alert.
 */
import type { AdminEvent, AdminLimitEvent, AdminStateEvent } from './events.js';
import { setLimit } from './limits.js';
import type { EngineState } from './state.js';
import { TRADING_STATES } from './state.js';

export function applyAdmin(state: EngineState, ev: AdminEvent): void {
  if (ev.type === 'admin.state') applyState(state, ev);
  else applyLimit(state, ev);
}

function resolveNode(state: EngineState, ev: AdminEvent): number {
  if (ev.scope === 'firm') return 0;
  return state.universe.node(ev.scope, ev.target ?? '');
}

function applyState(state: EngineState, ev: AdminStateEvent): void {
  const node = resolveNode(state, ev);
  const target = ev.scope === 'firm' ? 'firm' : (ev.target ?? '');
  if (node < 0) {
    state.emit({ type: 'audit', ts: state.now, actor: ev.actor, action: 'trading_state', scope: ev.scope, target, subject: 'state', before: null, after: ev.state, reason: ev.reason, accepted: false, error: `unknown ${ev.scope} ${target}` });
    return;
  }
  const before = TRADING_STATES[state.tradingStates[node]!]!;
  state.tradingStates[node] = TRADING_STATES.indexOf(ev.state);
  state.stateReasons[node] = ev.state === 'ACTIVE' ? '' : `${ev.reason} (${ev.actor})`;
  state.emit({ type: 'audit', ts: state.now, actor: ev.actor, action: 'trading_state', scope: ev.scope, target, subject: 'state', before, after: ev.state, reason: ev.reason, accepted: true });
  state.emit({
    type: 'alert',
    ts: state.now,
    code: 'TRADING_STATE_CHANGED',
    severity: ev.state === 'ACTIVE' ? 'info' : 'critical',
    scope: ev.scope,
    target,
    message: `${before} -> ${ev.state} by ${ev.actor}: ${ev.reason}`,
  });
}

function applyLimit(state: EngineState, ev: AdminLimitEvent): void {
  const node = resolveNode(state, ev);
  const target = ev.scope === 'firm' ? 'firm' : (ev.target ?? '');
  const subject = ev.key === undefined ? ev.limit : `${ev.limit}[${ev.key}]`;
  if (node < 0) {
    state.emit({ type: 'audit', ts: state.now, actor: ev.actor, action: 'limit', scope: ev.scope, target, subject, before: null, after: ev.value, reason: ev.reason, accepted: false, error: `unknown ${ev.scope} ${target}` });
    return;
  }
  const r = setLimit(state.limits[node]!, state.universe, ev.limit, ev.key, ev.value);
  if (!r.ok) {
    state.emit({ type: 'audit', ts: state.now, actor: ev.actor, action: 'limit', scope: ev.scope, target, subject, before: null, after: ev.value, reason: ev.reason, accepted: false, error: r.message });
    return;
  }
  state.emit({ type: 'audit', ts: state.now, actor: ev.actor, action: 'limit', scope: ev.scope, target, subject, before: r.previous, after: ev.value, reason: ev.reason, accepted: true });
  state.emit({ type: 'alert', ts: state.now, code: 'LIMIT_CHANGED', severity: 'info', scope: ev.scope, target, message: `${subject}: ${r.previous ?? 'none'} -> ${ev.value ?? 'none'} by ${ev.actor}: ${ev.reason}` });
}
