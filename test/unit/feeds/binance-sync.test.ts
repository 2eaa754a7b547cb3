/**
 * Binance depth sync on synthetic sequences: spot U/u rule and USD-M pu rule, gaps that resync one
 * instrument only, stale and duplicate events, deletes of absent levels, snapshot refetches.
 */
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_RETRY_MS } from '../../../src/feeds/binance/sync.js';
import type { Level } from '../../../src/risk/events.js';
import { instrument, protocol, Recorder } from './binance-helpers.js';

type L = [string, string];

function spotDepth(symbol: string, first: number, final: number, bids: L[], asks: L[], time = 1_700_000_000_000): string {
  return JSON.stringify({
    stream: `${symbol.toLowerCase()}@depth@100ms`,
    data: { e: 'depthUpdate', E: time, s: symbol, U: first, u: final, b: bids, a: asks },
  });
}

function usdmDepth(symbol: string, first: number, final: number, prev: number, bids: L[], asks: L[], time = 1_700_000_000_000): string {
  return JSON.stringify({
    stream: `${symbol.toLowerCase()}@depth@100ms`,
    data: { e: 'depthUpdate', E: time + 5, T: time, s: symbol, U: first, u: final, pu: prev, b: bids, a: asks },
  });
}

function snapshot(lastUpdateId: number, bids: L[], asks: L[]): string {
  return JSON.stringify({ lastUpdateId, bids, asks });
}

const BOOK_BIDS: L[] = [
  ['100.00', '1.0'],
  ['99.00', '2.0'],
  ['98.00', '3.0'],
];
const BOOK_ASKS: L[] = [
  ['101.00', '1.5'],
  ['102.00', '2.5'],
];

function lastBook(rec: Recorder, id: string): { bids: readonly Level[]; asks: readonly Level[]; seq?: string | undefined } | undefined {
  const books = rec.ofType('book').filter((b) => b.instrument === id);
  return books[books.length - 1];
}

