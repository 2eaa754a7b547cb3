import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { krakenChecksumOfLevels } from '../../../src/feeds/kraken/checksum.js';
import { createKrakenProtocol, krakenNumber } from '../../../src/feeds/kraken/index.js';
import { MAX_SNAPSHOT_RETRIES } from '../../../src/feeds/kraken/sync.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import type { Level } from '../../../src/risk/events.js';
import { Recorder } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';

const registry = InstrumentRegistry.of([spotSpec('kraken', 'BTC/USD', 'BTC', 'USD', '0.1', '0.00000001'), spotSpec('kraken', 'ETH/USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const BTC = { price: 1, qty: 8 };
const ETH = { price: 2, qty: 8 };

/** Naive reference book: a map per side, sorted on demand, truncated like Kraken's client. */
class ReferenceBook {
  readonly bids = new Map<number, Level>();
  readonly asks = new Map<number, Level>();
  constructor(private readonly depth: number) {}
  load(bids: Level[], asks: Level[]): void {
    this.bids.clear();
    this.asks.clear();
    this.apply(bids, asks);
  }
  apply(bids: Level[], asks: Level[]): void {
    for (const l of bids) this.set(this.bids, l);
    for (const l of asks) this.set(this.asks, l);
    this.truncate(this.bids, 'bid');
    this.truncate(this.asks, 'ask');
  }
  private set(side: Map<number, Level>, l: Level): void {
    if (Number(l[1]) === 0) side.delete(Number(l[0]));
    else side.set(Number(l[0]), l);
  }
  private truncate(side: Map<number, Level>, which: 'bid' | 'ask'): void {
    const keep = new Set(this.top(which, this.depth).map((l) => Number(l[0])));
    for (const k of [...side.keys()]) if (!keep.has(k)) side.delete(k);
  }
  top(which: 'bid' | 'ask', n: number): Level[] {
    const side = which === 'bid' ? this.bids : this.asks;
    return [...side.values()].sort((a, b) => (which === 'bid' ? Number(b[0]) - Number(a[0]) : Number(a[0]) - Number(b[0]))).slice(0, n);
  }
  checksum(precision: { price: number; qty: number }): number {
    return krakenChecksumOfLevels(this.top('ask', 10), this.top('bid', 10), precision);
  }
}

function frame(type: 'snapshot' | 'update', symbol: string, bids: Level[], asks: Level[], checksum: number, ts = '2026-01-02T03:04:05.123456Z'): string {
  const side = (levels: Level[]): string => `[${levels.map(([p, q]) => `{"price":${krakenNumber(p)},"qty":${krakenNumber(q)}}`).join(',')}]`;
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":${side(bids)},"asks":${side(asks)},"checksum":${checksum},"timestamp":"${ts}"}]}`;
}


/** A 12-level book per side around `mid` (tenths), sizes 1..12 BTC. */
function ladder(mid: number, step: number, decimals: number): { bids: Level[]; asks: Level[] } {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 0; i < 12; i++) {
    bids.push([((mid - (i + 1) * step) / 10 ** decimals).toFixed(decimals), `${i + 1}.00000000`]);
    asks.push([((mid + (i + 1) * step) / 10 ** decimals).toFixed(decimals), `${i + 1}.50000000`]);
  }
  return { bids, asks };
}

function start(p: VenueProtocol, r: Recorder): { btc: ReferenceBook; eth: ReferenceBook } {
  p.subscribeMessages(registry.forFeed('kraken'));
  const btc = new ReferenceBook(10);
  const eth = new ReferenceBook(10);
  const b = ladder(500000, 5, 1);
  const e = ladder(300000, 3, 2);
  btc.load(b.bids, b.asks);
  eth.load(e.bids, e.asks);
  p.onMessage(frame('snapshot', 'BTC/USD', b.bids, b.asks, btc.checksum(BTC)), 1, r);
  p.onMessage(frame('snapshot', 'ETH/USD', e.bids, e.asks, eth.checksum(ETH)), 1, r);
  return { btc, eth };
}

describe('kraken book sync', () => {
  it('snapshots truncate to the subscribed depth and announce ok once per instrument', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 5 });
    const r = new Recorder();
    start(p, r);
    expect(r.dead).toEqual([]);
    expect(r.statuses()).toEqual([
      { instrument: 'kraken:BTC/USD', status: 'ok' },
      { instrument: 'kraken:ETH/USD', status: 'ok' },
    ]);
    const b = r.books('kraken:BTC/USD')[0]!;
    expect(b.bids).toEqual([
      ['49999.5', '1.00000000'],
      ['49999.0', '2.00000000'],
      ['49998.5', '3.00000000'],
      ['49998.0', '4.00000000'],
      ['49997.5', '5.00000000'],
    ]);
    expect(b.asks[0]).toEqual(['50000.5', '1.50000000']);
  });

  it('applies levels in array order (a price repeated in one message) and tolerates deleting absent levels', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    const { btc } = start(p, r);
    r.events.length = 0;
    // 49999.5 is set to 7 then deleted; 40000.0 was never in the book.
    const bids: Level[] = [
      ['49999.5', '7.00000000'],
      ['49999.5', '0'],
      ['40000.0', '0'],
    ];
    btc.apply(bids, []);
    p.onMessage(frame('update', 'BTC/USD', bids, [], btc.checksum(BTC)), 2, r);
    expect(r.dead).toEqual([]);
    expect(r.statuses()).toEqual([]);
    const b = r.books('kraken:BTC/USD')[0]!;
    expect(b.bids[0]).toEqual(['49999.0', '2.00000000']);
    expect(b.bids).toHaveLength(9); // 10 kept by truncation, one deleted
    const q = r.events.find((e) => e.type === 'quote')!;
    expect(q).toMatchObject({ bid: '49999.0', bidSize: '2.00000000', ask: '50000.5', askSize: '1.50000000' });
  });

  it('a better level pushes the worst out of the window with no delete sent; checksum still verifies', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    const { btc } = start(p, r);
    r.events.length = 0;
    const bids: Level[] = [['50000.0', '0.25000000']];
    btc.apply(bids, []);
    p.onMessage(frame('update', 'BTC/USD', bids, [], btc.checksum(BTC)), 2, r);
    expect(r.statuses()).toEqual([]);
    const b = r.books('kraken:BTC/USD')[0]!;
    expect(b.bids[0]).toEqual(['50000.0', '0.25000000']);
    expect(b.bids[9]).toEqual(['49995.5', '9.00000000']);
  });

  it('a checksum mismatch resyncs only that instrument: resubscribe, stale updates dropped, the other keeps serving, snapshot -> ok', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    const { btc, eth } = start(p, r);
    r.events.length = 0;
    // BTC update with a wrong checksum (as after a lost message).
    const bad: Level[] = [['49999.5', '3.00000000']];
    btc.apply(bad, []);
    p.onMessage(frame('update', 'BTC/USD', bad, [], (btc.checksum(BTC) + 1) >>> 0), 3, r);
    expect(r.statuses()).toEqual([{ instrument: 'kraken:BTC/USD', status: 'resyncing' }]);
    expect(r.books('kraken:BTC/USD')).toEqual([]);
    expect(r.sentJson()).toEqual([
      { method: 'unsubscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 3 },
      { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10, snapshot: true }, req_id: 4 },
    ]);
    // In-flight BTC updates of the old subscription: dropped, no dead letter, no event.
    p.onMessage(frame('update', 'BTC/USD', [['49999.5', '4.00000000']], [], 12345), 4, r);
    // ETH keeps serving meanwhile.
    const ethUpd: Level[] = [['3000.03', '9.00000000']];
    eth.apply([], ethUpd);
    p.onMessage(frame('update', 'ETH/USD', [], ethUpd, eth.checksum(ETH)), 5, r);
    expect(r.books('kraken:BTC/USD')).toEqual([]);
    expect(r.books('kraken:ETH/USD')).toHaveLength(1);
    expect(r.books('kraken:ETH/USD')[0]!.asks[0]).toEqual(['3000.03', '9.00000000']);
    expect(r.dead).toEqual([]);
    // The fresh snapshot rebuilds BTC and announces ok.
    const fresh = ladder(500100, 5, 1);
    btc.load(fresh.bids, fresh.asks);
    p.onMessage(frame('snapshot', 'BTC/USD', fresh.bids, fresh.asks, btc.checksum(BTC)), 6, r);
    expect(r.statuses()).toEqual([
      { instrument: 'kraken:BTC/USD', status: 'resyncing' },
      { instrument: 'kraken:BTC/USD', status: 'ok' },
    ]);
    const rebuilt = r.books('kraken:BTC/USD')[0]!;
    expect(rebuilt.bids[0]).toEqual(['50009.5', '1.00000000']);
    expect(rebuilt.recvTs).toBe(6);
    expect(r.sentJson()).toHaveLength(2);
  });

  it('an update before any snapshot is dead-lettered out_of_sequence', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    p.onMessage(frame('update', 'BTC/USD', [['1.0', '1.0']], [], 1), 1, r);
    expect(r.events).toEqual([]);
    expect(r.dead).toEqual([{ reason: 'out_of_sequence', detail: 'book update for BTC/USD before any snapshot' }]);
  });

  it('a snapshot failing its checksum (wrong precision) re-subscribes a bounded number of times', () => {
    // Configured precision 3 dp for BTC/USD while the venue formats 1 dp: every snapshot fails.
    const p = createKrakenProtocol({ registry, bookDepth: 10, precisions: { 'BTC/USD': { price: 3, qty: 8 } } });
    const r = new Recorder();
    const b = ladder(500000, 5, 1);
    const ref = new ReferenceBook(10);
    ref.load(b.bids, b.asks);
    for (let i = 0; i < MAX_SNAPSHOT_RETRIES + 2; i++) p.onMessage(frame('snapshot', 'BTC/USD', b.bids, b.asks, ref.checksum(BTC)), i, r);
    expect(r.statuses()).toEqual([{ instrument: 'kraken:BTC/USD', status: 'resyncing' }]);
    expect(r.sentJson().filter((m) => (m as { method: string }).method === 'subscribe')).toHaveLength(MAX_SNAPSHOT_RETRIES);
    expect(r.books('kraken:BTC/USD')).toEqual([]);
  });

  it('status channel: maintenance halts every subscribed instrument; online rebuilds each book', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    const { btc } = start(p, r);
    r.events.length = 0;
    p.onMessage('{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":1,"system":"maintenance","version":"2.0.0"}]}', 7, r);
    expect(r.statuses()).toEqual([
      { instrument: 'kraken:BTC/USD', status: 'halted' },
      { instrument: 'kraken:ETH/USD', status: 'halted' },
    ]);
    p.onMessage('{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":1,"system":"online","version":"2.0.0"}]}', 8, r);
    expect(r.sentJson().map((m) => (m as { method: string; params: { symbol: string[] } }).method)).toEqual(['unsubscribe', 'subscribe']);
    // Updates before the new snapshot are dropped silently; the snapshot announces ok.
    p.onMessage(frame('update', 'BTC/USD', [['49999.5', '4.00000000']], [], 1), 9, r);
    p.onMessage(frame('snapshot', 'BTC/USD', btc.top('bid', 10), btc.top('ask', 10), btc.checksum(BTC)), 10, r);
    expect(r.dead).toEqual([]);
    expect(r.statuses().at(-1)).toEqual({ instrument: 'kraken:BTC/USD', status: 'ok' });
  });

  it('property: any sequence of valid updates stays in sync and equals a naive reference book', () => {
    const level = fc.record({ tick: fc.integer({ min: 1, max: 60 }), lots: fc.integer({ min: 0, max: 4 }), frac: fc.integer({ min: 0, max: 99 }) });
    const update = fc.record({ bids: fc.array(level, { maxLength: 6 }), asks: fc.array(level, { maxLength: 6 }) });
    fc.assert(
      fc.property(fc.array(update, { minLength: 1, maxLength: 40 }), fc.integer({ min: 5, max: 25 }), (updates, bookDepth) => {
        const p = createKrakenProtocol({ registry, bookDepth });
        const depth = bookDepth <= 10 ? 10 : 25;
        const r = new Recorder();
        const ref = new ReferenceBook(depth);
        const snap = ladder(500000, 5, 1);
        ref.load(snap.bids, snap.asks);
        p.onMessage(frame('snapshot', 'BTC/USD', snap.bids, snap.asks, ref.checksum(BTC)), 0, r);
        for (const u of updates) {
          // Bids below 50000, asks above: the book never crosses.
          const toLevel = (base: number, sign: number) => (l: { tick: number; lots: number; frac: number }): Level => [
            (base + sign * l.tick * 0.5).toFixed(1),
            l.lots === 0 ? '0' : `${l.lots}.${String(l.frac).padStart(2, '0')}`,
          ];
          const bids = u.bids.map(toLevel(50000, -1));
          const asks = u.asks.map(toLevel(50000, 1));
          ref.apply(bids, asks);
          p.onMessage(frame('update', 'BTC/USD', bids, asks, ref.checksum(BTC)), 1, r);
        }
        expect(r.dead).toEqual([]);
        expect(r.statuses()).toEqual([{ instrument: 'kraken:BTC/USD', status: 'ok' }]);
        const last = r.books('kraken:BTC/USD').at(-1)!;
        const norm = (ls: readonly Level[]): [number, number][] => ls.map((l) => [Number(l[0]), Number(l[1])]);
        expect(norm(last.bids)).toEqual(norm(ref.top('bid', bookDepth)));
        expect(norm(last.asks)).toEqual(norm(ref.top('ask', bookDepth)));
      }),
      { seed: 20261126, numRuns: 150 },
    );
  });
});
