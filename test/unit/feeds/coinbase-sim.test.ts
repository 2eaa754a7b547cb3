import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { coinbaseSimVenue, createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import type { SimBook, SimClient, SimMarketView, SimTick, SimVenue } from '../../../src/feeds/sim/types.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, Level, MarketEvent, StatusEvent, TradeEvent } from '../../../src/risk/events.js';

const FIXTURES = '/work/shared/fixtures/coinbase';
const registry = InstrumentRegistry.of([
  { venue: 'coinbase', venueSymbol: 'BTC-USD', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USD', settle: 'USD', underlying: 'BTC', contractSize: '1', tickSize: '0.01', lotSize: '0.00000001' },
  { venue: 'coinbase', venueSymbol: 'ETH-USD', kind: 'spot', settlementType: 'linear', base: 'ETH', quote: 'USD', settle: 'USD', underlying: 'ETH', contractSize: '1', tickSize: '0.01', lotSize: '0.00000001' },
]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const T0 = Date.parse('2026-11-26T09:00:00Z');

function ladder(mid: number, step: number): SimBook {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 1; i <= 8; i++) {
    bids.push([(mid - i * step).toFixed(2), `${i}.25`]);
    asks.push([(mid + i * step).toFixed(2), `${i}.5`]);
  }
  return { bids, asks };
}

class ScriptedMarket implements SimMarketView {
  readonly instruments = registry.all;
  book(instrument: Instrument): SimBook {
    return instrument === BTC ? ladder(50000, 0.01) : ladder(3000, 0.05);
  }
  mid(instrument: Instrument): string {
    return instrument === BTC ? '50000.00' : '3000.00';
  }
  now(): number {
    return T0;
  }
}

class FakeClient implements SimClient {
  readonly url = new URL('ws://sim/');
  readonly frames: string[] = [];
  closed: { code?: number | undefined; reason?: string | undefined } | undefined;
  constructor(readonly id: number) {}
  send(text: string): void {
    this.frames.push(text);
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }
  take(): string[] {
    return this.frames.splice(0);
  }
}

interface Rec {
  events: MarketEvent[];
  sent: string[];
  dead: { reason: DeadLetterReason; detail: string }[];
  io: ProtocolIO;
}
function rec(): Rec {
  const r: Rec = {
    events: [],
    sent: [],
    dead: [],
    io: {
      emit: (e) => r.events.push(e),
      send: (t) => r.sent.push(t),
      deadLetter: (reason, detail) => r.dead.push({ reason, detail }),
      requestSnapshot: () => undefined,
      reconnect: () => undefined,
    },
  };
  return r;
}

class Loop {
  readonly r = rec();
  constructor(
    readonly venue: SimVenue,
    readonly client: FakeClient,
    readonly protocol: VenueProtocol,
  ) {}
  connect(instruments: readonly Instrument[]): void {
    this.venue.onConnect(this.client);
    for (const m of this.protocol.subscribeMessages(instruments)) this.venue.onClientMessage(this.client, m);
    this.pump();
  }
  pump(): void {
    for (;;) {
      const frames = this.client.take();
      for (const f of frames) this.protocol.onMessage(f, 1, this.r.io);
      const sent = this.r.sent.splice(0);
      for (const s of sent) this.venue.onClientMessage(this.client, s);
      if (frames.length === 0 && sent.length === 0) return;
    }
  }
  tick(t: SimTick): void {
    this.venue.onTick(t);
    this.pump();
  }
}

const statuses = (r: Rec): [string, string][] => r.events.filter((e): e is StatusEvent => e.type === 'status').map((e) => [e.instrument, e.status]);
const lastBook = (r: Rec, id: string): BookEvent => r.events.filter((e): e is BookEvent => e.type === 'book' && e.instrument === id).at(-1)!;

describe('coinbase simulator: wire faithfulness', () => {
  it('answers the documented subscribe with one subscriptions message, then a snapshot per product', () => {
    const venue = coinbaseSimVenue(new ScriptedMarket());
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
    const doc = JSON.parse(readFileSync(`${FIXTURES}/exchange-subscriptions-1.json`, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(frames[0]!)).toEqual(Object.keys(doc));
    expect(frames[1]).toMatchObject({ type: 'snapshot', product_id: 'ETH-USD' });
    expect((frames[1]!['bids'] as string[][])[0]).toEqual(['2999.95', '1.25']);
    expect(frames).toHaveLength(2); // no trades yet: no initial ticker
    venue.heartbeat!(client);
    expect(JSON.parse(client.take()[0]!)).toEqual({ type: 'heartbeat', last_trade_id: 0, product_id: 'ETH-USD', sequence: 0, time: '2026-11-26T09:00:00.000000Z' });
  });

  it('refuses unknown products and channels with the venue error frame; disconnects without a subscribe in 5 s', () => {
    const venue = coinbaseSimVenue(new ScriptedMarket());
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
    const venue = coinbaseSimVenue(new ScriptedMarket());
    const client = new FakeClient(1);
    venue.onConnect(client);
    venue.onClientMessage(client, JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channels: ['matches'] }));
    client.take();
    venue.onTick({ kind: 'book', instrument: BTC, ts: T0, bids: [['49999.99', '0']], asks: [] });
    venue.onTick({ kind: 'trade', instrument: BTC, ts: T0 + 1.5, price: '50000.01', size: '0.2', side: 'buy', tradeId: 41 });
    const match = JSON.parse(client.take()[0]!) as Record<string, unknown>;
    const doc = JSON.parse(readFileSync(`${FIXTURES}/exchange-match-2.json`, 'utf8')) as Record<string, unknown>;
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
    const loop = new Loop(coinbaseSimVenue(new ScriptedMarket()), new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 3 }));
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
    const venue = coinbaseSimVenue(new ScriptedMarket());
    const loop = new Loop(venue, new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 3 }));
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
    const defaults = simSectionSchema.parse({});
    const created = SimMarket.create({
      instruments: registry.all,
      seed: 5,
      startMs: T0,
      model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
      flow: { ...defaults.flow, messagesPerSecond: 4_000, mix: { book: 0.7, trade: 0.3, mark: 0, option: 0 } },
      book: defaults.book,
    });
    if (!created.ok) throw new Error(created.errors.join('; '));
    const market = created.market;
    const loop = new Loop(coinbaseSimVenue(market), new FakeClient(1), createCoinbaseProtocol({ registry, bookDepth: 20 }));
    loop.connect(registry.all);
    const ticks: SimTick[] = [];
    for (let step = 0; step < 400; step++) {
      market.step(5, (t) => {
        ticks.push(t);
        loop.tick(t);
      });
    }
    expect(loop.r.dead).toEqual([]);
    expect(statuses(loop.r)).toEqual([
      ['coinbase:BTC/USD', 'ok'],
      ['coinbase:ETH/USD', 'ok'],
    ]);
    const tradeTicks = ticks.filter((t) => t.kind === 'trade');
    expect(tradeTicks.length).toBeGreaterThan(100);
    expect(loop.r.events.filter((e): e is TradeEvent => e.type === 'trade').map((t) => [t.instrument, t.tradeId, t.price, t.size, t.side, t.exchTs])).toEqual(
      tradeTicks.map((t) => (t.kind === 'trade' ? [t.instrument.id, String(t.tradeId), t.price, t.size, t.side, t.ts] : [])),
    );
    const num = (ls: readonly Level[]): [number, number][] => ls.map((l) => [Number(l[0]), Number(l[1])]);
    for (const ins of registry.all) {
      const want = market.book(ins);
      const got = lastBook(loop.r, ins.id);
      expect(num(got.bids)).toEqual(num(want.bids.slice(0, 20)));
      expect(num(got.asks)).toEqual(num(want.asks.slice(0, 20)));
    }
  });
});