describe('binance spot depth sync (U/u rule)', () => {
  const btc = instrument('binance-spot', 'BTCUSDT');
  const eth = instrument('binance-spot', 'ETHUSDT');

  it('buffers until the snapshot, drops what it covers, applies the bridging event and those after it', () => {
    const p = protocol('spot', true, 2);
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 95, 100, [['100.00', '9.0']], []), 1, rec); // covered by the snapshot
    p.onMessage(spotDepth('BTCUSDT', 101, 103, [['100.00', '4.0']], []), 2, rec); // bridges 100 + 1
    p.onMessage(spotDepth('BTCUSDT', 104, 104, [], [['101.00', '0']]), 3, rec);
    expect(rec.snapshots).toEqual(['binance:BTC/USDT']);
    expect(rec.events).toEqual([]);
    p.onSnapshot(btc, snapshot(100, BOOK_BIDS, BOOK_ASKS), 4, rec);
    expect(rec.letters).toEqual([]);
    expect(rec.events.map((e) => e.type)).toEqual(['status', 'book', 'quote']);
    expect(rec.events[0]).toMatchObject({ status: 'ok', instrument: 'binance:BTC/USDT' });
    expect(lastBook(rec, 'binance:BTC/USDT')).toMatchObject({
      bids: [
        ['100.00', '4.0'],
        ['99.00', '2.0'],
      ],
      asks: [['102.00', '2.5']],
      seq: '104',
    });
    expect(rec.ofType('quote')[0]).toMatchObject({ bid: '100.00', bidSize: '4.0', ask: '102.00', askSize: '2.5' });
  });

  it('a gap resyncs only that instrument; the other keeps serving; the rebuilt book comes back ok', () => {
    const p = protocol('spot', true, 3);
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 11, [], []), 1, rec);
    p.onMessage(spotDepth('ETHUSDT', 51, 51, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    p.onSnapshot(eth, snapshot(50, [['10.00', '1']], [['11.00', '1']]), 2, rec);
    expect(p.isSynced(btc) && p.isSynced(eth)).toBe(true);
    rec.clear();

    // ETH skips update id 52: U = 53 > 51 + 1.
    p.onMessage(spotDepth('ETHUSDT', 53, 54, [['10.00', '5']], []), 3, rec);
    expect(rec.events).toEqual([
      {
        type: 'status',
        venue: 'binance',
        instrument: 'binance:ETH/USDT',
        exchTs: 1_700_000_000_000,
        recvTs: 3,
        status: 'resyncing',
        reason: 'gap: book at update id 51, next event starts at U=53',
      },
    ]);
    expect(rec.snapshots).toEqual(['binance:ETH/USDT']);
    expect(p.isSynced(eth)).toBe(false);

    // BTC keeps serving while ETH rebuilds; ETH events are buffered, not emitted.
    rec.clear();
    p.onMessage(spotDepth('BTCUSDT', 12, 12, [['100.00', '7.0']], []), 4, rec);
    p.onMessage(spotDepth('ETHUSDT', 55, 55, [['10.00', '6']], []), 4, rec);
    expect(rec.events.map((e) => `${e.type}:${e.instrument}`)).toEqual(['book:binance:BTC/USDT', 'quote:binance:BTC/USDT']);
    expect(rec.ofType('quote')[0]).toMatchObject({ bid: '100.00', bidSize: '7.0' });

    // The new snapshot is at 54: the buffered 53..54 is covered, 55 bridges it.
    rec.clear();
    p.onSnapshot(eth, snapshot(54, [['10.00', '5']], [['11.00', '2']]), 5, rec);
    expect(p.isSynced(eth)).toBe(true);
    expect(rec.events.map((e) => e.type)).toEqual(['status', 'book', 'quote']);
    expect(rec.events[0]).toMatchObject({ status: 'ok', instrument: 'binance:ETH/USDT', reason: 'book synced at update id 55' });
    expect(lastBook(rec, 'binance:ETH/USDT')).toMatchObject({ bids: [['10.00', '6']], asks: [['11.00', '2']], seq: '55' });
  });

  it('stale and duplicate events once synced are dropped as out_of_sequence; the book keeps serving', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 12, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    rec.clear();
    const duplicate = spotDepth('BTCUSDT', 11, 12, [['100.00', '0']], []);
    p.onMessage(duplicate, 3, rec);
    const older = spotDepth('BTCUSDT', 5, 9, [['99.00', '0']], []);
    p.onMessage(older, 3, rec);
    expect(rec.events).toEqual([]);
    expect(rec.letters.map((l) => [l.reason, l.raw])).toEqual([
      ['out_of_sequence', duplicate],
      ['out_of_sequence', older],
    ]);
    expect(rec.letters[0]!.detail).toBe("BTCUSDT: depth event U=11 u=12 is not past the book's update id 12; dropped");
    expect(p.isSynced(btc)).toBe(true);
    p.onMessage(spotDepth('BTCUSDT', 13, 13, [['100.00', '0.5']], []), 4, rec);
    expect(rec.ofType('quote')[0]).toMatchObject({ bid: '100.00', bidSize: '0.5' });
  });

  it('an overlapping event (U <= local < u) continues the book', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 12, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    rec.clear();
    p.onMessage(spotDepth('BTCUSDT', 12, 14, [['100.00', '2.0']], []), 3, rec);
    expect(rec.letters).toEqual([]);
    expect(lastBook(rec, 'binance:BTC/USDT')?.seq).toBe('14');
  });

  it('deleting a level the book does not hold is normal: no letter, no resync', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 11, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    rec.clear();
    p.onMessage(spotDepth('BTCUSDT', 12, 13, [['50.00', '0.00000000']], [['500.00', '0']]), 3, rec);
    expect(rec.letters).toEqual([]);
    expect(rec.events.map((e) => e.type)).toEqual(['book', 'quote']);
    expect(lastBook(rec, 'binance:BTC/USDT')).toMatchObject({ bids: BOOK_BIDS, asks: BOOK_ASKS });
  });

  it('a snapshot older than the first buffered event is fetched again before anything is applied', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 200, 201, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(150, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(rec.snapshots).toEqual(['binance:BTC/USDT', 'binance:BTC/USDT']);
    expect(p.isSynced(btc)).toBe(false);
    p.onSnapshot(btc, snapshot(200, BOOK_BIDS, BOOK_ASKS), 3, rec);
    expect(p.isSynced(btc)).toBe(true);
    expect(lastBook(rec, 'binance:BTC/USDT')?.seq).toBe('201');
  });

  it('a gap inside the buffered events restarts from the event after the gap', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 11, [], []), 1, rec);
    p.onMessage(spotDepth('BTCUSDT', 13, 13, [], []), 1, rec); // 12 is missing
    p.onMessage(spotDepth('BTCUSDT', 14, 14, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(p.isSynced(btc)).toBe(false);
    expect(rec.ofType('status').map((s) => s.status)).toEqual(['resyncing']);
    expect(rec.snapshots).toHaveLength(2);
    p.onSnapshot(btc, snapshot(13, BOOK_BIDS, BOOK_ASKS), 3, rec);
    expect(p.isSynced(btc)).toBe(true);
    expect(lastBook(rec, 'binance:BTC/USDT')?.seq).toBe('14');
    expect(rec.ofType('status').map((s) => s.status)).toEqual(['resyncing', 'ok']);
  });

  it('a failed snapshot body is dead-lettered and requested again after the retry interval', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 11, [], []), 1_000, rec);
    p.onSnapshot(btc, '{"code":-1003,"msg":"Too much request weight used."}', 1_100, rec);
    expect(rec.letters.map((l) => l.reason)).toEqual(['venue_error']);
    p.onMessage(spotDepth('BTCUSDT', 12, 12, [], []), 1_000 + SNAPSHOT_RETRY_MS - 1, rec);
    expect(rec.snapshots).toHaveLength(1);
    p.onMessage(spotDepth('BTCUSDT', 13, 13, [], []), 1_000 + SNAPSHOT_RETRY_MS, rec);
    expect(rec.snapshots).toHaveLength(2);
    p.onSnapshot(btc, 'not json', 1_100, rec);
    expect(rec.letters.map((l) => l.reason)).toEqual(['venue_error', 'invalid_json']);
  });

  it('reset forgets every book; a snapshot arriving afterwards is ignored', () => {
    const p = protocol('spot');
    const rec = new Recorder();
    p.onMessage(spotDepth('BTCUSDT', 11, 11, [], []), 1, rec);
    p.reset();
    p.onSnapshot(btc, snapshot(10, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(rec.events).toEqual([]);
    expect(p.isSynced(btc)).toBe(false);
    p.onMessage(spotDepth('BTCUSDT', 12, 12, [], []), 3, rec);
    expect(rec.snapshots).toEqual(['binance:BTC/USDT', 'binance:BTC/USDT']);
  });

  it('depth for a symbol outside the registry cannot be synced: unknown_symbol', () => {
    const rec = new Recorder();
    protocol('spot').onMessage(spotDepth('NEOBTC', 1, 2, [], []), 1, rec);
    expect(rec.letters.map((l) => l.reason)).toEqual(['unknown_symbol']);
    expect(rec.snapshots).toEqual([]);
  });
});

