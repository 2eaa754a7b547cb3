/**
 * Bybit simulator on the wire, without sockets: request fixtures get each category's answers, and
 * what the simulator sends parses through BybitProtocol back to the values the sim ticks carried
 * (trades, marks/funding from ticker deltas, options, books equal to the market's top window).
 */
import { describe, expect, it } from 'vitest';
import { BybitProtocol } from '../../../src/feeds/bybit/protocol.js';
import { BybitSimVenue } from '../../../src/feeds/bybit/sim.js';
import { BYBIT_FEED, type BybitCategory } from '../../../src/feeds/bybit/symbols.js';
import type { SimMarket } from '../../../src/feeds/sim/market.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, MarkEvent } from '../../../src/risk/events.js';
import { fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry } from './harness/registry.js';
import { FakeClient, seededMarket } from './harness/sim.js';

function loadRegistry(): InstrumentRegistry {
  // The universe has no Bybit option: add one (USDC-settled, as Bybit's) to exercise that category.
  return InstrumentRegistry.of([
    ...shippedRegistry.all.map((i) => i.spec),
    {
      venue: 'bybit',
      venueSymbol: 'BTC-25DEC26-100000-C',
      kind: 'option',
      settlementType: 'linear',
      base: 'BTC',
      quote: 'USDC',
      settle: 'USDC',
      underlying: 'BTC',
      contractSize: '1',
      tickSize: '5',
      lotSize: '0.01',
      expiry: '2026-12-25T08:00:00Z',
      strike: '100000',
      optionType: 'call',
    },
  ]);
}
const registry = loadRegistry();
const fixture = (name: string): string => sharedFixture('bybit', name);

/**
 * Spot and linear books are 60 levels deep, deeper than the 50-level window Keel subscribes, so
 * windows are diffed; inverse and option books (20 levels) fit their windows.
 */
function market(category: BybitCategory, seed = 21): { market: SimMarket; instruments: Instrument[] } {
  const instruments = registry.forFeed(BYBIT_FEED[category]);
  const bookLevels = category === 'spot' || category === 'linear' ? 60 : 20;
  return { market: seededMarket(instruments, { seed, startMs: Date.parse('2026-11-25T00:00:00Z'), messagesPerSecond: 5_000, bookLevels }), instruments };
}

function connected(category: BybitCategory): { venue: BybitSimVenue; client: FakeClient; m: SimMarket; instruments: Instrument[] } {
  const { market: m, instruments } = market(category);
  const venue = new BybitSimVenue(category, m);
  const client = new FakeClient(1, `/v5/public/${category}`);
  venue.onConnect(client);
  return { venue, client, m, instruments };
}

const keys = (o: object): string[] => Object.keys(o).sort();

