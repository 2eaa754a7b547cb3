/**
 * The Deribit simulator venue: its JSON-RPC answers, heartbeats, gap injection, and the round
 * trip SimTick -> wire -> DeribitProtocol -> MarketEvent values.
 */
import { describe, expect, it } from 'vitest';
import { decimalFromNumber } from '../../../src/feeds/decimal.js';
import { DeribitProtocol } from '../../../src/feeds/deribit/protocol.js';
import { DeribitSimVenue, multiplyDecimals } from '../../../src/feeds/deribit/sim.js';
import type { SimClient, SimTick } from '../../../src/feeds/sim/types.js';
import type { BookEvent, MarketEvent } from '../../../src/risk/events.js';
import { Recorder, canon, deribitInstruments, instrument, newMarket, registry } from './deribit-helpers.js';
import { FakeClient } from './harness/sim.js';

const fakeClient = (id = 1): FakeClient => new FakeClient(id, '/ws/api/v2');

function rpc(id: number, method: string, params: object): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

describe('deribit simulator: JSON-RPC answers', () => {
  it('acks only valid channels, sorted; raw fails the whole call with 13778; unknown names are silent', () => {
    const venue = new DeribitSimVenue(newMarket());
    const c = fakeClient();
    venue.onConnect(c);
    venue.onClientMessage(c, rpc(5, 'public/subscribe', { channels: ['book.BTC-PERPETUAL.raw'] }));
    expect(c.takeJson()).toMatchObject([{ id: 5, error: { code: 13778, message: 'raw_subscriptions_not_available_for_unauthorized' }, testnet: false }]);
    venue.onClientMessage(
      c,
      rpc(6, 'public/subscribe', { channels: ['trades.ETH-PERPETUAL.100ms', 'book.NOPE_USDC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.50ms', 'ticker.BTC-PERPETUAL.agg2', 'perpetual.BTC-25DEC26.100ms'] }),
    );
    const [reply] = c.takeJson();
    expect(reply).toMatchObject({ jsonrpc: '2.0', id: 6, result: ['ticker.BTC-PERPETUAL.agg2', 'trades.ETH-PERPETUAL.100ms'], testnet: false });
    expect(typeof reply!['usIn']).toBe('number');
    expect(reply!['usDiff']).toBe((reply!['usOut'] as number) - (reply!['usIn'] as number));
  });

  it('sends a snapshot once per book subscription; resubscribing alone does not, unsubscribe + subscribe does', () => {
    const market = newMarket();
    const venue = new DeribitSimVenue(market);
    const c = fakeClient();
    venue.onConnect(c);
    const ch = 'book.BTC-PERPETUAL.100ms';
    venue.onClientMessage(c, rpc(1, 'public/subscribe', { channels: [ch] }));
    const first = c.takeJson();
    expect(first).toHaveLength(2);
    const snap = (first[1]!['params'] as { data: { type: string; change_id: number; bids: unknown[][]; asks: unknown[][] } }).data;
    expect(snap.type).toBe('snapshot');
    expect(snap.bids.length).toBeGreaterThan(0);
    expect(snap.bids.every((l) => l[0] === 'new')).toBe(true);
    venue.onClientMessage(c, rpc(2, 'public/subscribe', { channels: [ch] }));
    expect(c.takeJson()).toMatchObject([{ id: 2, result: [ch] }]);
    venue.onClientMessage(c, rpc(3, 'public/unsubscribe', { channels: [ch, 'trades.BTC-PERPETUAL.100ms'] }));
    expect(c.takeJson()).toMatchObject([{ id: 3, result: [ch] }]);
    venue.onClientMessage(c, rpc(4, 'public/subscribe', { channels: [ch] }));
    const again = c.takeJson();
    expect(again).toHaveLength(2);
    expect((again[1]!['params'] as { data: { change_id: number } }).data.change_id).toBe(snap.change_id);
  });

  it('answers test, bad JSON, unknown and private methods, bad heartbeat intervals and id-less requests as the venue does', () => {
    const venue = new DeribitSimVenue(newMarket());
    const c = fakeClient();
    venue.onConnect(c);
    venue.onClientMessage(c, 'not json');
    venue.onClientMessage(c, rpc(2, 'public/nope', {}));
    venue.onClientMessage(c, rpc(3, 'private/subscribe', { channels: ['user.orders.any.any.raw'] }));
    venue.onClientMessage(c, rpc(4, 'public/set_heartbeat', { interval: 5 }));
    venue.onClientMessage(c, '{"jsonrpc":"2.0","method":"public/test","params":{}}');
    const replies = c.takeJson();
    expect(replies[0]).toMatchObject({ error: { code: 11050, data: 'invalid json', message: 'bad_request' } });
    expect(replies[0]).not.toHaveProperty('id');
    expect(replies[1]).toMatchObject({ id: 2, error: { code: -32601, message: 'Method not found' } });
    expect(replies[2]).toMatchObject({ id: 3, error: { code: 13009, message: 'unauthorized', data: { reason: 'invalid_token' } } });
    expect(replies[3]).toMatchObject({ id: 4, error: { code: -32602, message: 'Invalid params' } });
    expect(replies[4]).toMatchObject({ result: { version: '1.2.26' } });
    expect(replies[4]).not.toHaveProperty('id');
  });

  it('sends test_request every interval and closes with 4000 when one goes unanswered', () => {
    const venue = new DeribitSimVenue(newMarket(), { heartbeatUnitMs: 5 });
    expect(venue.heartbeatMs).toBe(5);
    const c = fakeClient();
    venue.onConnect(c);
    for (let i = 0; i < 30; i++) venue.heartbeat(c);
    expect(c.frames).toEqual([]); // heartbeats are off until set_heartbeat
    venue.onClientMessage(c, rpc(1, 'public/set_heartbeat', { interval: 10 }));
    c.takeJson();
    for (let i = 0; i < 9; i++) venue.heartbeat(c);
    expect(c.frames).toEqual([]);
    venue.heartbeat(c);
    // Idle socket: a plain heartbeat, then the test_request.
    expect(c.takeJson().map((f) => (f['params'] as { type: string }).type)).toEqual(['heartbeat', 'test_request']);
    venue.onClientMessage(c, rpc(2, 'public/test', {}));
    c.takeJson();
    for (let i = 0; i < 10; i++) venue.heartbeat(c);
    expect(c.takeJson().map((f) => (f['params'] as { type: string }).type)).toEqual(['heartbeat', 'test_request']);
    for (let i = 0; i < 9; i++) venue.heartbeat(c);
    expect(c.closed).toBeUndefined();
    venue.heartbeat(c);
    expect(c.closed).toEqual({ code: 4000, reason: 'heartbeat close' });
  });

  it('injectGap: the next change of that instrument points at a change id never sent', () => {
    const market = newMarket();
    const venue = new DeribitSimVenue(market);
    const c = fakeClient();
    venue.onConnect(c);
    venue.onClientMessage(c, rpc(1, 'public/subscribe', { channels: ['book.BTC-PERPETUAL.100ms'] }));
    const snap = (c.takeJson()[1]!['params'] as { data: { change_id: number } }).data;
    const btc = instrument('BTC-PERPETUAL');
    const changes = (): { change_id: number; prev_change_id: number }[] =>
      c.takeJson().map((f) => (f['params'] as { data: { change_id: number; prev_change_id: number } }).data);
    venue.onTick({ kind: 'book', instrument: btc, ts: 1, bids: [['90000.0', '5']], asks: [] });
    const [a] = changes();
    expect(a!.prev_change_id).toBe(snap.change_id);
    venue.injectGap(btc);
    venue.onTick({ kind: 'book', instrument: btc, ts: 2, bids: [['90000.0', '0']], asks: [] });
    const [b] = changes();
    expect(b!.prev_change_id).not.toBe(a!.change_id);
    expect(b!.prev_change_id).toBeGreaterThan(a!.change_id);
    venue.onTick({ kind: 'book', instrument: btc, ts: 3, bids: [['89999.5', '1']], asks: [] });
    expect(changes()[0]!.prev_change_id).toBe(b!.change_id);
  });

  it('multiplies contracts by the contract size exactly', () => {
    expect(multiplyDecimals('37', '10')).toBe('370');
    expect(multiplyDecimals('0.5', '0.01')).toBe('0.005');
    expect(multiplyDecimals('1.0001', '1')).toBe('1.0001');
  });
});

