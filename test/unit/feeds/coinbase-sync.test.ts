import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import { Recorder } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';

const registry = InstrumentRegistry.of([spotSpec('coinbase', 'BTC-USD', 'BTC', 'USD', '0.01', '0.00000001'), spotSpec('coinbase', 'ETH-USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const T = '2026-03-01T10:00:00.123456Z';

const trades = (r: Recorder): string[] => r.events.flatMap((e) => (e.type === 'trade' ? [`${e.instrument}#${e.tradeId}`] : []));

const snapshot = (product: string, bid: string, ask: string): string => `{"type":"snapshot","product_id":"${product}","bids":[["${bid}","1.0"]],"asks":[["${ask}","2.0"]]}`;
const l2update = (product: string, side: string, price: string, size: string): string => `{"type":"l2update","product_id":"${product}","changes":[["${side}","${price}","${size}"]],"time":"${T}"}`;
const match = (type: 'match' | 'last_match', product: string, id: number, seq: number): string =>
  `{"type":"${type}","trade_id":${id},"maker_order_id":"a","taker_order_id":"b","side":"sell","size":"0.5","price":"100.00","product_id":"${product}","sequence":${seq},"time":"${T}"}`;

function exchange(r: Recorder): VenueProtocol {
  const p = createCoinbaseProtocol({ registry, bookDepth: 5 });
  p.subscribeMessages(registry.forFeed('coinbase'));
  p.onMessage(snapshot('BTC-USD', '100.00', '100.10'), 1, r);
  p.onMessage(snapshot('ETH-USD', '10.00', '10.10'), 1, r);
  p.onMessage(match('last_match', 'BTC-USD', 100, 5000), 1, r);
  p.onMessage(match('last_match', 'ETH-USD', 7, 9000), 1, r);
  r.events.length = 0;
  return p;
}

describe('coinbase exchange sync', () => {
  it('contiguous matches pass; sequence jumps between them are not alarms (ticker/matches see a subset)', () => {
    const r = new Recorder();
    const p = exchange(r);
    p.onMessage(match('match', 'BTC-USD', 101, 5017), 2, r);
    p.onMessage(match('match', 'BTC-USD', 102, 6300), 2, r);
    expect(trades(r)).toEqual(['coinbase:BTC/USD#101', 'coinbase:BTC/USD#102']);
    expect(r.statusPairs()).toEqual([]);
    expect(r.dead).toEqual([]);
  });

  it('a trade_id gap resyncs only that product: resubscribe its level2, drop its stale updates, the other keeps serving, snapshot -> ok', () => {
    const r = new Recorder();
    const p = exchange(r);
    p.onMessage(match('match', 'BTC-USD', 103, 5100), 2, r); // 101 and 102 were lost
    expect(r.statusPairs()).toEqual([['coinbase:BTC/USD', 'resyncing']]);
    expect(r.events.find((e) => e.type === 'status')).toMatchObject({ reason: 'trade_id gap: 100 -> 103 (2 missed)' });
    expect(trades(r)).toEqual(['coinbase:BTC/USD#103']); // the trade itself is real and still emitted
    expect(r.sentJson()).toEqual([
      { type: 'unsubscribe', product_ids: ['BTC-USD'], channels: ['level2_batch'] },
      { type: 'subscribe', product_ids: ['BTC-USD'], channels: ['level2_batch'] },
    ]);
    p.onMessage(l2update('BTC-USD', 'buy', '100.01', '3'), 3, r); // in flight: dropped silently
    p.onMessage(l2update('ETH-USD', 'sell', '10.05', '4'), 3, r);
    expect(r.books('coinbase:BTC/USD')).toEqual([]);
    expect(r.books('coinbase:ETH/USD')[0]!.asks).toEqual([
      ['10.05', '4'],
      ['10.10', '2.0'],
    ]);
    p.onMessage(snapshot('BTC-USD', '99.00', '99.50'), 4, r);
    expect(r.statusPairs()).toEqual([
      ['coinbase:BTC/USD', 'resyncing'],
      ['coinbase:BTC/USD', 'ok'],
    ]);
    expect(r.books('coinbase:BTC/USD')[0]).toMatchObject({ bids: [['99.00', '1.0']], asks: [['99.50', '2.0']] });
    expect(r.dead).toEqual([]);
  });

  it('duplicate or older matches are dropped and dead-lettered out_of_sequence', () => {
    const r = new Recorder();
    const p = exchange(r);
    p.onMessage(match('match', 'BTC-USD', 101, 5017), 2, r);
    p.onMessage(match('match', 'BTC-USD', 101, 5017), 2, r);
    p.onMessage(match('match', 'BTC-USD', 99, 5001), 2, r);
    expect(trades(r)).toEqual(['coinbase:BTC/USD#101']);
    expect(r.dead.map((d) => d.reason)).toEqual(['out_of_sequence', 'out_of_sequence']);
    expect(r.statusPairs()).toEqual([]);
  });

  it('after a reconnect the replayed last_match is not emitted twice and missed trades raise no gap', () => {
    const r = new Recorder();
    const p = exchange(r);
    p.onMessage(match('match', 'BTC-USD', 101, 5017), 2, r);
    p.reset();
    p.subscribeMessages(registry.forFeed('coinbase'));
    p.onMessage(match('last_match', 'BTC-USD', 101, 5017), 3, r); // already emitted before the drop
    p.onMessage(match('last_match', 'ETH-USD', 40, 9100), 3, r); // trades 8..39 happened while disconnected
    p.onMessage(match('match', 'ETH-USD', 41, 9101), 3, r);
    expect(trades(r)).toEqual(['coinbase:BTC/USD#101', 'coinbase:ETH/USD#40', 'coinbase:ETH/USD#41']);
    expect(r.statusPairs()).toEqual([]);
    expect(r.dead).toEqual([]);
  });

  it('a product without a book: gap -> resyncing until the next contiguous trade -> ok', () => {
    const r = new Recorder();
    const p = createCoinbaseProtocol({ registry, bookDepth: 5 }); // nothing subscribed: no book expected
    p.onMessage(match('last_match', 'SOL-USD', 10, 1), 1, r);
    p.onMessage(match('match', 'SOL-USD', 12, 2), 1, r);
    p.onMessage(match('match', 'SOL-USD', 13, 3), 1, r);
    expect(r.statusPairs()).toEqual([
      ['coinbase:SOL/USD', 'resyncing'],
      ['coinbase:SOL/USD', 'ok'],
    ]);
    expect(r.sentJson()).toEqual([]);
  });

  it('size 0 (any spelling) deletes; deleting an absent level is tolerated', () => {
    const r = new Recorder();
    const p = exchange(r);
    p.onMessage(l2update('BTC-USD', 'buy', '100.00', '0.00000000'), 2, r);
    p.onMessage(l2update('BTC-USD', 'sell', '123.45', '0'), 2, r);
    const b = r.books('coinbase:BTC/USD');
    expect(b[0]!.bids).toEqual([]);
    expect(b[1]!.asks).toEqual([['100.10', '2.0']]);
    expect(r.events.filter((e) => e.type === 'quote')[0]).toMatchObject({ bid: null, bidSize: null, ask: '100.10' });
    expect(r.dead).toEqual([]);
  });

  it('property: random l2update streams equal a naive reference book', () => {
    const change = fc.record({ buy: fc.boolean(), tick: fc.integer({ min: 1, max: 30 }), size: fc.integer({ min: 0, max: 5 }), pad: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 30 }), (updates) => {
        const r = new Recorder();
        const p = createCoinbaseProtocol({ registry, bookDepth: 50 });
        p.onMessage('{"type":"snapshot","product_id":"BTC-USD","bids":[],"asks":[]}', 0, r);
        const bids = new Map<number, number>();
        const asks = new Map<number, number>();
        for (const u of updates) {
          const changes = u.map((c) => {
            const price = c.buy ? 1000 - c.tick * 0.25 : 1000 + c.tick * 0.25;
            // The venue writes the same price with different paddings (snapshot vs updates).
            const text = c.pad ? price.toFixed(8) : price.toFixed(2);
            const side = c.buy ? bids : asks;
            if (c.size === 0) side.delete(price);
            else side.set(price, c.size);
            return `["${c.buy ? 'buy' : 'sell'}","${text}","${c.size}"]`;
          });
          p.onMessage(`{"type":"l2update","product_id":"BTC-USD","changes":[${changes.join(',')}],"time":"${T}"}`, 1, r);
        }
        const last = r.books('coinbase:BTC/USD').at(-1)!;
        const want = (m: Map<number, number>, desc: boolean): [number, number][] => [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
        expect(last.bids.map((l) => [Number(l[0]), Number(l[1])])).toEqual(want(bids, true));
        expect(last.asks.map((l) => [Number(l[0]), Number(l[1])])).toEqual(want(asks, false));
        expect(r.dead).toEqual([]);
      }),
      { seed: 424242, numRuns: 200 },
    );
  });
});

describe('coinbase advanced trade sync', () => {
  const env = (seq: number, channel: string, events: unknown[]): string => JSON.stringify({ channel, client_id: '', timestamp: T, sequence_num: seq, events });
  const l2 = (type: 'snapshot' | 'update', product: string, updates: [string, string, string][]): unknown => ({
    type,
    product_id: product,
    updates: updates.map(([side, price, qty]) => ({ side, event_time: T, price_level: price, new_quantity: qty })),
  });

  it('a sequence_num jump resyncs every book of the connection; duplicates are dropped', () => {
    const r = new Recorder();
    const p = createCoinbaseProtocol({ registry, bookDepth: 5, api: 'advanced' });
    p.subscribeMessages(registry.forFeed('coinbase'));
    p.onMessage(env(1, 'subscriptions', [{ subscriptions: { level2: ['BTC-USD', 'ETH-USD'] } }]), 1, r);
    p.onMessage(env(2, 'l2_data', [l2('snapshot', 'BTC-USD', [['offer', '101', '1'], ['bid', '99', '2'], ['bid', '100', '3']])]), 1, r);
    p.onMessage(env(3, 'l2_data', [l2('snapshot', 'ETH-USD', [['bid', '10', '1'], ['offer', '11', '1']])]), 1, r);
    const first = r.books('coinbase:BTC/USD')[0]!;
    expect(first.bids).toEqual([
      ['100', '3'],
      ['99', '2'],
    ]);
    expect(first.seq).toBe('2');
    p.onMessage(env(4, 'l2_data', [l2('update', 'BTC-USD', [['bid', '100', '0'], ['bid', '98', '0']])]), 2, r);
    expect(r.books('coinbase:BTC/USD')[1]!.bids).toEqual([['99', '2']]);
    r.events.length = 0;
    p.onMessage(env(7, 'heartbeats', [{ current_time: 'x', heartbeat_counter: 5 }]), 3, r); // 5 and 6 lost
    expect(r.statusPairs()).toEqual([
      ['coinbase:BTC/USD', 'resyncing'],
      ['coinbase:ETH/USD', 'resyncing'],
    ]);
    expect(r.sentJson()).toEqual([
      { type: 'unsubscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
    ]);
    p.onMessage(env(7, 'heartbeats', [{ current_time: 'x', heartbeat_counter: 5 }]), 3, r);
    expect(r.dead.map((d) => d.reason)).toEqual(['out_of_sequence']);
    p.onMessage(env(8, 'l2_data', [l2('update', 'BTC-USD', [['bid', '97', '1']])]), 4, r); // stale: dropped
    p.onMessage(env(9, 'l2_data', [l2('snapshot', 'BTC-USD', [['bid', '96', '1'], ['offer', '97.5', '1']])]), 5, r);
    expect(r.statusPairs().at(-1)).toEqual(['coinbase:BTC/USD', 'ok']);
    expect(r.books('coinbase:BTC/USD')).toHaveLength(1);
    expect(r.books('coinbase:BTC/USD')[0]).toMatchObject({ bids: [['96', '1']], asks: [['97.5', '1']], seq: '9' });
  });
});