describe('Bybit simulator answers', () => {
  it('ping-request-1 -> pong-1 on spot, pong-2 on linear and inverse, the option pong on option', () => {
    for (const category of ['spot', 'linear', 'inverse'] as const) {
      const { venue, client } = connected(category);
      venue.onClientMessage(client, fixture('ping-request-1.json'));
      const [pong] = client.takeJson();
      const expected = JSON.parse(fixture(category === 'spot' ? 'pong-1.json' : 'pong-2.json')) as Record<string, unknown>;
      expect(keys(pong!)).toEqual(keys(expected));
      expect({ ...pong, conn_id: '' }).toEqual({ ...expected, conn_id: '' });
    }
    const { venue, client } = connected('option');
    venue.onClientMessage(client, fixture('ping-request-1.json'));
    expect(client.takeJson()[0]).toMatchObject({ op: 'pong', args: [expect.stringMatching(/^\d{13}$/)] });
  });

  it('subscribe-request-1 -> the spot ack of subscribe-response-1 (req_id echoed), then the level-1 snapshots', () => {
    const { venue, client } = connected('spot');
    venue.onClientMessage(client, fixture('subscribe-request-1.json'));
    const [ack, ...rest] = client.takeJson();
    const expected = JSON.parse(fixture('subscribe-response-1.json')) as Record<string, unknown>;
    expect(keys(ack!)).toEqual(keys(expected));
    expect(ack).toMatchObject({ success: true, ret_msg: 'subscribe', req_id: 'test', op: 'subscribe' });
    expect(rest.map((f) => [f['topic'], f['type']])).toEqual([
      ['orderbook.1.BTCUSDT', 'snapshot'],
      ['orderbook.1.ETHUSDT', 'snapshot'],
    ]);
  });

  it('linear acks follow subscribe-response-2 (ret_msg "", req_id "" when none was sent)', () => {
    const { venue, client } = connected('linear');
    venue.onClientMessage(client, '{"op":"subscribe","args":["publicTrade.BTCUSDT"]}');
    const [ack] = client.takeJson();
    const expected = JSON.parse(fixture('subscribe-response-2.json')) as Record<string, unknown>;
    expect({ ...ack, conn_id: '' }).toEqual({ ...expected, conn_id: '' });
  });

  it('refuses a request whole: unknown topic, duplicate, more than 10 spot topics', () => {
    const { venue, client } = connected('inverse');
    venue.onClientMessage(client, fixture('unsubscribe-request-1.json'));
    expect(client.takeJson()[0]).toMatchObject({ success: false, ret_msg: 'error:handler not found,topic:publicTrade.ETHUSD', req_id: 'customised_id', op: 'unsubscribe' });
    venue.onClientMessage(client, '{"op":"subscribe","args":["publicTrade.BTCUSD"]}');
    venue.onClientMessage(client, '{"req_id":"2","op":"subscribe","args":["publicTrade.BTCUSD","tickers.BTCUSD"]}');
    const frames = client.takeJson();
    expect(frames.at(-1)).toMatchObject({ success: false, ret_msg: 'error:already subscribed,topic:publicTrade.BTCUSD', req_id: '2' });
    const spot = connected('spot');
    const topics = Array.from({ length: 11 }, (_, i) => (i % 2 === 0 ? 'publicTrade.BTCUSDT' : 'orderbook.50.BTCUSDT'));
    spot.venue.onClientMessage(spot.client, JSON.stringify({ op: 'subscribe', args: topics }));
    expect(spot.client.takeJson()[0]).toMatchObject({ success: false, op: 'subscribe' });
    // Every refusal parses as a venue error.
    const parser = new BybitProtocol('inverse', { registry, bookDepth: 5 }).parser;
    expect(parser.parse(JSON.stringify(frames.at(-1)), 1).kind).toBe('venue_error');
  });

  it('option acks are COMMAND_RESP', () => {
    const { venue, client } = connected('option');
    venue.onClientMessage(client, '{"op":"subscribe","args":["tickers.BTC-25DEC26-100000-C","publicTrade.BTC"]}');
    expect(client.takeJson()[0]).toMatchObject({ success: true, data: { failTopics: [], successTopics: ['tickers.BTC-25DEC26-100000-C', 'publicTrade.BTC'] }, type: 'COMMAND_RESP' });
  });
});

