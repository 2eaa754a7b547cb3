/**
 * The Binance simulator venue: what it sends parses through the Binance protocol back to the
 * values of the market's ticks (trades, marks, and a synchronized book equal to the market's
 * book), and its request/response behaviour follows the documented (fixture) shapes.
 */
import { describe, expect, it } from 'vitest';
import { BinanceSimVenue } from '../../../src/feeds/binance/sim.js';
import type { BinanceProtocol, BinanceRoute } from '../../../src/feeds/binance/protocol.js';
import type { SimMarket } from '../../../src/feeds/sim/market.js';
import type { SimTick } from '../../../src/feeds/sim/types.js';
import { fx } from '../../../src/portfolio/fixed.js';
import type { Instrument } from '../../../src/portfolio/instruments.js';
import type { Level } from '../../../src/risk/events.js';
import { fixture, protocol, Recorder, registry, simMarket } from './binance-helpers.js';
import { FakeClient } from './harness/sim.js';

function market(mps = 4_000, seed = 3): SimMarket {
  return simMarket(mps, seed);
}

let nextClientId = 1;
/** A fresh client connection (ids never repeat within the file) on `path`. */
const newClient = (path: string): FakeClient => new FakeClient(nextClientId++, path);

/** A client connection with its protocol, delivering REST snapshots between frames (as the session does). */
class Connection {
  readonly client: FakeClient;
  readonly rec = new Recorder();
  readonly p: BinanceProtocol;
  private pending: Instrument[] = [];

  constructor(
    private readonly venue: BinanceSimVenue,
    route: BinanceRoute,
    path: string,
  ) {
    this.p = protocol(route, true, 12);
    this.client = newClient(path);
    venue.onConnect(this.client);
    const requestSnapshot = this.rec.requestSnapshot;
    (this.rec as { requestSnapshot: (i: Instrument) => void }).requestSnapshot = (ins: Instrument) => {
      requestSnapshot(ins);
      this.pending.push(ins);
    };
  }

  subscribe(params: string[], id = 1): string[] {
    this.venue.onClientMessage(this.client, JSON.stringify({ method: 'SUBSCRIBE', params, id }));
    return this.client.take();
  }

  /** Delivers what the venue sent, answering snapshot requests from its REST handler. */
  pump(recvTs: number): void {
    for (const frame of this.client.take()) {
      this.p.onMessage(frame, recvTs, this.rec);
      const requests = this.pending;
      this.pending = [];
      for (const ins of requests) {
        const answer = this.venue.handleRest(new URL(`http://127.0.0.1:1${this.p.snapshotPath(ins)}`));
        if (answer === undefined || answer.status !== 200) throw new Error(`snapshot failed: ${answer?.body}`);
        this.p.onSnapshot(ins, answer.body, recvTs, this.rec);
      }
    }
  }
}

const same = (a: string, b: string): boolean => fx(a) === fx(b);

