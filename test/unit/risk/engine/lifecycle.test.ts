/**
 * Reservations through the order lifecycle, TTL expiry, admin audit, execution reports that
 * cannot be applied, and the exact ledger behind the engine.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../../src/risk/engine.js';
import type { Alert, AuditRecord } from '../../../../src/risk/outputs.js';
import type { EngineSnapshot } from '../../../../src/risk/snapshot.js';
import { BTC_PERP, check, codes, engine, env, markAll, order, registry, riskConfig, SEED, T0 } from './setup.js';

const T = T0 + 100;

function grossObserved(e: ReturnType<typeof engine>): number {
  const node = e.state.universe.node('account', 'acct1');
  return e.state.agg.posGross[node]! + e.state.agg.resGross[node]!;
}

describe('reservations', () => {
  it('hold exposure from approval until ack+fill converts it to a position', () => {
    const e = engine(riskConfig({ account: { maxGrossNotional: 1_000_000 } }));
    markAll(e, T0);
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '2', clOrdId: 'a' })).approved).toBe(true);
    expect(grossObserved(e)).toBe(100_000);
    e.process(env(T + 1, { type: 'order.ack', account: 'acct1', clOrdId: 'a' }));
    expect(grossObserved(e)).toBe(100_000);
    e.process(env(T + 2, { type: 'fill', account: 'acct1', execId: 'f1', clOrdId: 'a', instrument: BTC_PERP, side: 'buy', qty: '0.5', price: '50000' }));
    const node = e.state.universe.node('account', 'acct1');
    expect(e.state.agg.resGross[node]).toBe(75_000);
    expect(e.state.agg.posGross[node]).toBe(25_000);
    e.process(env(T + 3, { type: 'fill', account: 'acct1', execId: 'f2', clOrdId: 'a', instrument: BTC_PERP, side: 'buy', qty: '1.5', price: '50000' }));
    expect(e.state.agg.resGross[node]).toBe(0);
    expect(e.state.agg.posGross[node]).toBe(100_000);
    expect(e.report().openOrders).toEqual([]);
    expect(e.report().accounts[0]!.positions[0]).toMatchObject({ instrument: BTC_PERP, qty: '2', avgEntry: '50000', cost: '100000' });
  });

  it('are released by cancel and by venue reject', () => {
    const e = engine();
    markAll(e, T0);
    check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'c' }));
    check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'r' }));
    expect(grossObserved(e)).toBe(100_000);
    e.process(env(T + 1, { type: 'order.cancel', account: 'acct1', clOrdId: 'c' }));
    expect(grossObserved(e)).toBe(50_000);
    e.process(env(T + 1, { type: 'order.reject', account: 'acct1', clOrdId: 'r', reason: 'post-only would cross' }));
    expect(grossObserved(e)).toBe(0);
    expect(e.state.reservations.size).toBe(0);
  });

  it('expire after the pending TTL with an alert when no ack arrives', () => {
    const e = engine();
    markAll(e, T0);
    check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'lost' }));
    e.drainOutputs();
    e.process(env(T + 29_999, { type: 'tick' }));
    expect(e.state.reservations.size).toBe(1);
    e.process(env(T + 30_000, { type: 'tick' }));
    expect(e.state.reservations.size).toBe(0);
    const alerts = e.drainOutputs() as Alert[];
    expect(alerts.map((a) => a.code)).toEqual(['RESERVATION_EXPIRED']);
    expect(alerts[0]!.message).toContain('lost');
    expect(grossObserved(e)).toBe(0);
  });

  it('an acked order gets the long open-order TTL', () => {
    const e = engine();
    markAll(e, T0);
    check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'rest' }));
    e.process(env(T + 10, { type: 'order.ack', account: 'acct1', clOrdId: 'rest' }));
    e.process(env(T + 60_000, { type: 'tick' }));
    expect(e.state.reservations.size).toBe(1);
    e.process(env(T + 10 + 3_600_000, { type: 'tick' }));
    expect(e.state.reservations.size).toBe(0);
  });
});

describe('execution reports', () => {
  it('a duplicate execution id changes nothing', () => {
    const e = engine();
    markAll(e, T0);
    const fill = env(T, { type: 'fill' as const, account: 'acct1', execId: 'same', instrument: BTC_PERP, side: 'buy' as const, qty: '1', price: '50000', fee: '2.5', feeCurrency: 'USDT' });
    e.process(fill);
    const once = JSON.stringify(e.report());
    e.process({ ...fill, ts: T + 1 });
    expect(JSON.stringify({ ...e.report(), ts: T, counters: undefined })).toBe(JSON.stringify({ ...JSON.parse(once), ts: T, counters: undefined }));
    expect(e.state.counters.duplicateExecutions).toBe(1);
  });

  it('remembers execution ids across the next UTC day roll, and the ledger forgets them after two', () => {
    const DAY = 86_400_000;
    const e = engine();
    markAll(e, T0);
    const fill = env(T, { type: 'fill' as const, account: 'acct1', execId: 'd1', instrument: BTC_PERP, side: 'buy' as const, qty: '1', price: '50000' });
    e.process(fill);
    const held = e.state.ledger.dedupeSize();
    expect(held).toBeGreaterThan(0);
    // Next day: still a duplicate.
    markAll(e, T0 + DAY);
    e.process({ ...fill, ts: T + DAY });
    expect(e.state.counters.duplicateExecutions).toBe(1);
    expect(e.state.ledger.position(0, e.state.registry.indexOf(BTC_PERP))?.qty).toBe(10n ** 18n);
    // Two day rolls later the id has aged out of both generations: the ledger's memory is bounded.
    markAll(e, T0 + 2 * DAY);
    markAll(e, T0 + 3 * DAY);
    expect(e.state.ledger.dedupeSize()).toBe(0);
  });

  it('bad reports raise alerts and change nothing', () => {
    const e = engine();
    markAll(e, T0);
    e.drainOutputs();
    e.process(env(T, { type: 'fill', account: 'ghost', execId: 'x', instrument: BTC_PERP, side: 'buy', qty: '1', price: '1' }));
    e.process(env(T, { type: 'fill', account: 'acct1', execId: 'y', instrument: BTC_PERP, side: 'buy', qty: 'lots', price: '1' }));
    e.process(env(T, { type: 'fill', account: 'acct1', execId: 'z', instrument: BTC_PERP, side: 'buy', qty: '-1', price: '1' }));
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'never-checked' }));
    const alerts = e.drainOutputs() as Alert[];
    expect(alerts.map((a) => a.code)).toEqual(['EXECUTION_REJECTED', 'EXECUTION_REJECTED', 'EXECUTION_REJECTED', 'ORDER_REPORT_UNKNOWN']);
    expect(e.report().accounts[0]!.positions).toEqual([]);
  });

  it('books funding on a perpetual: longs pay when the rate is positive', () => {
    const e = engine();
    markAll(e, T0);
    e.process(env(T, { type: 'fill', account: 'acct1', execId: 'f', instrument: BTC_PERP, side: 'buy', qty: '2', price: '50000' }));
    e.process(env(T + 1, { type: 'funding', account: 'acct1', fundingId: 'fund-1', instrument: BTC_PERP, rate: '0.0001', markPrice: '50000' }));
    const acct = e.report().accounts[0]!;
    expect(acct.cash).toEqual({ USDT: '-10' });
    expect(acct.positions[0]!.funding).toBe('-10');
  });
});

describe('admin actions are audited', () => {
  it('records actor, before, after and reason for state and limit changes, and refuses bad ones', () => {
    const e = engine();
    markAll(e, T0);
    e.drainOutputs();
    e.process(env(T, { type: 'admin.state', scope: 'strategy', target: 'alpha', state: 'HALTED', actor: 'ann', reason: 'runaway algo' }));
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'acct1', limit: 'maxGrossNotional', value: 10, actor: 'bob', reason: 'tighten' }));
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'acct1', limit: 'maxGrossNotional', value: null, actor: 'bob', reason: 'remove' }));
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'acct1', limit: 'maxWhatever', value: 1, actor: 'bob', reason: 'typo' }));
    e.process(env(T, { type: 'admin.state', scope: 'account', target: 'nobody', state: 'HALTED', actor: 'bob', reason: 'typo' }));
    const audits = e.drainOutputs().filter((o): o is AuditRecord => o.type === 'audit');
    expect(audits.map((a) => [a.actor, a.subject, a.before, a.after, a.accepted])).toEqual([
      ['ann', 'state', 'ACTIVE', 'HALTED', true],
      ['bob', 'maxGrossNotional', null, 10, true],
      ['bob', 'maxGrossNotional', 10, null, true],
      ['bob', 'maxWhatever', null, 1, false],
      ['bob', 'state', null, 'HALTED', false],
    ]);
    expect(audits[3]!.error).toBe('unknown limit maxWhatever');
    const d = check(e, T + 1, order({ instrument: BTC_PERP, qty: '1' }));
    expect(codes(d)).toEqual(['STATE_HALTED']);
    expect(d.reasons[0]).toMatchObject({ scope: 'strategy', target: 'alpha' });
  });
});

describe('reservation memory', () => {
  it('finished orders do not pile up behind a long-resting order', () => {
    const e = engine(riskConfig({ firm: { orderRate: { maxOrders: 1_000_000, windowMs: 1000 } } }));
    markAll(e, T0);
    check(e, T, order({ instrument: BTC_PERP, qty: '0.001', clOrdId: 'resting' }));
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'resting' }));
    for (let k = 0; k < 20_000; k++) {
      const id = `churn-${k}`;
      check(e, T + 1, order({ instrument: BTC_PERP, qty: '0.001', clOrdId: id }));
      e.process(env(T + 1, { type: 'order.ack', account: 'acct1', clOrdId: id }));
      e.process(env(T + 1, { type: 'order.cancel', account: 'acct1', clOrdId: id }));
    }
    expect(e.state.reservations.size).toBe(1);
    // A released order leaves its expiry queue at once (not at its TTL), so it can die young.
    expect(e.state.reservations.queuedEntries()).toBe(1);
  });

  it('restores an inconsistent snapshot safely: each order queued once, in the queue its state says, none left unqueued', () => {
    const e = engine();
    markAll(e, T0);
    for (const id of ['x', 'y', 'z']) expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.001', clOrdId: id })).approved).toBe(true);
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'x' }));
    const snap = JSON.parse(JSON.stringify(e.snapshot())) as EngineSnapshot;
    expect(snap.pendingQueue).toEqual([['acct1', 'y'], ['acct1', 'z']]);
    expect(snap.openQueue).toEqual([['acct1', 'x']]);
    // What a snapshot from before the linked queues could hold: an order listed twice, once in the
    // wrong queue, and another not listed at all.
    snap.pendingQueue = [['acct1', 'x'], ['acct1', 'z'], ['acct1', 'z']];
    snap.openQueue = [['acct1', 'x'], ['acct1', 'x']];
    const restored = Engine.restore(registry(), riskConfig(), snap, { varSeed: SEED });
    expect(restored.state.reservations.size).toBe(3);
    expect(restored.state.reservations.queuedEntries()).toBe(3);
    restored.drainOutputs();
    restored.process(env(T + 365 * 86_400_000, { type: 'mark', venue: 'binance', instrument: BTC_PERP, exchTs: 0, recvTs: 0, markPrice: '1' }));
    const expired = restored.drainOutputs().filter((o) => o.type === 'alert' && o.code === 'RESERVATION_EXPIRED');
    expect(expired.map((a) => (a as { message: string }).message.split(' ')[1]).sort()).toEqual(['x', 'y', 'z']);
    expect(restored.state.reservations.size).toBe(0);
    expect(restored.state.reservations.queuedEntries()).toBe(0);
  });

  it('expires pending and acked reservations in TTL order, each exactly once, after releases in between', () => {
    const e = engine(riskConfig({ firm: { orderRate: { maxOrders: 1_000_000, windowMs: 1000 } } }));
    markAll(e, T0);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.001', clOrdId: id })).approved).toBe(true);
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'b' }));
    e.process(env(T, { type: 'order.cancel', account: 'acct1', clOrdId: 'c' }));
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'd' }));
    e.process(env(T, { type: 'order.cancel', account: 'acct1', clOrdId: 'd' }));
    e.drainOutputs();
    expect(e.state.reservations.size).toBe(3);
    expect(e.state.reservations.queuedEntries()).toBe(3);
    // Far past both TTLs: the two pending ones first (queue order), then the acked one.
    e.process(env(T + 365 * 86_400_000, { type: 'mark', venue: 'binance', instrument: BTC_PERP, exchTs: 0, recvTs: 0, markPrice: '1' }));
    const expired = e.drainOutputs().filter((o) => o.type === 'alert' && o.code === 'RESERVATION_EXPIRED');
    expect(expired.map((a) => (a as { message: string }).message.split(' ')[1])).toEqual(['a', 'e', 'b']);
    expect(e.state.reservations.size).toBe(0);
    expect(e.state.reservations.queuedEntries()).toBe(0);
  });
});