describe('Bybit simulator round trip', () => {
  for (const category of ['spot', 'linear', 'inverse', 'option'] as const) {
    it(`${category}: what the simulator sends parses back to the sim ticks' values`, () => {
      const { venue, client, m, instruments } = connected(category);
      const protocol = new BybitProtocol(category, { registry, bookDepth: 10 });
      const io = new Recorder();
      for (const frame of protocol.subscribeMessages(instruments)) venue.onClientMessage(client, frame);
      for (const frame of client.take()) protocol.onMessage(frame, 0, io);
      expect(io.dead).toEqual([]);
      const counts = { trade: 0, mark: 0, book: 0, option: 0 };
      for (let step = 0; step < 100; step++) {
        m.step(2, (tick) => {
          venue.onTick(tick);
          io.events = [];
          for (const frame of client.take()) protocol.onMessage(frame, tick.ts, io);
          const id = tick.instrument.id;
          switch (tick.kind) {
            case 'trade':
              counts.trade++;
              expect(io.events).toEqual([
                { type: 'trade', venue: 'bybit', instrument: id, exchTs: tick.ts, recvTs: tick.ts, price: tick.price, size: tick.size, side: tick.side, tradeId: String(tick.tradeId) },
              ]);
              break;
            case 'mark': {
              counts.mark++;
              const mark = io.events.find((e): e is MarkEvent => e.type === 'mark');
              // A delta only when something changed for this connection; the merged state is complete.
              if (mark !== undefined) {
                expect(mark).toMatchObject({ instrument: id, exchTs: tick.ts, markPrice: tick.markPrice, indexPrice: tick.indexPrice });
                if (tick.instrument.kind === 'perpetual') expect(mark).toMatchObject({ fundingRate: tick.fundingRate, nextFundingTs: tick.nextFundingTs });
              }
              break;
            }
            case 'book': {
              const book = io.events.find((e): e is BookEvent => e.type === 'book');
              const truth = m.book(tick.instrument);
              // Only changes inside the subscribed window are pushed.
              if (book !== undefined) {
                counts.book++;
                expect(book).toMatchObject({ instrument: id, exchTs: tick.ts, bids: truth.bids.slice(0, 10), asks: truth.asks.slice(0, 10) });
              } else {
                expect(io.events).toEqual([]);
              }
              break;
            }
            case 'option': {
              counts.option++;
              expect(io.events[0]).toEqual({
                type: 'option',
                venue: 'bybit',
                instrument: id,
                exchTs: tick.ts,
                recvTs: tick.ts,
                markPrice: tick.markPrice,
                markIv: String(tick.markIv),
                underlyingPrice: tick.underlyingPrice,
                indexPrice: tick.indexPrice,
                bidIv: undefined,
                askIv: undefined,
                delta: expect.any(String),
                gamma: expect.any(String),
                vega: expect.any(String),
                theta: expect.any(String),
              });
              const option = io.events[0] as { delta: string; theta: string };
              expect(Number(option.delta)).toBe(tick.delta);
              expect(Number(option.theta)).toBe(tick.theta);
              break;
            }
          }
        });
      }
      expect(io.dead).toEqual([]);
      expect(io.events.filter((e) => e.type === 'status' && e.status !== 'ok')).toEqual([]);
      expect(counts.trade).toBeGreaterThan(10);
      expect(counts.book).toBeGreaterThan(10);
      if (category === 'linear' || category === 'inverse') expect(counts.mark).toBeGreaterThan(5);
      if (category === 'option') expect(counts.option).toBeGreaterThan(0);
    });
  }

  it('injectGap makes only that symbol resync; the resubscribe rebuilds its book', () => {
    const { venue, client, m, instruments } = connected('linear');
    const protocol = new BybitProtocol('linear', { registry, bookDepth: 10 });
    const io = new Recorder();
    const pump = (): void => {
      for (const frame of client.take()) protocol.onMessage(frame, 0, io);
      for (const frame of io.sent.splice(0, io.sent.length)) venue.onClientMessage(client, frame);
      for (const frame of client.take()) protocol.onMessage(frame, 0, io);
    };
    for (const frame of protocol.subscribeMessages(instruments)) venue.onClientMessage(client, frame);
    pump();
    const btc = registry.byVenueSymbol('bybit-linear', 'BTCUSDT')!;
    io.events = [];
    venue.injectGap(btc);
    const log = (): string[] => io.events.filter((e) => e.type === 'status').map((e) => `${e.instrument} ${e.type === 'status' ? e.status : ''}`);
    for (let step = 0; step < 3000 && !log().includes(`${btc.id} ok`); step++) {
      m.step(2, (tick) => venue.onTick(tick));
      pump();
    }
    expect(log()).toEqual([`${btc.id} resyncing`, `${btc.id} ok`]);
    expect(io.dead).toEqual([]);
    m.step(2, (tick) => venue.onTick(tick));
    pump();
    const books = io.events.filter((e): e is BookEvent => e.type === 'book' && e.instrument === btc.id);
    expect(books.at(-1)!.bids).toEqual(m.book(btc).bids.slice(0, 10));
  });
});
