import { describe, expect, it } from 'vitest';
import { coinbaseSimVenue, createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, Level, TradeEvent } from '../../../src/risk/events.js';
import { fixture } from './harness/fixtures.js';
import type { Recorder } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';
import { FakeClient, InMemoryLoop, ScriptedMarket, driveLoop, expectTradesAsTicked, scriptedBooks, seededMarket } from './harness/sim.js';

const registry = InstrumentRegistry.of([spotSpec('coinbase', 'BTC-USD', 'BTC', 'USD', '0.01', '0.00000001'), spotSpec('coinbase', 'ETH-USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const T0 = Date.parse('2026-11-26T09:00:00Z');

const levelSize = (side: 'bid' | 'ask', i: number): string => (side === 'bid' ? `${i}.25` : `${i}.5`);
const BOOKS = scriptedBooks([[BTC, 50000, 0.01, 2], [ETH, 3000, 0.05, 2]], 8, levelSize);
const scriptedMarket = (): ScriptedMarket => new ScriptedMarket(BOOKS, T0);

const statuses = (r: Recorder): [string, string][] => r.statusPairs();
const lastBook = (r: Recorder, id: string): BookEvent => r.books(id).at(-1)!;

describe('coinbase simulator: wire faithfulness', () => {
  it('answers the documented subscribe with one subscriptions message, then a snapshot per product', () => {
    const venue = coinbaseSimVenue(scriptedMarket());
    const client = new FakeClient(1);
    venue.onConnect(client);
    venue.onClientMessage(client, JSON.stringify({ type: 'subscribe', product_ids: ['ETH-USD'], channels: ['level2', 'heartbeat', { name: 'ticker', product_ids: ['BTC-USD'] }] }));
    const frames = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(frames[0]).toEqual({
      type: 'subscriptions',
      channels: [
        { name: 'level2', product_ids: ['ETH-USD'] },
        { name: 'heartbeat', product_ids: ['ETH-USD'] },
        { name: 'ticker', product_ids: ['ETH-USD', 'BTC-USD'] },
      ],
    });
    const doc = JSON.parse(fixture('coinbase', 'exchange-subscriptions-1.json')) as Record<string, unknown>;
    expect(Object.keys(frames[0]!)).toEqual(Object.keys(doc));
    expect(frames[1]).toMatchObject({ type: 'snapshot', product_id: 'ETH-USD' });
    expect((frames[1]!['bids'] as string[][])[0]).toEqual(['2999.95', '1.25']);
    expect(frames).toHaveLength(2); // no trades yet: no initial ticker
    venue.heartbeat!(client);
    expect(JSON.parse(client.take()[0]!)).toEqual({ type: 'heartbeat', last_trade_id: 0, product_id: 'ETH-USD', sequence: 0, time: '2026-11-26T09:00:00.000000Z' });
  });

  it('refuses unknown products and channels with the venue error frame; disconnects without a subscribe in 5 s', () => {
    const venue = coinbaseSimVenue(scriptedMarket());
    const client = new FakeClient(1);
    venue.onConnect(client);
    venue.onClientMessage(client, JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USDX'], channels: ['matches'] }));
    venue.onClientMessage(client, JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['tickers'] }));
    expect(client.take().map((f) => JSON.parse(f) as unknown)).toEqual([
      { type: 'error', message: 'Failed to subscribe', reason: 'BTC-USDX is not a valid product' },
      { type: 'error', message: 'Failed to subscribe', reason: 'tickers is not a valid channel' },
    ]);
    for (let i = 0; i < 4; i++) venue.heartbeat!(client);
    expect(client.closed).toBeUndefined();
    venue.heartbeat!(client);
    expect(client.closed).toEqual({ code: 1008, reason: 'no subscribe within 5 s' });
  });

  it('match carries the maker side and full-feed sequence; last_match on subscribe', () => {
    const venue = coinbaseSimVenue(scriptedMarket());
    const client = new FakeClient(1);
    venue.onConnect(client);
    venue.onClientMessage(client, JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] }));
    client.take();
    venue.onTick({ kind: 'book', instrument: BTC, ts: T0, bids: [['49999.99', '0']], asks: [] });
    venue.onTick({ kind: 'trade', instrument: BTC, ts: T0 + 1.5, price: '50000.01', size: '0.2', side: 'buy', tradeId: 41 });
    const match = JSON.parse(client.take()[0]!) as Record<string, unknown>;
    const doc = JSON.parse(fixture('coinbase', 'exchange-match-2.json')) as Record<string, unknown>;
    expect(Object.keys(match)).toEqual(Object.keys(doc));
    expect(match).toMatchObject({ type: 'match', trade_id: 41, side: 'sell', size: '0.2', price: '50000.01', product_id: 'BTC-USD', sequence: 2, time: '2026-11-26T09:00:00.001500Z' });
    const late = new FakeClient(2);
    venue.onConnect(late);
    venue.onClientMessage(late, JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] }));
    expect(JSON.parse(late.take()[1]!)).toMatchObject({ type: 'last_match', trade_id: 41, side: 'sell' });
  });
});

