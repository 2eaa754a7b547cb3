/**
 * OKX simulator on the wire, without sockets: request fixtures get the venue's answers, and what the
 * simulator sends parses through OkxProtocol back to the values the sim ticks carried (trades,
 * marks, funding, and books equal to the market's book with legacy checksums verified).
 */
import { describe, expect, it } from 'vitest';
import { OkxProtocol } from '../../../src/feeds/okx/protocol.js';
import { OkxSimVenue } from '../../../src/feeds/okx/sim.js';
import type { SimMarket } from '../../../src/feeds/sim/market.js';
import type { Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, MarketEvent } from '../../../src/risk/events.js';
import { fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';
import { FakeClient, seededMarket } from './harness/sim.js';

const instruments = registry.forFeed('okx');
const fixture = (name: string): string => sharedFixture('okx', name);

function market(seed = 11): SimMarket {
  return seededMarket(instruments, { seed, startMs: Date.parse('2026-11-25T00:00:00Z'), messagesPerSecond: 5_000 });
}

const okxClient = (id: number): FakeClient => new FakeClient(id, '/ws/v5/public');

const byId = (id: string): Instrument => registry.byCanonical(id)!;

describe('OKX simulator answers', () => {
  it('ping-1 -> pong-1 (text frames)', () => {
    const venue = new OkxSimVenue(market());
    const client = okxClient(1);
    venue.onClientMessage(client, fixture('ping-1.txt'));
    expect(client.take()).toEqual([fixture('pong-1.txt')]);
  });

  it('subscribe-request-1 -> the ack of subscribe-response-1 (id echoed, connId) and a books snapshot', () => {
    const m = market();
    const venue = new OkxSimVenue(m);
    const client = okxClient(1);
    venue.onClientMessage(client, fixture('subscribe-request-1.json'));
    const [ack, snapshot] = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    const expected = JSON.parse(fixture('subscribe-response-1.json')) as Record<string, unknown>;
    expect(Object.keys(ack!)).toEqual(Object.keys(expected));
    expect({ ...ack, connId: 'x' }).toEqual({ ...expected, connId: 'x' });
    expect(ack!['connId']).toMatch(/^[0-9a-f]{8}$/);
    expect(snapshot).toMatchObject({ arg: { channel: 'books', instId: 'BTC-USDT' }, action: 'snapshot' });
    const data = (snapshot!['data'] as Record<string, unknown>[])[0]!;
    expect(data['prevSeqId']).toBe(-1);
    const book = m.book(byId('okx:BTC/USDT'));
    expect((data['bids'] as string[][])[0]).toEqual([book.bids[0]![0], book.bids[0]![1], '0', '1']);
  });

  it('subscribe-request-2 (tickers, not simulated, unknown instruments) -> one 60018 error per arg', () => {
    const venue = new OkxSimVenue(market());
    const client = okxClient(1);
    venue.onClientMessage(client, fixture('subscribe-request-2.json'));
    const frames = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(frames.map((f) => [f['event'], f['code']])).toEqual([
      ['error', '60018'],
      ['error', '60018'],
      ['error', '60018'],
    ]);
    const parsed = frames.map((f) => new OkxProtocol({ registry, bookDepth: 5 }).parser.parse(JSON.stringify(f), 1).kind);
    expect(parsed).toEqual(['venue_error', 'venue_error', 'venue_error']);
  });

  it('a malformed request -> error 60012, as subscribe-error-1', () => {
    const venue = new OkxSimVenue(market());
    const client = okxClient(1);
    venue.onClientMessage(client, '{"op": "subscribe", "argss":[{ "channel" : "books", "instId" : "BTC-USD-191227"}]}');
    const [error] = client.take().map((f) => JSON.parse(f) as Record<string, unknown>);
    const expected = JSON.parse(fixture('subscribe-error-1.json')) as Record<string, unknown>;
    expect(Object.keys(error!).sort()).toEqual(Object.keys(expected).filter((k) => k !== 'id').sort());
    expect(error!['code']).toBe('60012');
    expect(error!['msg']).toBe(expected['msg']);
  });

  it('announceShutdown sends the 64008 notice, which the protocol turns into a reconnect', () => {
    const venue = new OkxSimVenue(market());
    const client = okxClient(1);
    venue.announceShutdown(client);
    const io = new Recorder();
    new OkxProtocol({ registry, bookDepth: 5 }).onMessage(client.take()[0]!, 1, io);
    expect(io.reconnects).toHaveLength(1);
    expect(io.reconnects[0]).toContain('64008');
  });
});

describe('OKX simulator round trip', () => {
  it('what the simulator sends parses back to the values of the sim ticks', () => {
    const m = market(5);
    const venue = new OkxSimVenue(m);
    const protocol = new OkxProtocol({ registry, bookDepth: 5 });
    const client = okxClient(1);
    const io = new Recorder();
    for (const frame of protocol.subscribeMessages(instruments)) venue.onClientMessage(client, frame);
    for (const frame of client.take()) protocol.onMessage(frame, 0, io);
    expect(io.dead).toEqual([]);
    expect(io.events.filter((e) => e.type === 'status').map((e) => e.instrument).sort()).toEqual(instruments.map((i) => i.id).sort());

    let trades = 0;
    let marks = 0;
    let funding = 0;
    let books = 0;
    for (let step = 0; step < 200; step++) {
      // The server encodes each tick while the market is at that tick (checksums read the book).
      m.step(2, (tick) => {
        venue.onTick(tick);
        io.events = [];
        for (const frame of client.take()) protocol.onMessage(frame, tick.ts, io);
        const id = tick.instrument.id;
        switch (tick.kind) {
          case 'trade':
            trades++;
            expect(io.events).toEqual([
              { type: 'trade', venue: 'okx', instrument: id, exchTs: tick.ts, recvTs: tick.ts, price: tick.price, size: tick.size, side: tick.side, tradeId: String(tick.tradeId) },
            ]);
            break;
          case 'mark': {
            marks++;
            const expected: MarketEvent[] = [{ type: 'mark', venue: 'okx', instrument: id, exchTs: tick.ts, recvTs: tick.ts, markPrice: tick.markPrice }];
            if (tick.instrument.kind === 'perpetual') {
              funding++;
              expected.push({ type: 'mark', venue: 'okx', instrument: id, exchTs: tick.ts, recvTs: tick.ts, fundingRate: tick.fundingRate, nextFundingTs: tick.nextFundingTs });
            }
            expect(io.events).toEqual(expected);
            break;
          }
          case 'book': {
            books++;
            const book = io.events.find((e): e is BookEvent => e.type === 'book');
            const truth = m.book(tick.instrument);
            expect(book).toMatchObject({ instrument: id, exchTs: tick.ts, bids: truth.bids.slice(0, 5), asks: truth.asks.slice(0, 5) });
            expect(io.events.find((e) => e.type === 'quote')).toMatchObject({ bid: truth.bids[0]![0], bidSize: truth.bids[0]![1], ask: truth.asks[0]![0], askSize: truth.asks[0]![1] });
            break;
          }
          case 'option':
            break;
        }
      });
    }
    expect(io.dead).toEqual([]);
    expect(protocol.parser.fundingIntervalMs('BTC-USDT-SWAP')).toBe(8 * 3_600_000);
    expect(trades).toBeGreaterThan(50);
    expect(marks).toBeGreaterThan(10);
    expect(funding).toBeGreaterThan(0);
    expect(books).toBeGreaterThan(100);
  });

  it('injectGap and injectChecksumMismatch make exactly that instrument resync, and the resubscribe rebuilds it', () => {
    const m = market(9);
    const venue = new OkxSimVenue(m);
    const protocol = new OkxProtocol({ registry, bookDepth: 5 });
    const client = okxClient(1);
    const io = new Recorder();
    const pump = (): void => {
      for (const frame of client.take()) protocol.onMessage(frame, 0, io);
      for (const frame of io.sent.splice(0, io.sent.length)) venue.onClientMessage(client, frame);
      for (const frame of client.take()) protocol.onMessage(frame, 0, io);
    };
    for (const frame of protocol.subscribeMessages(instruments)) venue.onClientMessage(client, frame);
    pump();
    const btc = byId('okx:BTC/USDT');
    const statusLog = (): string[] => io.events.filter((e) => e.type === 'status').map((e) => `${e.instrument} ${e.type === 'status' ? e.status : ''}`);
    for (const fault of ['gap', 'checksum'] as const) {
      io.events = [];
      if (fault === 'gap') venue.injectGap(btc);
      else venue.injectChecksumMismatch(btc);
      for (let step = 0; step < 2000 && !statusLog().includes(`${btc.id} ok`); step++) {
        m.step(2, (tick) => venue.onTick(tick));
        pump();
      }
      expect(statusLog()).toEqual([`${btc.id} resyncing`, `${btc.id} ok`]);
      const reason = io.events.find((e) => e.type === 'status' && e.status === 'resyncing');
      expect(reason).toMatchObject({ reason: fault === 'gap' ? expect.stringMatching(/^gap: prevSeqId/) : expect.stringMatching(/^checksum mismatch/) });
      // Back in sync: the rebuilt book equals the market's.
      m.step(2, (tick) => venue.onTick(tick));
      pump();
      const books = io.events.filter((e): e is BookEvent => e.type === 'book' && e.instrument === btc.id);
      expect(books.at(-1)!.bids).toEqual(m.book(btc).bids.slice(0, 5));
    }
    expect(io.dead).toEqual([]);
  });
});
