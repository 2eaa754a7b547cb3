import { describe, expect, it } from 'vitest';
import { createKrakenProtocol, krakenNumber, krakenSimVenue } from '../../../src/feeds/kraken/index.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, TradeEvent } from '../../../src/risk/events.js';
import { fixture } from './harness/fixtures.js';
import type { Recorder } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';
import { FakeClient, InMemoryLoop, ScriptedMarket, driveLoop, expectTradesAsTicked, scriptedBooks, seededMarket } from './harness/sim.js';

const registry = InstrumentRegistry.of([spotSpec('kraken', 'BTC/USD', 'BTC', 'USD', '0.1', '0.00000001'), spotSpec('kraken', 'ETH/USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const T0 = Date.parse('2026-11-26T09:00:00Z');

/** 15 levels per side around a mid, sizes varying by level. */
const levelSize = (side: 'bid' | 'ask', i: number): string => (side === 'bid' ? `${i}.${String(i * 7).padStart(8, '0')}` : `${i}.5`);
const BOOKS = scriptedBooks([[BTC, 50000, 0.5, 1], [ETH, 3000, 0.05, 2]], 15, levelSize);
const scriptedMarket = (): ScriptedMarket => new ScriptedMarket(BOOKS, T0);
const krakenClient = (id: number): FakeClient => new FakeClient(id, '/v2');

const statuses = (r: Recorder): [string, string][] => r.statusPairs();
const lastBook = (r: Recorder, id: string): BookEvent => r.books(id).at(-1)!;

describe('kraken simulator: wire faithfulness', () => {
  it('greets with the status channel, acks each symbol like the documented ack, then snapshots', () => {
    const venue = krakenSimVenue(scriptedMarket());
    const client = krakenClient(7);
    venue.onConnect(client);
    expect(JSON.parse(client.take()[0]!)).toEqual({ channel: 'status', type: 'update', data: [{ api_version: 'v2', connection_id: 7, system: 'online', version: '2.0.0' }] });
    venue.onClientMessage(client, JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD', 'ETH/USD'] } }));
    const frames = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    const doc = JSON.parse(fixture('kraken', 'subscribe-ack-1.json')) as Record<string, unknown>;
    expect(frames.map((f) => f['method'] ?? f['channel'])).toEqual(['subscribe', 'book', 'subscribe', 'book']);
    expect(Object.keys(frames[0]!)).toEqual(Object.keys(doc));
    expect(frames[0]!['result']).toEqual({ channel: 'book', depth: 10, snapshot: true, symbol: 'BTC/USD' });
    expect(frames[0]!['time_in']).toBe('2026-11-26T09:00:00.000000Z');
    // Snapshot: JSON numbers as Kraken prints them, checksum present.
    const snapText = JSON.stringify(frames[1]);
    expect(snapText).toContain('"price":49999.5,"qty":1.00000007');
    expect(typeof (frames[1]!['data'] as { checksum: unknown }[])[0]!.checksum).toBe('number');
  });

  it('answers the documented requests: unknown pairs refused per symbol, ping -> pong with req_id', () => {
    const venue = krakenSimVenue(scriptedMarket());
    const client = krakenClient(1);
    venue.onConnect(client);
    client.take();
    venue.onClientMessage(client, fixture('kraken', 'subscribe-request-1.json'));
    expect(client.take().map((f) => JSON.parse(f) as unknown)).toEqual([
      { error: 'Currency pair not supported ALGO/USD', method: 'subscribe', success: false, symbol: 'ALGO/USD', time_in: '2026-11-26T09:00:00.000000Z', time_out: '2026-11-26T09:00:00.000000Z' },
      { error: 'Currency pair not supported MATIC/USD', method: 'subscribe', success: false, symbol: 'MATIC/USD', time_in: '2026-11-26T09:00:00.000000Z', time_out: '2026-11-26T09:00:00.000000Z' },
    ]);
    venue.onClientMessage(client, fixture('kraken', 'ping-request-1.json'));
    const pong = JSON.parse(client.take()[0]!) as Record<string, unknown>;
    const docPong = JSON.parse(fixture('kraken', 'pong-1.json')) as Record<string, unknown>;
    expect(Object.keys(pong)).toEqual(Object.keys(docPong));
    expect(pong['req_id']).toBe(101);
    venue.onClientMessage(client, JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 7 } }));
    expect(JSON.parse(client.take()[0]!)).toMatchObject({ success: false, symbol: 'BTC/USD' });
  });

  it('heartbeat once a period to subscribed clients only', () => {
    const venue = krakenSimVenue(scriptedMarket());
    const client = krakenClient(1);
    venue.onConnect(client);
    client.take();
    venue.heartbeat!(client); // not subscribed: silent
    expect(client.take()).toEqual([]);
    venue.onClientMessage(client, JSON.stringify({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USD'] } }));
    client.take();
    venue.heartbeat!(client);
    expect(client.take()).toEqual(['{"channel":"heartbeat"}']);
  });

  it('krakenNumber formats like Kraken: trailing zeros dropped, integral values keep .0', () => {
    expect(krakenNumber('0.5660')).toBe('0.566');
    expect(krakenNumber('40.00000000')).toBe('40.0');
    expect(krakenNumber('45285')).toBe('45285.0');
    expect(krakenNumber('0.00001')).toBe('0.00001');
  });
});

describe('kraken simulator -> parser round trip', () => {
  it('trade and book ticks arrive with the exact values the ticks carried', () => {
    const market = scriptedMarket();
    const loop = new InMemoryLoop(krakenSimVenue(market), krakenClient(1), createKrakenProtocol({ registry, bookDepth: 5 }));
    loop.connect(registry.all);
    expect(statuses(loop.r)).toEqual([
      ['kraken:BTC/USD', 'ok'],
      ['kraken:ETH/USD', 'ok'],
    ]);
    expect(lastBook(loop.r, 'kraken:BTC/USD').bids[0]).toEqual(['49999.5', '1.00000007']);
    const ts = T0 + 1234.5;
    loop.tick({ kind: 'trade', instrument: BTC, ts, price: '50000.5', size: '0.25000000', side: 'buy', tradeId: 77 });
    const trade = loop.r.events.filter((e): e is TradeEvent => e.type === 'trade');
    expect(trade).toEqual([{ type: 'trade', venue: 'kraken', instrument: 'kraken:BTC/USD', exchTs: ts, recvTs: 1, price: '50000.5', size: '0.25000000', side: 'buy', tradeId: '77' }]);
    // The trade consumed part of the best ask; a better bid arrives; the 2nd bid is deleted.
    loop.tick({ kind: 'book', instrument: BTC, ts, bids: [['49999.8', '3.10000000'], ['49999.0', '0']], asks: [['50000.5', '1.25000000']] });
    const b = lastBook(loop.r, 'kraken:BTC/USD');
    expect(b.exchTs).toBe(ts);
    expect(b.bids).toEqual([
      ['49999.8', '3.10000000'],
      ['49999.5', '1.00000007'],
      ['49998.5', '3.00000021'],
      ['49998.0', '4.00000028'],
      ['49997.5', '5.00000035'],
    ]);
    expect(b.asks[0]).toEqual(['50000.5', '1.25000000']);
    expect(loop.r.dead).toEqual([]);
    expect(statuses(loop.r)).toHaveLength(2);
  });

  it('injectGap loses one update: the next update fails its checksum, only BTC resyncs and is rebuilt', () => {
    const market = scriptedMarket();
    const venue = krakenSimVenue(market);
    const loop = new InMemoryLoop(venue, krakenClient(1), createKrakenProtocol({ registry, bookDepth: 10 }));
    loop.connect(registry.all);
    venue.injectGap(BTC);
    loop.tick({ kind: 'book', instrument: BTC, ts: T0, bids: [['49999.5', '9.00000000']], asks: [] }); // lost
    expect(statuses(loop.r)).toHaveLength(2);
    loop.tick({ kind: 'book', instrument: ETH, ts: T0, bids: [], asks: [['3000.05', '2.00000000']] });
    expect(lastBook(loop.r, 'kraken:ETH/USD').asks[0]).toEqual(['3000.05', '2.00000000']);
    loop.tick({ kind: 'book', instrument: BTC, ts: T0 + 1, bids: [['49998.0', '1.00000000']], asks: [] });
    // Mismatch -> resyncing -> resubscribe -> the venue answers with a fresh snapshot -> ok.
    expect(statuses(loop.r)).toEqual([
      ['kraken:BTC/USD', 'ok'],
      ['kraken:ETH/USD', 'ok'],
      ['kraken:BTC/USD', 'resyncing'],
      ['kraken:BTC/USD', 'ok'],
    ]);
    const rebuilt = lastBook(loop.r, 'kraken:BTC/USD');
    expect(rebuilt.bids[0]).toEqual(['49999.5', '9.00000000']);
    expect(rebuilt.bids[3]).toEqual(['49998.0', '1.00000000']);
    expect(loop.r.dead).toEqual([]);
  });

  it('injectChecksumMismatch corrupts one update: resync and rebuild of that instrument only', () => {
    const venue = krakenSimVenue(scriptedMarket());
    const loop = new InMemoryLoop(venue, krakenClient(1), createKrakenProtocol({ registry, bookDepth: 10 }));
    loop.connect(registry.all);
    venue.injectChecksumMismatch!(ETH);
    loop.tick({ kind: 'book', instrument: ETH, ts: T0, bids: [['2999.95', '4.00000000']], asks: [] });
    loop.tick({ kind: 'book', instrument: ETH, ts: T0, bids: [['2999.90', '5.00000000']], asks: [] });
    expect(statuses(loop.r).slice(2)).toEqual([
      ['kraken:ETH/USD', 'resyncing'],
      ['kraken:ETH/USD', 'ok'],
    ]);
    expect(lastBook(loop.r, 'kraken:ETH/USD').bids.slice(0, 2)).toEqual([
      ['2999.95', '4.00000000'],
      ['2999.90', '5.00000000'],
    ]);
  });

  it('trade snapshots on request and ticker quotes reflect the simulated book', () => {
    const venue = krakenSimVenue(scriptedMarket());
    const loop = new InMemoryLoop(venue, krakenClient(1), createKrakenProtocol({ registry, bookDepth: 10, channels: ['ticker'] }));
    loop.connect([BTC]);
    const q = loop.r.events.find((e) => e.type === 'quote');
    expect(q).toMatchObject({ instrument: 'kraken:BTC/USD', bid: '49999.5', bidSize: '1.00000007', ask: '50000.5', askSize: '1.50000000' });
    loop.tick({ kind: 'trade', instrument: BTC, ts: T0, price: '50000.5', size: '0.10000000', side: 'buy', tradeId: 1 });
    loop.tick({ kind: 'trade', instrument: BTC, ts: T0, price: '49999.5', size: '0.30000000', side: 'sell', tradeId: 2 });
    venue.onClientMessage(loop.client, JSON.stringify({ method: 'subscribe', params: { channel: 'trade', symbol: ['BTC/USD'], snapshot: true } }));
    loop.pump();
    const trades = loop.r.events.filter((e): e is TradeEvent => e.type === 'trade');
    expect(trades.map((t) => [t.tradeId, t.price, t.size, t.side])).toEqual([
      ['1', '50000.5', '0.10000000', 'buy'],
      ['2', '49999.5', '0.30000000', 'sell'],
    ]);
    expect(loop.r.events.filter((e) => e.type === 'quote')).toHaveLength(3); // snapshot + one per trade
  });

  it('a seeded SimMarket run: every frame parses, no resync, trades match ticks, books match the market', () => {
    const market = seededMarket(registry.all, { seed: 99, startMs: T0, messagesPerSecond: 4_000, mix: { book: 0.7, trade: 0.3, mark: 0, option: 0 }, bookLevels: 30 });
    const venue = krakenSimVenue(market);
    const loop = new InMemoryLoop(venue, krakenClient(1), createKrakenProtocol({ registry, bookDepth: 20 }));
    loop.connect(registry.all);
    const ticks = driveLoop(loop, market, 400, 5);
    expect(loop.r.dead).toEqual([]);
    expect(statuses(loop.r)).toEqual([
      ['kraken:BTC/USD', 'ok'],
      ['kraken:ETH/USD', 'ok'],
    ]);
    expectTradesAsTicked(loop.r.events, ticks, 100);
    for (const ins of registry.all) {
      const want = market.book(ins);
      const got = lastBook(loop.r, ins.id);
      expect(got.bids).toEqual(want.bids.slice(0, 20));
      expect(got.asks).toEqual(want.asks.slice(0, 20));
    }
  });
});