/* Round trip ------------------------------------------------------------------------------------ */

/** Drives a seeded market through the sim venue into a protocol, one tick at a time. */
function roundTrip(steps: number): { pairs: { tick: SimTick; events: MarketEvent[] }[]; io: Recorder; market: ReturnType<typeof newMarket> } {
  const market = newMarket(11);
  const venue = new DeribitSimVenue(market);
  const protocol = new DeribitProtocol({ registry, bookDepth: 5 });
  const wire: string[] = [];
  const client: SimClient = { id: 1, url: new URL('ws://127.0.0.1/ws/api/v2'), send: (t) => wire.push(t), close: () => {} };
  const io = new Recorder();
  io.send = (text: string) => venue.onClientMessage(client, text);
  const pump = (): void => {
    while (wire.length > 0) protocol.onMessage(wire.shift()!, 0, io);
  };
  venue.onConnect(client);
  for (const frame of protocol.subscribeMessages(deribitInstruments)) venue.onClientMessage(client, frame);
  pump();
  const pairs: { tick: SimTick; events: MarketEvent[] }[] = [];
  for (let s = 0; s < steps; s++) {
    market.step(20, (tick) => {
      venue.onTick(tick);
      const before = io.events.length;
      pump();
      pairs.push({ tick, events: io.events.slice(before) });
    });
  }
  return { pairs, io, market };
}

