/**
 * Determinism: the same log gives byte-identical decisions and state; snapshot -> restore ->
 * continue equals the uninterrupted run; fills dedupe by execution id across a restore.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../../src/risk/engine.js';
import type { Envelope, InputEvent } from '../../../../src/risk/events.js';
import type { EngineSnapshot } from '../../../../src/risk/snapshot.js';
import { generateLog } from './generator.js';
import { registry, riskConfig, SEED } from './setup.js';

const LIMITS = riskConfig({
  firm: { maxGrossNotional: 2_000_000, maxVar: 60_000, maxDailyLoss: 40_000 },
  strategy: { maxGrossNotional: 600_000, maxNetNotional: 250_000, orderRate: { maxOrders: 20, windowMs: 1000 } },
  account: { maxOrderNotional: 80_000, priceCollarPct: 0.004, maxMarginUtilization: 0.9, maxDrawdown: 20_000, underlyings: { BTC: { maxDelta: 6 } } },
});

function run(engine: Engine, log: readonly Envelope<InputEvent>[]): string[] {
  const lines: string[] = [];
  for (const ev of log) {
    const d = engine.process(ev);
    if (d !== undefined) {
      const { computeNs: _ignored, ...rest } = d;
      lines.push(JSON.stringify(rest));
    }
    for (const o of engine.drainOutputs()) lines.push(JSON.stringify(o));
  }
  return lines;
}

function newEngine(): Engine {
  return new Engine(registry(), LIMITS, { varSeed: SEED });
}

describe('determinism', () => {
  const log = generateLog(20261126, 6000);

  it('a realistic log exercises approvals, rejections, fills and alerts', () => {
    const lines = run(newEngine(), log);
    const decisions = lines.filter((l) => l.startsWith('{"approved"'));
    expect(decisions.filter((l) => l.startsWith('{"approved":true')).length).toBeGreaterThan(100);
    expect(decisions.filter((l) => l.startsWith('{"approved":false')).length).toBeGreaterThan(100);
    expect(lines.some((l) => l.includes('"TRADING_STATE_CHANGED"'))).toBe(true);
  });

  it('replaying the same log twice gives byte-identical decisions, outputs and state', () => {
    const a = newEngine();
    const b = newEngine();
    const la = run(a, log);
    const lb = run(b, log);
    expect(lb).toEqual(la);
    expect(JSON.stringify(b.report())).toBe(JSON.stringify(a.report()));
    expect(JSON.stringify(b.snapshot())).toBe(JSON.stringify(a.snapshot()));
  });

  it('snapshot -> restore -> continue equals the uninterrupted run, bit for bit', () => {
    for (const cut of [1, 777, 2500, 4999]) {
      const whole = newEngine();
      const all = run(whole, log);
      const first = newEngine();
      const head = run(first, log.slice(0, cut));
      const snap = JSON.parse(JSON.stringify(first.snapshot())) as EngineSnapshot;
      const restored = Engine.restore(registry(), LIMITS, snap, { varSeed: SEED });
      const tail = run(restored, log.slice(cut));
      expect([...head, ...tail]).toEqual(all);
      expect(JSON.stringify(restored.snapshot())).toBe(JSON.stringify(whole.snapshot()));
    }
  });

  it('replaying the execution log after a restore changes nothing (execution ids dedupe)', () => {
    const engine = newEngine();
    run(engine, log);
    const before = JSON.stringify(engine.report().accounts.map((a) => ({ cash: a.cash, positions: a.positions.map((p) => [p.instrument, p.qty, p.cost, p.realized]) })));
    const restored = Engine.restore(registry(), LIMITS, JSON.parse(JSON.stringify(engine.snapshot())) as EngineSnapshot, { varSeed: SEED });
    const executions = log.filter((e) => e.type === 'fill' || e.type === 'funding' || e.type === 'transfer');
    for (const ev of executions) restored.process({ ...ev, ts: restored.now });
    const after = JSON.stringify(restored.report().accounts.map((a) => ({ cash: a.cash, positions: a.positions.map((p) => [p.instrument, p.qty, p.cost, p.realized]) })));
    expect(after).toBe(before);
  });
});
