/**
 * Bybit book sync: `u` +1 chaining per topic, a gap resyncs only that topic (unsubscribe +
 * subscribe, deltas ignored until the snapshot), stale deltas dropped, `u == 1` and any snapshot
 * reset the book, level-1 snapshot re-pushes, deletes of absent levels, window truncation, and a
 * seeded differential property against a naive reference book.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BybitProtocol } from '../../../src/feeds/bybit/protocol.js';
import type { Level, StatusEvent } from '../../../src/risk/events.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';


function frame(symbol: string, type: 'snapshot' | 'delta', u: number, b: Level[], a: Level[], depth = 50): string {
  return JSON.stringify({ topic: `orderbook.${depth}.${symbol}`, type, ts: 1_700_000_000_000 + u, data: { s: symbol, b, a, u, seq: 1000 + u }, cts: 1_700_000_000_000 + u });
}

const BTC = 'bybit:BTC/USDT:USDT';
const ETH = 'bybit:ETH/USDT:USDT';

function started(): { protocol: BybitProtocol; io: Recorder } {
  const protocol = new BybitProtocol('linear', { registry, bookDepth: 5 });
  const io = new Recorder();
  protocol.onMessage(frame('BTCUSDT', 'snapshot', 100, [['100.0', '1'], ['99.5', '2']], [['100.5', '1'], ['101.0', '3']]), 1, io);
  protocol.onMessage(frame('ETHUSDT', 'snapshot', 7, [['10.00', '5']], [['10.01', '5']]), 2, io);
  return { protocol, io };
}

describe('Bybit book sync', () => {
  it('applies deltas with u = last u + 1 and publishes book + quote each time', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 101, [['100.0', '4']], [['100.5', '0']]), 3, io);
    protocol.onMessage(frame('BTCUSDT', 'delta', 102, [['99.8', '1']], []), 4, io);
    expect(io.dead).toEqual([]);
    expect(io.books(BTC).map((b) => [b.seq, b.bids, b.asks])).toEqual([
      ['101', [['100.0', '4'], ['99.5', '2']], [['101.0', '3']]],
      ['102', [['100.0', '4'], ['99.8', '1'], ['99.5', '2']], [['101.0', '3']]],
    ]);
    expect(io.events.filter((e) => e.type === 'quote').at(-1)).toMatchObject({ bid: '100.0', bidSize: '4', ask: '101.0', askSize: '3', exchTs: 1_700_000_000_102 });
  });

  it('a gap resyncs only that topic: resyncing, unsubscribe + subscribe, deltas ignored, snapshot -> ok', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 103, [['100.0', '4']], []), 3, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'resyncing' }]);
    expect((io.events[0] as StatusEvent).reason).toBe('gap: u 103 after u 100');
    expect(io.sent.map((s) => JSON.parse(s) as { op: string; args: string[] })).toMatchObject([
      { op: 'unsubscribe', args: ['orderbook.50.BTCUSDT'] },
      { op: 'subscribe', args: ['orderbook.50.BTCUSDT'] },
    ]);
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 104, [['100.0', '5']], []), 4, io);
    protocol.onMessage(frame('ETHUSDT', 'delta', 8, [['10.00', '6']], []), 5, io);
    expect(io.books(BTC)).toEqual([]);
    expect(io.books(ETH).map((b) => b.bids)).toEqual([[['10.00', '6']]]);
    expect(io.statuses()).toEqual([]);
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'snapshot', 200, [['98.0', '1']], [['102.0', '1']]), 6, io);
    protocol.onMessage(frame('BTCUSDT', 'delta', 201, [['98.5', '1']], []), 7, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
    expect(io.books(BTC).map((b) => b.bids)).toEqual([[['98.0', '1']], [['98.5', '1'], ['98.0', '1']]]);
    expect(io.sent).toEqual([]);
  });

  it('drops a stale or duplicate delta (out_of_sequence) and stays in sync', () => {
    const { protocol, io } = started();
    protocol.onMessage(frame('BTCUSDT', 'delta', 101, [['100.0', '4']], []), 3, io);
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 101, [['100.0', '9']], []), 4, io);
    protocol.onMessage(frame('BTCUSDT', 'delta', 99, [['100.0', '9']], []), 5, io);
    expect(io.dead).toEqual([
      { reason: 'out_of_sequence', detail: 'stale delta u 101, book at u 101' },
      { reason: 'out_of_sequence', detail: 'stale delta u 99, book at u 101' },
    ]);
    expect(io.events).toEqual([]);
    protocol.onMessage(frame('BTCUSDT', 'delta', 102, [], []), 6, io);
    expect(io.books(BTC)[0]!.bids[0]).toEqual(['100.0', '4']);
  });

  it('u == 1 (service restart) overwrites the book even when typed delta', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 1, [['90.0', '1']], [['91.0', '1']]), 3, io);
    protocol.onMessage(frame('BTCUSDT', 'delta', 2, [['90.5', '2']], []), 4, io);
    expect(io.statuses()).toEqual([]);
    expect(io.books(BTC).map((b) => [b.seq, b.bids, b.asks])).toEqual([
      ['1', [['90.0', '1']], [['91.0', '1']]],
      ['2', [['90.5', '2'], ['90.0', '1']], [['91.0', '1']]],
    ]);
  });

  it('a new snapshot at any time resets the book; level-1 re-pushes (same u) are accepted', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'snapshot', 500, [['97.0', '1']], [['103.0', '1']]), 3, io);
    expect(io.books(BTC)[0]).toMatchObject({ bids: [['97.0', '1']], asks: [['103.0', '1']], seq: '500' });
    io.clear();
    for (let i = 0; i < 3; i++) protocol.onMessage(frame('BTCUSDT', 'snapshot', 42, [['100.0', '1']], [['100.5', '2']], 1), 4 + i, io);
    expect(io.dead).toEqual([]);
    expect(io.books(BTC)).toHaveLength(3);
    // orderbook.1 is its own topic: one `ok` when it first syncs, none for the re-pushes.
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
  });

  it('tolerates deletes of levels it does not hold, and keeps only the topic depth', () => {
    const protocol = new BybitProtocol('linear', { registry, bookDepth: 100 });
    const io = new Recorder();
    const bids = Array.from({ length: 50 }, (_, i): Level => [String(1000 - i), '1']);
    protocol.onMessage(frame('BTCUSDT', 'snapshot', 1000, bids, [['2000', '1']]), 1, io);
    protocol.onMessage(frame('BTCUSDT', 'delta', 1001, [['1', '0'], ['1000.5', '1']], [['3000', '0']]), 2, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
    const last = io.books(BTC).at(-1)!;
    expect(last.bids).toHaveLength(50);
    expect(last.bids[0]).toEqual(['1000.5', '1']);
    expect(last.bids[49]).toEqual(['952', '1']);
    expect(last.asks).toEqual([['2000', '1']]);
  });

  it('a topic that keeps desyncing resubscribes 3 times a minute, then asks for a reconnect instead', () => {
    const { protocol, io } = started();
    io.clear();
    for (const t of [1_000, 2_000, 3_000, 4_000]) {
      protocol.onMessage(frame('BTCUSDT', 'snapshot', 100, [['100.0', '1']], [['100.5', '1']]), t, io);
      protocol.onMessage(frame('BTCUSDT', 'delta', 105, [], []), t, io);
    }
    expect(io.sent).toHaveLength(6);
    expect(io.reconnects).toEqual(['bybit-linear: resync budget spent (orderbook.50.BTCUSDT: gap: u 105 after u 100)']);
  });

  it('reset() forgets books and ticker state (a new connection starts from snapshots)', () => {
    const { protocol, io } = started();
    protocol.reset();
    io.clear();
    protocol.onMessage(frame('BTCUSDT', 'delta', 101, [['100.0', '4']], []), 3, io);
    expect(io.events).toEqual([]);
    expect(io.dead).toEqual([]);
  });

  it('matches a naive reference book over random delta streams (seeded)', () => {
    const levelArb = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 4 }));
    const deltaArb = fc.record({ b: fc.array(levelArb, { maxLength: 6 }), a: fc.array(levelArb, { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(deltaArb, { minLength: 1, maxLength: 50 }), (deltas) => {
        const protocol = new BybitProtocol('linear', { registry, bookDepth: 200 });
        const io = new Recorder();
        const refBids = new Map<string, string>();
        const refAsks = new Map<string, string>();
        protocol.onMessage(frame('BTCUSDT', 'snapshot', 10, [], [], 200), 0, io);
        let u = 10;
        for (const d of deltas) {
          const b = d.b.map(([p, s]): Level => [(100 - p / 10).toFixed(1), String(s)]);
          const a = d.a.map(([p, s]): Level => [(100 + p / 10).toFixed(1), String(s)]);
          for (const [p, s] of b) if (s === '0') refBids.delete(p); else refBids.set(p, s);
          for (const [p, s] of a) if (s === '0') refAsks.delete(p); else refAsks.set(p, s);
          u++;
          protocol.onMessage(frame('BTCUSDT', 'delta', u, b, a, 200), u, io);
        }
        const sorted = (m: Map<string, string>, desc: boolean): Level[] =>
          [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0]))).map(([p, s]): Level => [p, s]);
        expect(io.dead).toEqual([]);
        expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
        const last = io.books(BTC).at(-1)!;
        expect(last.bids).toEqual(sorted(refBids, true));
        expect(last.asks).toEqual(sorted(refAsks, false));
        expect(last.seq).toBe(String(u));
      }),
      { seed: 5150, numRuns: 200 },
    );
  });
});
