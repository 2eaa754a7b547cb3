/**
 * The risk engine: a pure, deterministic, single-writer state machine.
 *   process(envelope) applies market, execution, admin and tick events and answers check events;
 *   check(order, ts) is the pre-trade check; snapshot()/Engine.restore() save and reload state.
 * It does no I/O and reads no clock: time comes from the envelopes' `ts`. The same event log gives
 * the same state and the same decisions, bit for bit (compute time aside, which is measurement).
 */
import type { InstrumentRegistry } from '../portfolio/instruments.js';
import { applyAdmin } from './apply-admin.js';
import { applyExecution } from './apply-execution.js';
import { applyMarket } from './apply-market.js';
import { Checker } from './check.js';
import { advance } from './clock.js';
import type { RiskConfig } from './config.js';
import type { Envelope, InputEvent } from './events.js';
import type { EngineOutput } from './outputs.js';
import type { Decision } from './reasons.js';
import { buildReport, type EngineReport } from './report.js';
import { restoreState, snapshotState, type EngineSnapshot } from './snapshot.js';
import { EngineState, type EngineOptions } from './state.js';

export class Engine {
  readonly state: EngineState;
  private readonly checker: Checker;

  constructor(registry: InstrumentRegistry, config: RiskConfig, options: EngineOptions = {}) {
    this.state = new EngineState(registry, config, options);
    this.checker = new Checker(this.state);
  }

  /** Rebuilds an engine from a snapshot taken with the same reference data and config. */
  static restore(registry: InstrumentRegistry, config: RiskConfig, snapshot: EngineSnapshot, options: EngineOptions = {}): Engine {
    const engine = new Engine(registry, config, options);
    restoreState(engine.state, snapshot);
    return engine;
  }

  /**
   * Applies one validated envelope. Returns the decision for `check` events, undefined otherwise.
   * Never throws on event content: what cannot be applied becomes an alert.
   */
  process(env: Envelope<InputEvent>): Decision | undefined {
    const state = this.state;
    state.counters.events++;
    const ts = typeof env.ts === 'number' && Number.isFinite(env.ts) ? env.ts : state.now;
    advance(state, ts);
    try {
      switch (env.type) {
        case 'check':
          return this.checker.check(env.order);
        case 'trade':
        case 'quote':
        case 'book':
        case 'mark':
        case 'option':
        case 'status':
          applyMarket(state, env);
          return undefined;
        case 'fill':
        case 'order.ack':
        case 'order.reject':
        case 'order.cancel':
        case 'funding':
        case 'transfer':
        case 'settlement':
          applyExecution(state, env);
          return undefined;
        case 'admin.state':
        case 'admin.limit':
          applyAdmin(state, env);
          return undefined;
        case 'tick':
          return undefined;
        default:
          state.counters.invalidEvents++;
          state.emit({ type: 'alert', ts: state.now, code: 'EVENT_REJECTED', severity: 'warning', scope: 'firm', target: 'firm', message: `unknown event type ${JSON.stringify((env as { type: unknown }).type)}` });
          return undefined;
      }
    } catch (e) {
      state.counters.invalidEvents++;
      state.emit({ type: 'alert', ts: state.now, code: 'EVENT_REJECTED', severity: 'critical', scope: 'firm', target: 'firm', message: `event ${env.type} could not be applied: ${e instanceof Error ? e.message : String(e)}` });
      return undefined;
    }
  }

  /** The pre-trade check at engine time `ts` (an order as gateways send it; validated here). */
  check(order: unknown, ts: number): Decision {
    this.state.counters.events++;
    advance(this.state, ts);
    return this.checker.check(order);
  }

  /** Alerts and audit records produced since the last drain, in order. */
  drainOutputs(): EngineOutput[] {
    const out = this.state.outbox.splice(0);
    return out;
  }

  snapshot(): EngineSnapshot {
    return snapshotState(this.state);
  }

  report(): EngineReport {
    return buildReport(this.state);
  }

  get now(): number {
    return this.state.now;
  }
}
