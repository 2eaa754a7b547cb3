import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { createKrakenProtocol, krakenNumber, krakenSimVenue } from '../../../src/feeds/kraken/index.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import type { SimBook, SimClient, SimMarketView, SimTick, SimVenue } from '../../../src/feeds/sim/types.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, Level, MarketEvent, StatusEvent, TradeEvent } from '../../../src/risk/events.js';

const FIXTURES = '/work/shared/fixtures/kraken';
const registry = InstrumentRegistry.of([
  { venue: 'kraken', venueSymbol: 'BTC/USD', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USD', settle: 'USD', underlying: 'BTC', contractSize: '1', tickSize: '0.1', lotSize: '0.00000001' },
  { venue: 'kraken', venueSymbol: 'ETH/USD', kind: 'spot', settlementType: 'linear', base: 'ETH', quote: 'USD', settle: 'USD', underlying: 'ETH', contractSize: '1', tickSize: '0.01', lotSize: '0.00000001' },
]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const T0 = Date.parse('2026-11-26T09:00:00Z');

/** 15 levels per side around a mid, sizes varying by level. */
function ladder(mid: number, step: number, decimals: number): SimBook {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 1; i <= 15; i++) {
    bids.push([(mid - i * step).toFixed(decimals), `${i}.${String(i * 7).padStart(8, '0')}`]);
    asks.push([(mid + i * step).toFixed(decimals), `${i}.5`]);
  }
  return { bids, asks };
}

/** A market that only answers the venue's construction-time questions; ticks are fed by hand. */
class ScriptedMarket implements SimMarketView {
  readonly instruments = registry.all;
  t = T0;
  book(instrument: Instrument): SimBook {
    return instrument === BTC ? ladder(50000, 0.5, 1) : ladder(3000, 0.05, 2);
  }
  mid(instrument: Instrument): string {
    return instrument === BTC ? '50000.0' : '3000.00';
  }
  now(): number {
    return this.t;
  }
}

class FakeClient implements SimClient {
  readonly url = new URL('ws://sim/v2');
  readonly frames: string[] = [];
  closed = false;
  constructor(readonly id: number) {}
  send(text: string): void {
    this.frames.push(text);
  }
  close(): void {
    this.closed = true;
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

/** Client protocol <-> sim venue in memory: frames the venue sends are parsed, requests go back. */
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
  /** Delivers pending venue frames to the protocol and the protocol's requests to the venue, until quiet. */
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

describe('kraken simulator: wire faithfulness', () => {
  it('greets with the status channel, acks each symbol like the documented ack, then snapshots', () => {
    const venue = krakenSimVenue(new ScriptedMarket());
    const client = new FakeClient(7);
    venue.onConnect(client);
    expect(JSON.parse(client.take()[0]!)).toEqual({ channel: 'status', type: 'update', data: [{ api_version: 'v2', connection_id: 7, system: 'online', version: '2.0.0' }] });
    venue.onClientMessage(client, JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD', 'ETH/USD'] } }));
    const frames = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    const doc = JSON.parse(readFileSync(`${FIXTURES}/subscribe-ack-1.json`, 'utf8')) as Record<string, unknown>;
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
    const venue = krakenSimVenue(new ScriptedMarket());
    const client = new FakeClient(1);
    venue.onConnect(client);
    client.take();
    venue.onClientMessage(client, readFileSync(`${FIXTURES}/subscribe-request-1.json`, 'utf8'));
    expect(client.take().map((f) => JSON.parse(f) as unknown)).toEqual([
      { error: 'Currency pair not supported ALGO/USD', method: 'subscribe', success: false, symbol: 'ALGO/USD', time_in: '2026-11-26T09:00:00.000000Z', time_out: '2026-11-26T09:00:00.000000Z' },
      { error: 'Currency pair not supported MATIC/USD', method: 'subscribe', success: false, symbol: 'MATIC/USD', time_in: '2026-11-26T09:00:00.000000Z', time_out: '2026-11-26T09:00:00.000000Z' },
    ]);
    venue.onClientMessage(client, readFileSync(`${FIXTURES}/ping-request-1.json`, 'utf8'));
    const pong = JSON.parse(client.take()[0]!) as Record<string, unknown>;
    const docPong = JSON.parse(readFileSync(`${FIXTURES}/pong-1.json`, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(pong)).toEqual(Object.keys(docPong));
    expect(pong['req_id']).toBe(101);
    venue.onClientMessage(client, JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 7 } }));
    expect(JSON.parse(client.take()[0]!)).toMatchObject({ success: false, symbol: 'BTC/USD' });
  });

  it('heartbeat once a period to subscribed clients only', () => {
    const venue = krakenSimVenue(new ScriptedMarket());
    const client = new FakeClient(1);
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
    const market = new ScriptedMarket();
    const loop = new Loop(krakenSimVenue(market), new FakeClient(1), createKrakenProtocol({ registry, bookDepth: 5 }));
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
    const market = new ScriptedMarket();
    const venue = krakenSimVenue(market);
    const loop = new Loop(venue, new FakeClient(1), createKrakenProtocol({ registry, bookDepth: 10 }));
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
    const venue = krakenSimVenue(new ScriptedMarket());
    const loop = new Loop(venue, new FakeClient(1), createKrakenProtocol({ registry, bookDepth: 10 }));
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
    const venue = krakenSimVenue(new ScriptedMarket());
    const loop = new Loop(venue, new FakeClient(1), createKrakenProtocol({ registry, bookDepth: 10, channels: ['ticker'] }));
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
    const defaults = simSectionSchema.parse({});
    const created = SimMarket.create({
      instruments: registry.all,
      seed: 99,
      startMs: T0,
      model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
      flow: { ...defaults.flow, messagesPerSecond: 4_000, mix: { book: 0.7, trade: 0.3, mark: 0, option: 0 } },
      book: { ...defaults.book, levels: 30 },
    });
    if (!created.ok) throw new Error(created.errors.join('; '));
    const market = created.market;
    const venue = krakenSimVenue(market);
    const loop = new Loop(venue, new FakeClient(1), createKrakenProtocol({ registry, bookDepth: 20 }));
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
      ['kraken:BTC/USD', 'ok'],
      ['kraken:ETH/USD', 'ok'],
    ]);
    const tradeTicks = ticks.filter((t) => t.kind === 'trade');
    const trades = loop.r.events.filter((e): e is TradeEvent => e.type === 'trade');
    expect(tradeTicks.length).toBeGreaterThan(100);
    expect(trades.map((t) => [t.instrument, t.tradeId, t.price, t.size, t.side, t.exchTs])).toEqual(
      tradeTicks.map((t) => (t.kind === 'trade' ? [t.instrument.id, String(t.tradeId), t.price, t.size, t.side, t.ts] : [])),
    );
    for (const ins of registry.all) {
      const want = market.book(ins);
      const got = lastBook(loop.r, ins.id);
      expect(got.bids).toEqual(want.bids.slice(0, 20));
      expect(got.asks).toEqual(want.asks.slice(0, 20));
    }
  });
});
