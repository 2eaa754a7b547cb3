import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdWindow } from '../../../src/risk/id-window.js';

/** The obvious model: ids with their times, oldest first. */
class Model {
  ids: Array<{ id: string; ts: number }> = [];
  constructor(private readonly max: number) {}
  has(id: string): boolean {
    return this.ids.some((e) => e.id === id);
  }
  add(id: string, ts: number): void {
    if (this.ids.length === this.max) this.ids.shift();
    this.ids.push({ id, ts });
  }
  prune(now: number, window: number): void {
    while (this.ids.length > 0 && this.ids[0]!.ts <= now - window) this.ids.shift();
  }
}

describe('IdWindow', () => {
  it('remembers ids within the window and forgets them after it', () => {
    const w = new IdWindow(100);
    w.add('a', 1000);
    w.add('b', 1500);
    w.prune(1999, 1000);
    expect(w.has('a')).toBe(true);
    w.prune(2000, 1000);
    expect(w.has('a')).toBe(false);
    expect(w.has('b')).toBe(true);
    expect(w.size).toBe(1);
  });

  it('keeps only the last maxIds ids', () => {
    const w = new IdWindow(3);
    for (const id of ['a', 'b', 'c', 'd']) w.add(id, 0);
    expect(['a', 'b', 'c', 'd'].map((id) => w.has(id))).toEqual([false, true, true, true]);
  });

  it('behaves like the obvious model under random adds, prunes and lookups (fast-check)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.stringMatching(/^[a-z0-9]{1,6}$/), dt: fc.nat(50) }),
      fc.record({ kind: fc.constant('prune' as const), dt: fc.nat(50) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 400 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { maxLength: 20 }), (max, ops, probes) => {
        const w = new IdWindow(max);
        const m = new Model(max);
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.kind === 'add') {
            if (!m.has(o.id)) {
              expect(w.has(o.id)).toBe(false);
              w.add(o.id, now);
              m.add(o.id, now);
            } else expect(w.has(o.id)).toBe(true);
          } else {
            w.prune(now, 100);
            m.prune(now, 100);
          }
          expect(w.size).toBe(m.ids.length);
        }
        for (const id of [...probes, ...m.ids.map((e) => e.id)]) expect(w.has(id)).toBe(m.has(id));
        const restored = IdWindow.restore(max, w.snapshot());
        for (const id of [...probes, ...m.ids.map((e) => e.id)]) expect(restored.has(id)).toBe(m.has(id));
      }),
      { seed: 1126, numRuns: 300 },
    );
  });
});