describe('binance usdm depth sync (pu rule)', () => {
  const btc = instrument('binance-usdm', 'BTCUSDT');
  const eth = instrument('binance-usdm', 'ETHUSDT');

  it('ids need not be contiguous: pu chains the events', () => {
    const p = protocol('usdm-public');
    const rec = new Recorder();
    p.onMessage(usdmDepth('BTCUSDT', 900, 990, 850, [], []), 1, rec); // u < lastUpdateId: dropped
    p.onMessage(usdmDepth('BTCUSDT', 995, 1010, 990, [['100.00', '8.0']], []), 1, rec); // U <= 1000 <= u
    p.onMessage(usdmDepth('BTCUSDT', 1050, 1077, 1010, [], [['101.00', '0']]), 1, rec);
    p.onSnapshot(btc, snapshot(1000, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(rec.letters).toEqual([]);
    expect(p.isSynced(btc)).toBe(true);
    expect(lastBook(rec, 'binance:BTC/USDT:USDT')).toMatchObject({ seq: '1077', asks: [['102.00', '2.5']] });
    rec.clear();
    p.onMessage(usdmDepth('BTCUSDT', 1200, 1300, 1077, [['99.00', '0']], []), 3, rec);
    expect(rec.events.map((e) => e.type)).toEqual(['book', 'quote']);
    expect(lastBook(rec, 'binance:BTC/USDT:USDT')).toMatchObject({
      bids: [
        ['100.00', '8.0'],
        ['98.00', '3.0'],
      ],
      seq: '1300',
    });
  });

  it('the event whose u equals lastUpdateId bridges (U <= lastUpdateId <= u)', () => {
    const p = protocol('usdm-public');
    const rec = new Recorder();
    p.onMessage(usdmDepth('BTCUSDT', 990, 1000, 980, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(1000, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(p.isSynced(btc)).toBe(true);
  });

  it('a broken pu chain resyncs that instrument only', () => {
    const p = protocol('usdm-public');
    const rec = new Recorder();
    p.onMessage(usdmDepth('BTCUSDT', 995, 1010, 990, [], []), 1, rec);
    p.onMessage(usdmDepth('ETHUSDT', 2995, 3010, 2990, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(1000, BOOK_BIDS, BOOK_ASKS), 2, rec);
    p.onSnapshot(eth, snapshot(3000, [['10', '1']], [['11', '1']]), 2, rec);
    rec.clear();
    p.onMessage(usdmDepth('BTCUSDT', 1100, 1120, 1050, [], []), 3, rec); // pu 1050 != 1010
    p.onMessage(usdmDepth('ETHUSDT', 3100, 3120, 3010, [['10', '2']], []), 3, rec);
    expect(rec.events.map((e) => `${e.type}:${e.instrument}`)).toEqual([
      'status:binance:BTC/USDT:USDT',
      'book:binance:ETH/USDT:USDT',
      'quote:binance:ETH/USDT:USDT',
    ]);
    expect(rec.events[0]).toMatchObject({ status: 'resyncing', reason: 'gap: book at update id 1010, next event has pu=1050' });
    expect(rec.snapshots).toEqual(['binance:BTC/USDT:USDT']);
    rec.clear();
    p.onSnapshot(btc, snapshot(1120, BOOK_BIDS, BOOK_ASKS), 4, rec);
    expect(p.isSynced(btc)).toBe(true);
    expect(rec.events.map((e) => e.type)).toEqual(['status', 'book', 'quote']);
    expect(rec.events[0]).toMatchObject({ status: 'ok', instrument: 'binance:BTC/USDT:USDT' });
  });

  it('a snapshot the buffered events cannot bridge (first U > lastUpdateId) is fetched again', () => {
    const p = protocol('usdm-public');
    const rec = new Recorder();
    p.onMessage(usdmDepth('BTCUSDT', 1500, 1510, 1400, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(1000, BOOK_BIDS, BOOK_ASKS), 2, rec);
    expect(p.isSynced(btc)).toBe(false);
    expect(rec.snapshots).toHaveLength(2);
    expect(rec.events).toEqual([]);
  });

  it('a replayed event once synced is out_of_sequence, not a gap', () => {
    const p = protocol('usdm-public');
    const rec = new Recorder();
    p.onMessage(usdmDepth('BTCUSDT', 995, 1010, 990, [], []), 1, rec);
    p.onSnapshot(btc, snapshot(1000, BOOK_BIDS, BOOK_ASKS), 2, rec);
    rec.clear();
    p.onMessage(usdmDepth('BTCUSDT', 995, 1010, 990, [], []), 3, rec);
    expect(rec.letters.map((l) => l.reason)).toEqual(['out_of_sequence']);
    expect(rec.events).toEqual([]);
    expect(p.isSynced(btc)).toBe(true);
  });
});
