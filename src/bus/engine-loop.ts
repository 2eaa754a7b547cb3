/**
 * The engine's single writer: consumes the bus record by record, in order, and applies each to
 * the engine; answers pre-trade checks in the same loop (after applying everything already
 * received, so a check never sees older state than the events before it); publishes decisions,
 * alerts and audit records. Bounded batches per turn keep I/O and checks from starving.
 */
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Engine } from '../risk/engine.js';
import type { Envelope, InputEvent } from '../risk/events.js';
import type { EngineOutput } from '../risk/outputs.js';
import type { Decision } from '../risk/reasons.js';
import type { InMemoryBus } from './memory.js';
import { TOPICS, type BusRecord, type Topic } from './types.js';

export interface EngineLoopOptions {
  engine: Engine;
  bus: InMemoryBus;
  logger: Logger;
  /** Wall clock (ms) for check requests and ticks: the engine itself reads no clock. */
  now: () => number;
  registry?: Registry | undefined;
  /** Records applied per turn before yielding to I/O. */
  batch?: number;
  /** Advance engine time when idle (TTLs, clocks). */
  tickMs?: number;
  /** Recent decisions and outputs kept for the desk view. */
  keep?: number;
}

const GROUP = 'engine';
/** Admin first (kill switches act at once), then executions, then market data. */
const INPUT_TOPICS: readonly Topic[] = [TOPICS.admin, TOPICS.executions, TOPICS.marketData];

export class EngineLoop {
  private readonly engine: Engine;
  private readonly bus: InMemoryBus;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly batch: number;
  private readonly tickMs: number;
  private readonly keep: number;
  private readonly scratch: BusRecord[] = [];
  private running = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  readonly recentDecisions: Decision[] = [];
  private readonly decisionListeners: Array<(d: Decision) => void> = [];
  readonly recentOutputs: EngineOutput[] = [];
  private readonly applied: Counter<'topic'>;
  private readonly checks: Counter<'result'>;
  private readonly checkSeconds: Histogram;

  constructor(o: EngineLoopOptions) {
    this.engine = o.engine;
    this.bus = o.bus;
    this.logger = o.logger;
    this.now = o.now;
    this.batch = o.batch ?? 1024;
    this.tickMs = o.tickMs ?? 1000;
    this.keep = o.keep ?? 200;
    const registers = o.registry === undefined ? [] : [o.registry];
    this.applied = new Counter({ name: 'keel_engine_records_total', help: 'Bus records applied by the engine', labelNames: ['topic'], registers });
    this.checks = new Counter({ name: 'keel_checks_total', help: 'Pre-trade checks answered', labelNames: ['result'], registers });
    this.checkSeconds = new Histogram({
      name: 'keel_check_compute_seconds',
      help: 'Engine compute time per pre-trade check',
      buckets: [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 1e-3, 1e-2],
      registers,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tickTimer = setInterval(() => {
      this.bus.publish(TOPICS.admin, 'clock', { v: 1, type: 'tick', ts: this.now() });
    }, this.tickMs);
    void this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.tickTimer !== undefined) clearInterval(this.tickTimer);
    this.wake?.();
  }

  /** Called with every decision this loop answers (after it is published). */
  onDecision(listener: (d: Decision) => void): void {
    this.decisionListeners.push(listener);
  }

  /** Applies everything received so far, then checks the order. */
  check(order: unknown): Decision {
    this.drainAll();
    const decision = this.engine.check(order, this.now());
    this.checks.inc({ result: decision.approved ? 'approved' : 'rejected' });
    this.checkSeconds.observe(decision.computeNs / 1e9);
    const { order: _o, ...wire } = decision as Decision & { order?: unknown };
    this.bus.publish(TOPICS.decisions, decision.account, { v: 1, type: 'decision', ...wire });
    this.remember(this.recentDecisions, decision);
    this.flushOutputs();
    for (const listener of this.decisionListeners) listener(decision);
    return decision;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = this.turn();
      if (n === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          void this.bus.whenPublished().then(resolve);
        });
      } else {
        // Yield to I/O between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  private drainAll(): void {
    while (this.turn() > 0) {
      /* apply everything pending */
    }
  }

  /** One bounded batch across the input topics; returns records applied. */
  private turn(): number {
    let applied = 0;
    for (const topic of INPUT_TOPICS) {
      this.scratch.length = 0;
      const n = this.bus.poll(GROUP, topic, this.batch, this.scratch);
      for (let k = 0; k < n; k++) {
        const record = this.scratch[k]!;
        const decision = this.engine.process(record.value as Envelope<InputEvent>);
        if (decision !== undefined) this.remember(this.recentDecisions, decision);
      }
      if (n > 0) this.applied.inc({ topic }, n);
      applied += n;
    }
    if (applied > 0) this.flushOutputs();
    return applied;
  }

  private flushOutputs(): void {
    for (const o of this.engine.drainOutputs()) {
      this.remember(this.recentOutputs, o);
      if (o.type === 'alert' && o.severity !== 'info') this.logger.warn({ alert: o }, o.message);
      else this.logger.info({ output: o }, o.type);
    }
  }

  private remember<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.keep * 2) list.splice(0, list.length - this.keep);
  }
}