describe('coinbase simulator -> parser round trip', () => {
  it('book and trade ticks arrive with the values the ticks carried (taker side restored)', () => {
    const loop = new InMemoryLoop(coinbaseSimVenue(scriptedMarket()), new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 3 }));
    loop.connect(registry.all);
    expect(statuses(loop.r)).toEqual([
      ['coinbase:BTC/USD', 'ok'],
      ['coinbase:ETH/USD', 'ok'],
    ]);
    loop.tick({ kind: 'trade', instrument: ETH, ts: T0 + 5, price: '3000.05', size: '0.5', side: 'buy', tradeId: 1 });
    loop.tick({ kind: 'book', instrument: ETH, ts: T0 + 5, bids: [['3000.00', '2.5']], asks: [['3000.05', '1']] });
    const trades = loop.r.events.filter((e): e is TradeEvent => e.type === 'trade');
    expect(trades).toEqual([{ type: 'trade', venue: 'coinbase', instrument: 'coinbase:ETH/USD', exchTs: T0 + 5, recvTs: 1, price: '3000.05', size: '0.5', side: 'buy', tradeId: '1' }]);
    const b = lastBook(loop.r, 'coinbase:ETH/USD');
    // l2update sizes come padded to 8 decimals: same values as the tick's.
    expect(b.bids).toEqual([
      ['3000.00', '2.50000000'],
      ['2999.95', '1.25'],
      ['2999.90', '2.25'],
    ]);
    expect(b.asks[0]).toEqual(['3000.05', '1.00000000']);
    expect(b.exchTs).toBe(T0 + 5);
    expect(loop.r.dead).toEqual([]);
  });

  it('injectGap loses one match: the trade_id jump resyncs only that product, whose level2 is re-subscribed and rebuilt', () => {
    const venue = coinbaseSimVenue(scriptedMarket());
    const loop = new InMemoryLoop(venue, new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 3 }));
    loop.connect(registry.all);
    loop.tick({ kind: 'trade', instrument: BTC, ts: T0, price: '50000.01', size: '0.1', side: 'buy', tradeId: 1 });
    venue.injectGap(BTC);
    loop.tick({ kind: 'trade', instrument: BTC, ts: T0, price: '50000.01', size: '0.1', side: 'buy', tradeId: 2 }); // lost
    loop.tick({ kind: 'book', instrument: ETH, ts: T0, bids: [['3000.00', '1']], asks: [] });
    loop.tick({ kind: 'trade', instrument: BTC, ts: T0, price: '49999.99', size: '0.3', side: 'sell', tradeId: 3 });
    expect(statuses(loop.r)).toEqual([
      ['coinbase:BTC/USD', 'ok'],
      ['coinbase:ETH/USD', 'ok'],
      ['coinbase:BTC/USD', 'resyncing'],
      ['coinbase:BTC/USD', 'ok'],
    ]);
    expect(loop.r.events.filter((e): e is TradeEvent => e.type === 'trade').map((t) => t.tradeId)).toEqual(['1', '3']);
    expect(lastBook(loop.r, 'coinbase:ETH/USD').bids[0]).toEqual(['3000.00', '1.00000000']);
    expect(lastBook(loop.r, 'coinbase:BTC/USD').bids[0]).toEqual(['49999.99', '1.25']);
    expect(loop.r.dead).toEqual([]);
  });

  it('a seeded SimMarket run: every frame parses, no resync, trades match ticks, books match the market', () => {
    const market = seededMarket(registry.all, { seed: 5, startMs: T0, messagesPerSecond: 4_000, mix: { book: 0.7, trade: 0.3, mark: 0, option: 0 } });
    const loop = new InMemoryLoop(coinbaseSimVenue(market), new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 20 }));
    loop.connect(registry.all);
    const ticks = driveLoop(loop, market, 400, 5);
    expect(loop.r.dead).toEqual([]);
    expect(statuses(loop.r)).toEqual([
      ['coinbase:BTC/USD', 'ok'],
      ['coinbase:ETH/USD', 'ok'],
    ]);
    expectTradesAsTicked(loop.r.events, ticks, 100);
    const num = (ls: readonly Level[]): [number, number][] => ls.map((l) => [Number(l[0]), Number(l[1])]);
    for (const ins of registry.all) {
      const want = market.book(ins);
      const got = lastBook(loop.r, ins.id);
      expect(num(got.bids)).toEqual(num(want.bids.slice(0, 20)));
      expect(num(got.asks)).toEqual(num(want.asks.slice(0, 20)));
    }
  });
});