describe('deribit round trip: SimTick -> wire -> parser', () => {
  const { pairs, io, market } = roundTrip(150);

  it('subscribes everything and reaches ok for every instrument without a dead letter', () => {
    expect(io.letters).toEqual([]);
    const ok = new Set(io.ofType('status').filter((s) => s.status === 'ok').map((s) => s.instrument));
    expect([...ok].sort()).toEqual(deribitInstruments.map((i) => i.id).sort());
    for (const kind of ['trade', 'book', 'mark', 'option'] as const) expect(pairs.filter((p) => p.tick.kind === kind).length).toBeGreaterThan(10);
  });

  it('trades: price, side, id, time and size (contracts: the wire amount over the contract size) as ticked', () => {
    for (const { tick, events } of pairs) {
      if (tick.kind !== 'trade') continue;
      const trades = events.filter((e) => e.type === 'trade');
      expect(trades).toHaveLength(1);
      expect(trades[0]).toMatchObject({
        instrument: tick.instrument.id,
        exchTs: Math.floor(tick.ts),
        price: expect.stringMatching(/./),
        side: tick.side,
        tradeId: String(tick.tradeId),
      });
      const t = trades[0] as Extract<MarketEvent, { type: 'trade' }>;
      expect(canon(t.price)).toBe(canon(tick.price));
      expect(canon(t.size)).toBe(canon(tick.size));
    }
  });

  it('marks: mark, index and funding (perpetuals) as ticked', () => {
    for (const { tick, events } of pairs) {
      if (tick.kind !== 'mark') continue;
      const marks = events.filter((e): e is Extract<MarketEvent, { type: 'mark' }> => e.type === 'mark');
      expect(marks).toHaveLength(1);
      const m = marks[0]!;
      expect(m.instrument).toBe(tick.instrument.id);
      expect(m.exchTs).toBe(Math.floor(tick.ts));
      expect(canon(m.markPrice!)).toBe(canon(tick.markPrice));
      expect(canon(m.indexPrice!)).toBe(canon(tick.indexPrice));
      if (tick.fundingRate === '') expect(m.fundingRate).toBeUndefined();
      else expect(canon(m.fundingRate!)).toBe(canon(tick.fundingRate));
    }
  });

  it('options: mark, IV (percent on the wire, fraction again after parsing), prices and Greeks as ticked; quote from the tick', () => {
    for (const { tick, events } of pairs) {
      if (tick.kind !== 'option') continue;
      const opts = events.filter((e): e is Extract<MarketEvent, { type: 'option' }> => e.type === 'option');
      expect(opts).toHaveLength(1);
      const o = opts[0]!;
      expect(o.instrument).toBe(tick.instrument.id);
      expect(canon(o.markPrice)).toBe(canon(tick.markPrice));
      expect(canon(o.markIv)).toBe(canon(decimalFromNumber(tick.markIv)!));
      expect(canon(o.underlyingPrice)).toBe(canon(tick.underlyingPrice));
      expect(canon(o.indexPrice!)).toBe(canon(tick.indexPrice));
      expect([o.delta, o.gamma, o.vega, o.theta].map((g) => canon(g!))).toEqual(
        [tick.delta, tick.gamma, tick.vega, tick.theta].map((g) => canon(decimalFromNumber(g)!)),
      );
      const quote = events.find((e): e is Extract<MarketEvent, { type: 'quote' }> => e.type === 'quote');
      expect(quote).toBeDefined();
      expect(quote!.bid === null ? '0' : canon(quote!.bid)).toBe(canon(tick.bestBid));
      expect(quote!.ask === null ? '0' : canon(quote!.ask)).toBe(canon(tick.bestAsk));
    }
  });

  it('books: after every book tick the parsed top levels equal the market book (sizes in contracts)', () => {
    let checked = 0;
    for (const { tick, events } of pairs) {
      if (tick.kind !== 'book' || tick.instrument.isOption) continue;
      const books = events.filter((e): e is BookEvent => e.type === 'book');
      expect(books).toHaveLength(1);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // The state at the end: the protocol's last book per instrument equals the market's top 5.
    for (const ins of deribitInstruments) {
      if (ins.isOption) continue;
      const books = io.ofType('book').filter((b) => b.instrument === ins.id);
      const last = books[books.length - 1]!;
      const market5 = market.book(ins);
      const conv = (levels: readonly (readonly [string, string])[]): string[] => levels.slice(0, 5).map(([p, q]) => `${canon(p)} ${canon(q)}`);
      expect(last.bids.map(([p, q]) => `${canon(p)} ${canon(q)}`)).toEqual(conv(market5.bids));
      expect(last.asks.map(([p, q]) => `${canon(p)} ${canon(q)}`)).toEqual(conv(market5.asks));
    }
  });
});