function expectLevels(actual: readonly Level[], expected: readonly Level[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((level, k) => {
    expect(same(level[0], expected[k]![0]), `price ${level[0]} vs ${expected[k]![0]}`).toBe(true);
    expect(same(level[1], expected[k]![1]), `size ${level[1]} vs ${expected[k]![1]}`).toBe(true);
  });
}

function run(m: SimMarket, venue: BinanceSimVenue, connections: Connection[], steps: number, onStep?: (ticks: SimTick[]) => void): SimTick[] {
  const all: SimTick[] = [];
  for (let s = 0; s < steps; s++) {
    const ticks: SimTick[] = [];
    m.step(20, (tick) => {
      ticks.push(tick);
      venue.onTick(tick);
    });
    for (const c of connections) c.pump(m.now());
    all.push(...ticks);
    onStep?.(ticks);
  }
  return all;
}

describe('binance sim round trip: spot', () => {
  it('trades (@trade and @aggTrade), synchronized books equal to the market, bookTicker quotes', () => {
    const m = market();
    const venue = new BinanceSimVenue('binance-spot', m);
    const btc = registry.byVenueSymbol('binance-spot', 'BTCUSDT')!;
    const eth = registry.byVenueSymbol('binance-spot', 'ETHUSDT')!;
    const main = new Connection(venue, 'spot', '/stream');
    expect(main.subscribe(['btcusdt@trade', 'btcusdt@depth@100ms', 'ethusdt@aggTrade', 'ethusdt@depth@100ms'])).toEqual(['{"result":null,"id":1}']);
    const ticker = new Connection(venue, 'spot', '/ws/btcusdt@bookTicker');

    let checkedBooks = 0;
    const ticks = run(m, venue, [main, ticker], 300, () => {
      for (const ins of [btc, eth]) {
        if (!main.p.isSynced(ins)) continue;
        const books = main.rec.ofType('book').filter((b) => b.instrument === ins.id);
        const last = books[books.length - 1];
        if (last === undefined) continue;
        const truth = m.book(ins);
        expectLevels(last.bids, truth.bids.slice(0, 12));
        expectLevels(last.asks, truth.asks.slice(0, 12));
        checkedBooks++;
      }
    });
    expect(main.rec.letters).toEqual([]);
    expect(ticker.rec.letters).toEqual([]);
    expect(checkedBooks).toBeGreaterThan(400);
    expect(main.p.isSynced(btc) && main.p.isSynced(eth)).toBe(true);
    expect(main.rec.ofType('status').map((s) => s.status)).toEqual(['ok', 'ok']);

    const tradeTicks = ticks.filter((t): t is Extract<SimTick, { kind: 'trade' }> => t.kind === 'trade' && t.instrument.feed === 'binance-spot');
    const trades = main.rec.ofType('trade');
    expect(trades.length).toBe(tradeTicks.length);
    expect(trades.length).toBeGreaterThan(50);
    trades.forEach((trade, k) => {
      const tick = tradeTicks[k]!;
      expect(trade.instrument).toBe(tick.instrument.id);
      expect(same(trade.price, tick.price)).toBe(true);
      expect(same(trade.size, tick.size)).toBe(true);
      expect(trade.side).toBe(tick.side);
      expect(trade.exchTs).toBe(tick.ts);
      if (tick.instrument === btc) expect(trade.tradeId).toBe(String(tick.tradeId));
    });
    // Spot prints 8 decimals, as Binance does.
    expect(trades[0]!.price).toMatch(/\.\d{8}$/);

    const quotes = ticker.rec.ofType('quote');
    expect(quotes.length).toBeGreaterThan(10);
    const best = m.book(btc);
    const lastQuote = quotes[quotes.length - 1]!;
    expect(same(lastQuote.bid!, best.bids[0]![0]) && same(lastQuote.bidSize!, best.bids[0]![1])).toBe(true);
    expect(same(lastQuote.ask!, best.asks[0]![0]) && same(lastQuote.askSize!, best.asks[0]![1])).toBe(true);
  });

  it('injectGap: the next depth event skips an id; only that instrument resyncs and comes back equal to the market', () => {
    const m = market(6_000, 11);
    const venue = new BinanceSimVenue('binance-spot', m);
    const btc = registry.byVenueSymbol('binance-spot', 'BTCUSDT')!;
    const eth = registry.byVenueSymbol('binance-spot', 'ETHUSDT')!;
    const conn = new Connection(venue, 'spot', '/stream');
    conn.subscribe(['btcusdt@depth@100ms', 'ethusdt@depth@100ms']);
    run(m, venue, [conn], 50);
    expect(conn.p.isSynced(btc) && conn.p.isSynced(eth)).toBe(true);
    conn.rec.clear();
    venue.injectGap(eth);
    let ethResynced = false;
    run(m, venue, [conn], 100, () => {
      if (conn.rec.ofType('status').some((s) => s.instrument === eth.id && s.status === 'ok')) ethResynced = true;
    });
    const statuses = conn.rec.ofType('status').map((s) => `${s.instrument}:${s.status}`);
    expect(statuses).toEqual([`${eth.id}:resyncing`, `${eth.id}:ok`]);
    expect(ethResynced).toBe(true);
    expect(conn.rec.ofType('book').some((b) => b.instrument === btc.id)).toBe(true);
    const books = conn.rec.ofType('book').filter((b) => b.instrument === eth.id);
    expectLevels(books[books.length - 1]!.bids, m.book(eth).bids.slice(0, 12));
  });
});

describe('binance sim round trip: USD-M', () => {
  it('/public carries depth (pu-chained ids from a shared counter), /market carries aggTrade and marks', () => {
    const m = market(5_000, 5);
    const venue = new BinanceSimVenue('binance-usdm', m);
    const perp = registry.byVenueSymbol('binance-usdm', 'BTCUSDT')!;
    const dated = registry.byVenueSymbol('binance-usdm', 'BTCUSDT_261225')!;
    const pub = new Connection(venue, 'usdm-public', '/public/stream');
    const mkt = new Connection(venue, 'usdm-market', '/market/stream');
    pub.subscribe(pub.p.streams([perp, dated]));
    mkt.subscribe(mkt.p.streams([perp, dated]));
    const ticks = run(m, venue, [pub, mkt], 300, () => {
      for (const ins of [perp, dated]) {
        if (!pub.p.isSynced(ins)) continue;
        const books = pub.rec.ofType('book').filter((b) => b.instrument === ins.id);
        const last = books[books.length - 1];
        if (last !== undefined) expectLevels(last.asks, m.book(ins).asks.slice(0, 12));
      }
    });
    expect(pub.rec.letters).toEqual([]);
    expect(mkt.rec.letters).toEqual([]);
    expect(pub.p.isSynced(perp) && pub.p.isSynced(dated)).toBe(true);
    // Depth ids on the wire: U jumps (shared counter) and pu chains.
    expect(pub.rec.ofType('trade')).toEqual([]);

    const subscribed = (t: SimTick): boolean => t.instrument === perp || t.instrument === dated;
    const markTicks = ticks.filter((t): t is Extract<SimTick, { kind: 'mark' }> => t.kind === 'mark' && subscribed(t));
    const marks = mkt.rec.ofType('mark');
    expect(marks.length).toBe(markTicks.length);
    expect(marks.length).toBeGreaterThan(20);
    marks.forEach((mark, k) => {
      const tick = markTicks[k]!;
      expect(mark.instrument).toBe(tick.instrument.id);
      expect(mark.markPrice).toBe(tick.markPrice);
      expect(mark.indexPrice).toBe(tick.indexPrice);
      expect(mark.exchTs).toBe(tick.ts);
      if (tick.fundingRate === '') {
        expect(mark.fundingRate).toBeUndefined();
        expect(mark.nextFundingTs).toBeUndefined();
      } else {
        expect(mark.fundingRate).toBe(tick.fundingRate);
        expect(mark.nextFundingTs).toBe(tick.nextFundingTs);
      }
    });
    expect(marks.some((x) => x.instrument === dated.id) && marks.some((x) => x.instrument === perp.id)).toBe(true);

    const tradeTicks = ticks.filter((t): t is Extract<SimTick, { kind: 'trade' }> => t.kind === 'trade' && subscribed(t));
    const trades = mkt.rec.ofType('trade');
    expect(trades.length).toBe(tradeTicks.length);
    trades.forEach((trade, k) => {
      expect(trade.price).toBe(tradeTicks[k]!.price);
      expect(trade.size).toBe(tradeTicks[k]!.size);
      expect(trade.side).toBe(tradeTicks[k]!.side);
    });
  });

  it('depth ids: U is not previous u + 1, pu is; a stream on the wrong route is acknowledged and never delivered', () => {
    const m = market(5_000, 8);
    const venue = new BinanceSimVenue('binance-usdm', m);
    const wrong = newClient('/market/stream');
    venue.onConnect(wrong);
    venue.onClientMessage(wrong, '{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":7}');
    expect(wrong.take()).toEqual(['{"result":null,"id":7}']);
    const right = newClient('/public/ws/btcusdt@depth@100ms');
    venue.onConnect(right);
    for (let s = 0; s < 100; s++) m.step(20, (tick) => venue.onTick(tick));
    expect(wrong.take()).toEqual([]);
    const events = right.take().map((f) => JSON.parse(f) as { U: number; u: number; pu: number });
    expect(events.length).toBeGreaterThan(10);
    let contiguous = 0;
    for (let k = 1; k < events.length; k++) {
      expect(events[k]!.pu).toBe(events[k - 1]!.u);
      if (events[k]!.U === events[k - 1]!.u + 1) contiguous++;
    }
    expect(contiguous).toBe(0);
  });
});

describe('binance sim partial depth', () => {
  it('@depth5@100ms carries the market top 5 (spot shape) and stops after UNSUBSCRIBE', () => {
    const m = market(4_000, 13);
    const venue = new BinanceSimVenue('binance-spot', m);
    const btc = registry.byVenueSymbol('binance-spot', 'BTCUSDT')!;
    const conn = new Connection(venue, 'spot', '/stream');
    conn.subscribe(['btcusdt@depth5@100ms']);
    run(m, venue, [conn], 30);
    const books = conn.rec.ofType('book');
    expect(books.length).toBeGreaterThan(5);
    const last = books[books.length - 1]!;
    expect(last.instrument).toBe(btc.id);
    expectLevels(last.bids, m.book(btc).bids.slice(0, 5));
    expectLevels(last.asks, m.book(btc).asks.slice(0, 5));
    venue.onClientMessage(conn.client, '{"method":"UNSUBSCRIBE","params":["btcusdt@depth5@100ms"],"id":2}');
    conn.client.take();
    m.step(20, (tick) => venue.onTick(tick));
    m.step(20, (tick) => venue.onTick(tick));
    expect(conn.client.take()).toEqual([]);
  });
});

describe('binance sim requests and faults', () => {
  it('answers the documented requests exactly (fixtures subscribe/unsubscribe/list)', () => {
    const m = market(10);
    const venue = new BinanceSimVenue('binance-spot', m);
    const client = newClient('/ws');
    venue.onConnect(client);
    const reply = (request: string): unknown[] => {
      m.step(1_000, () => undefined); // stay under 5 requests per second
      venue.onClientMessage(client, request);
      return client.take().map((f) => JSON.parse(f) as unknown);
    };
    expect(reply(fixture('binance-spot', 'subscribe-request-1.json'))).toEqual([JSON.parse(fixture('binance-spot', 'subscribe-response-1.json'))]);
    expect(reply(fixture('binance-spot', 'unsubscribe-request-1.json'))).toEqual([JSON.parse(fixture('binance-spot', 'unsubscribe-response-1.json'))]);
    expect(reply(fixture('binance-spot', 'list-subscriptions-request-1.json'))).toEqual([JSON.parse(fixture('binance-spot', 'list-subscriptions-response-1.json'))]);
    expect(reply('{"method":"GET_PROPERTY","params":["combined"],"id":2}')).toEqual([{ result: false, id: 2 }]);
    expect(reply('{"method":"SET_PROPERTY","params":["combined","yes"],"id":5}')).toEqual([JSON.parse(fixture('binance-spot', 'error-1.json'))]);
    expect(reply('{"method":"SET_PROPERTY","params":["colour",true],"id":5}')).toEqual([{ code: 0, msg: 'Unknown property', id: 5 }]);
    expect(reply('{"method":"SUBSCRIBE","params":["btcusdt@nothing"],"id":9}')).toEqual([{ error: { code: 2, msg: 'Invalid request: invalid stream' }, id: 9 }]);
    expect(reply('{"method":"SUBSCRIBE","params":[],"id":-4}')).toEqual([{ code: 2, msg: 'Invalid request: request ID must be an unsigned integer' }]);
  });

  it('venue answers parse as control frames or venue errors', () => {
    const venue = new BinanceSimVenue('binance-spot', market());
    const client = newClient('/stream');
    venue.onConnect(client);
    venue.onClientMessage(client, '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}');
    venue.onClientMessage(client, '{"method":"SUBSCRIBE","params":["BTCUSDT@trade"],"id":2}');
    venue.onClientMessage(client, 'not json');
    const rec = new Recorder();
    const p = protocol('spot');
    for (const frame of client.take()) p.onMessage(frame, 1, rec);
    expect(rec.events).toEqual([]);
    expect(rec.letters.map((l) => l.detail)).toEqual(['code 2: Invalid request: invalid stream (request 2)', 'code 3: Invalid JSON: expected value at line 1 column 1']);
  });

  it('more requests per second than the venue allows close the connection', () => {
    const venue = new BinanceSimVenue('binance-spot', market());
    const client = newClient('/ws');
    venue.onConnect(client);
    for (let k = 0; k < 6; k++) venue.onClientMessage(client, `{"method":"LIST_SUBSCRIPTIONS","id":${k}}`);
    expect(client.closed).toEqual({ code: 1008, reason: 'too many requests' });
  });

  it('REST depth: the documented errors for a bad symbol or limit', () => {
    const venue = new BinanceSimVenue('binance-usdm', market());
    expect(venue.handleRest(new URL('http://h/fapi/v1/depth?symbol=NOPE&limit=1000'))).toEqual({ status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' });
    expect(venue.handleRest(new URL('http://h/fapi/v1/depth?symbol=BTCUSDT&limit=7'))?.status).toBe(400);
    expect(venue.handleRest(new URL('http://h/api/v3/depth?symbol=BTCUSDT'))).toBeUndefined();
    const ok = venue.handleRest(new URL('http://h/fapi/v1/depth?symbol=BTCUSDT&limit=5'));
    const body = JSON.parse(ok!.body) as { lastUpdateId: number; E: number; T: number; bids: unknown[]; asks: unknown[] };
    expect(Object.keys(body)).toEqual(['lastUpdateId', 'E', 'T', 'bids', 'asks']);
    expect(body.bids).toHaveLength(5);
  });

  it('announceShutdown sends serverShutdown (enveloped on /stream), which makes the protocol reconnect', () => {
    const venue = new BinanceSimVenue('binance-spot', market());
    const client = newClient('/stream');
    venue.onConnect(client);
    venue.announceShutdown(client);
    const frames = client.take();
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0]!)).toMatchObject({ stream: '!serverShutdown', data: { e: 'serverShutdown' } });
    const rec = new Recorder();
    protocol('spot').onMessage(frames[0]!, 1, rec);
    expect(rec.reconnects).toEqual(['serverShutdown']);
  });

  it('a connection is cut after 24 h of market time, with the shutdown notice first', () => {
    const m = market(10);
    const venue = new BinanceSimVenue('binance-spot', m);
    const client = newClient('/ws');
    venue.onConnect(client);
    venue.heartbeat(client);
    expect(client.closed).toBeUndefined();
    m.step(24 * 3_600_000, () => undefined);
    venue.heartbeat(client);
    expect(client.take().map((f) => (JSON.parse(f) as { e: string }).e)).toEqual(['serverShutdown']);
    expect(client.closed).toEqual({ code: 1001, reason: 'connection lifetime reached' });
  });
});
