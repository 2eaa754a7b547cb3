/**
 * OKX book sync: seqId/prevSeqId chaining (heartbeats, sequence resets), gaps resync only the
 * instrument concerned, stale updates dropped, deletes of absent levels tolerated, legacy checksum
 * verification, and a seeded differential property against a naive reference book.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { okxChecksum } from '../../../src/feeds/okx/checksum.js';
import { OkxProtocol } from '../../../src/feeds/okx/protocol.js';
import type { Level, StatusEvent } from '../../../src/risk/events.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';


interface BookFrame {
  instId: string;
  action: 'snapshot' | 'update';
  bids: Level[];
  asks: Level[];
  seqId: number;
  prevSeqId: number;
  checksum?: number;
  ts?: number;
}

function frame(f: BookFrame, channel = 'books'): string {
  const level = (l: Level): string[] => [l[0], l[1], '0', '1'];
  return JSON.stringify({
    arg: { channel, instId: f.instId },
    action: f.action,
    data: [
      {
        asks: f.asks.map(level),
        bids: f.bids.map(level),
        ts: String(f.ts ?? 1_700_000_000_000),
        checksum: f.checksum ?? 0,
        prevSeqId: f.prevSeqId,
        seqId: f.seqId,
      },
    ],
  });
}

const BTC = 'okx:BTC/USDT';
const ETH = 'okx:ETH/USDT';

function started(bookDepth = 5): { protocol: OkxProtocol; io: Recorder } {
  const protocol = new OkxProtocol({ registry, bookDepth });
  const io = new Recorder({ forbidSnapshots: 'not used by OKX' });
  protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids: [['100', '1'], ['99', '2']], asks: [['101', '1'], ['102', '3']], seqId: 10, prevSeqId: -1 }), 1, io);
  protocol.onMessage(frame({ instId: 'ETH-USDT', action: 'snapshot', bids: [['10', '5']], asks: [['11', '5']], seqId: 500, prevSeqId: -1 }), 2, io);
  return { protocol, io };
}

describe('OKX book sync', () => {
  it('applies the documented sequence: snapshot -1->10, 10->15, heartbeat 15->15, reset 15->3, 3->5', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '4']], asks: [], seqId: 15, prevSeqId: 10 }), 3, io);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [], asks: [], seqId: 15, prevSeqId: 15 }), 4, io);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [], asks: [['101', '0']], seqId: 3, prevSeqId: 15 }), 5, io);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100.5', '7']], asks: [], seqId: 5, prevSeqId: 3 }), 6, io);
    expect(io.dead).toEqual([]);
    expect(io.sent).toEqual([]);
    expect(io.statuses()).toEqual([]);
    const books = io.books(BTC);
    expect(books.map((b) => b.seq)).toEqual(['15', '15', '3', '5']);
    expect(books[0]!.bids).toEqual([['100', '4'], ['99', '2']]);
    expect(books[1]!.bids).toEqual(books[0]!.bids); // heartbeat: unchanged
    expect(books[2]!.asks).toEqual([['102', '3']]);
    expect(books[3]).toMatchObject({ bids: [['100.5', '7'], ['100', '4'], ['99', '2']], asks: [['102', '3']], recvTs: 6 });
    const quotes = io.events.filter((e) => e.type === 'quote');
    expect(quotes[3]).toMatchObject({ instrument: BTC, bid: '100.5', bidSize: '7', ask: '102', askSize: '3' });
  });

  it('a gap resyncs only that instrument: resyncing, resubscribe, updates ignored, snapshot -> ok; the other keeps serving', () => {
    const { protocol, io } = started();
    expect(io.statuses()).toEqual([
      { instrument: BTC, status: 'ok' },
      { instrument: ETH, status: 'ok' },
    ]);
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '9']], asks: [], seqId: 12, prevSeqId: 11 }), 3, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'resyncing' }]);
    expect((io.events[0] as StatusEvent).reason).toBe('gap: prevSeqId 11 != last seqId 10');
    expect(io.sent.map((s) => JSON.parse(s) as unknown)).toEqual([
      { op: 'unsubscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
      { op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT' }] },
    ]);
    expect(io.books(BTC)).toEqual([]);
    expect(protocol.books.isSynced('BTC-USDT')).toBe(false);
    io.clear();
    // BTC updates from the old subscription are ignored; ETH keeps serving.
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '8']], asks: [], seqId: 13, prevSeqId: 12 }), 4, io);
    protocol.onMessage(frame({ instId: 'ETH-USDT', action: 'update', bids: [['10', '6']], asks: [], seqId: 501, prevSeqId: 500 }), 5, io);
    expect(io.books(BTC)).toEqual([]);
    expect(io.books(ETH).map((b) => b.bids)).toEqual([[['10', '6']]]);
    expect(io.dead).toEqual([]);
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids: [['98', '1']], asks: [['103', '1']], seqId: 40, prevSeqId: -1 }), 6, io);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['98.5', '2']], asks: [], seqId: 41, prevSeqId: 40 }), 7, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
    expect(io.books(BTC).map((b) => [b.seq, b.bids])).toEqual([
      ['40', [['98', '1']]],
      ['41', [['98.5', '2'], ['98', '1']]],
    ]);
    expect(io.sent).toEqual([]);
  });

  it('drops a stale duplicate (out_of_sequence dead letter), keeps the book and stays in sync', () => {
    const { protocol, io } = started();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '4']], asks: [], seqId: 11, prevSeqId: 10 }), 3, io);
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '4']], asks: [], seqId: 11, prevSeqId: 10 }), 4, io);
    expect(io.dead).toEqual([{ reason: 'out_of_sequence', detail: 'stale update prevSeqId 10 seqId 11, book at 11' }]);
    expect(io.events).toEqual([]);
    expect(io.sent).toEqual([]);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [], asks: [['101', '5']], seqId: 12, prevSeqId: 11 }), 5, io);
    expect(io.books(BTC)[0]).toMatchObject({ seq: '12', bids: [['100', '4'], ['99', '2']], asks: [['101', '5'], ['102', '3']] });
  });

  it('tolerates deletes of levels it does not hold', () => {
    const { protocol, io } = started();
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['42', '0']], asks: [['4242', '0']], seqId: 11, prevSeqId: 10 }), 3, io);
    expect(io.statuses()).toEqual([]);
    expect(io.dead).toEqual([]);
    expect(io.books(BTC)[0]).toMatchObject({ bids: [['100', '1'], ['99', '2']], asks: [['101', '1'], ['102', '3']] });
  });

  it('verifies a nonzero legacy checksum; a mismatch resyncs that instrument', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 5 });
    const io = new Recorder({ forbidSnapshots: 'not used by OKX' });
    const bids: Level[] = [['3366.1', '7'], ['3366', '6']];
    const asks: Level[] = [['3366.8', '9'], ['3368', '8']];
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids, asks, seqId: 1, prevSeqId: -1, checksum: -1881014294 }), 1, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'ok' }]);
    // After deleting bid 3366 the book is the second documented vector plus ask 3372.
    const good = okxChecksum([['3366.1', '7']], [['3366.8', '9'], ['3368', '8'], ['3372', '8']]);
    expect(good).toBe(831078360);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['3366', '0']], asks: [['3372', '8']], seqId: 2, prevSeqId: 1, checksum: good }), 2, io);
    expect(io.books(BTC).map((b) => b.seq)).toEqual(['1', '2']);
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['3366.1', '8']], asks: [], seqId: 3, prevSeqId: 2, checksum: 12345 }), 3, io);
    expect(io.statuses()).toEqual([{ instrument: BTC, status: 'resyncing' }]);
    expect((io.events[0] as StatusEvent).reason).toBe('checksum mismatch at seqId 3');
    expect(io.books(BTC)).toEqual([]);
    expect(io.sent).toHaveLength(2);
  });

  it('books50-l2-tbt keeps at most 50 levels per side (OKX sends no delete for a level pushed out)', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 60 });
    const io = new Recorder({ forbidSnapshots: 'not used by OKX' });
    const bids = Array.from({ length: 50 }, (_, i): Level => [String(1000 - i), '1']);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids, asks: [['2000', '1']], seqId: 1, prevSeqId: -1 }, 'books50-l2-tbt'), 1, io);
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['1000.5', '1']], asks: [], seqId: 2, prevSeqId: 1 }, 'books50-l2-tbt'), 2, io);
    const last = io.books(BTC).at(-1)!;
    expect(last.bids).toHaveLength(50);
    expect(last.bids[0]).toEqual(['1000.5', '1']);
    expect(last.bids[49]).toEqual(['952', '1']);
  });

  it('a book that keeps desyncing resubscribes 3 times a minute, then asks for a reconnect instead', () => {
    const { protocol, io } = started();
    const gapAt = (recvTs: number): void => {
      protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids: [['100', '1']], asks: [['101', '1']], seqId: 10, prevSeqId: -1 }), recvTs, io);
      protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [], asks: [], seqId: 13, prevSeqId: 12 }), recvTs, io);
    };
    io.clear();
    for (const t of [1_000, 2_000, 3_000]) gapAt(t);
    expect(io.sent).toHaveLength(6);
    expect(io.reconnects).toEqual([]);
    gapAt(4_000);
    expect(io.sent).toHaveLength(6);
    expect(io.reconnects).toEqual(['okx: resync budget spent (BTC-USDT: gap: prevSeqId 12 != last seqId 10)']);
    // A minute later, or on a new connection, the budget is back.
    gapAt(64_001);
    expect(io.sent).toHaveLength(8);
    protocol.reset();
    for (const t of [64_002, 64_003, 64_004]) gapAt(t);
    expect(io.sent).toHaveLength(14);
    expect(io.reconnects).toHaveLength(1);
  });

  it('reset() forgets the books: updates after a reconnect wait for a new snapshot', () => {
    const { protocol, io } = started();
    protocol.reset();
    io.clear();
    protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids: [['100', '4']], asks: [], seqId: 11, prevSeqId: 10 }), 3, io);
    expect(io.events).toEqual([]);
    expect(io.dead).toEqual([]);
  });

  it('matches a naive reference book over random update streams, with legacy checksums verified (seeded)', () => {
    const levelArb = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 5 }));
    const updateArb = fc.record({ bids: fc.array(levelArb, { maxLength: 6 }), asks: fc.array(levelArb, { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(updateArb, { minLength: 1, maxLength: 40 }), (updates) => {
        const protocol = new OkxProtocol({ registry, bookDepth: 400 });
        const io = new Recorder({ forbidSnapshots: 'not used by OKX' });
        // Reference: bids below 100, asks above 100, a Map per side.
        const refBids = new Map<string, string>([['99', '1']]);
        const refAsks = new Map<string, string>([['101', '1']]);
        const sorted = (m: Map<string, string>, desc: boolean): Level[] =>
          [...m.entries()].sort((a, b) => (desc ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).map(([p, s]): Level => [p, s]);
        protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'snapshot', bids: sorted(refBids, true), asks: sorted(refAsks, false), seqId: 0, prevSeqId: -1, checksum: okxChecksum(sorted(refBids, true), sorted(refAsks, false)) }), 0, io);
        let seq = 0;
        for (const u of updates) {
          const bids = u.bids.map(([p, s]): Level => [String(100 - p), String(s)]);
          const asks = u.asks.map(([p, s]): Level => [String(100 + p), String(s)]);
          for (const [p, s] of bids) if (s === '0') refBids.delete(p); else refBids.set(p, s);
          for (const [p, s] of asks) if (s === '0') refAsks.delete(p); else refAsks.set(p, s);
          const checksum = okxChecksum(sorted(refBids, true), sorted(refAsks, false));
          protocol.onMessage(frame({ instId: 'BTC-USDT', action: 'update', bids, asks, seqId: seq + 1, prevSeqId: seq, checksum }), seq + 1, io);
          seq++;
        }
        expect(io.statuses().filter((s) => s.status !== 'ok')).toEqual([]);
        expect(io.dead).toEqual([]);
        const last = io.books(BTC).at(-1)!;
        expect(last.bids).toEqual(sorted(refBids, true));
        expect(last.asks).toEqual(sorted(refAsks, false));
      }),
      { seed: 20261126, numRuns: 200 },
    );
  });
});
