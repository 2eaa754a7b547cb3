import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L2Book } from '../../../src/feeds/book.js';
import { checksumString, krakenChecksum, krakenChecksumOfLevels, krakenChecksumReference } from '../../../src/feeds/kraken/checksum.js';
import { createKrakenProtocol, krakenProtocol, krakenSubscribedDepth } from '../../../src/feeds/kraken/index.js';
import { parseKrakenFrame } from '../../../src/feeds/kraken/parser.js';
import { KrakenSymbols, decimalsOfIncrement, deriveKrakenCanonicalId } from '../../../src/feeds/kraken/symbols.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import type { Level } from '../../../src/risk/events.js';
import { fixtureNames, fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixture = (name: string): string => sharedFixture('kraken', name);

/** MATIC/USD is not in the universe: its precision (4 / 8, from INDEX.md) comes in as an override. */
const MATIC = { 'MATIC/USD': { price: 4, qty: 8 } };

function protocol(bookDepth = 10): VenueProtocol {
  return createKrakenProtocol({ registry, bookDepth, precisions: MATIC });
}

function feed(p: VenueProtocol, files: string[], recvTs = 5): Recorder {
  const r = new Recorder();
  for (const f of files) p.onMessage(fixture(f), recvTs, r);
  return r;
}

describe('kraken fixtures -> normalized events', () => {
  it('book-1 snapshot: verified checksum, status ok, top levels padded to precision, quote', () => {
    const r = feed(protocol(10), ['book-1.json']);
    expect(r.dead).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(['status', 'book', 'quote']);
    const exchTs = Date.UTC(2023, 9, 6, 17, 35, 55, 440) + 0.295;
    expect(r.events[0]).toMatchObject({ type: 'status', instrument: 'kraken:MATIC/USD', status: 'ok', exchTs, recvTs: 5 });
    const book = r.events[1]!;
    if (book.type !== 'book') throw new Error('expected book');
    expect(book.instrument).toBe('kraken:MATIC/USD');
    expect(book.venue).toBe('kraken');
    expect(book.exchTs).toBe(exchTs);
    expect(book.bids).toHaveLength(10);
    expect(book.bids[0]).toEqual(['0.5666', '4831.75496356']);
    // JSON number 0.566 / 18097.1547 re-padded to 4 / 8 decimals.
    expect(book.bids[6]).toEqual(['0.5660', '18097.15470000']);
    expect(book.bids[9]).toEqual(['0.5657', '606.70854372']);
    expect(book.asks[0]).toEqual(['0.5668', '4410.79769741']);
    expect(book.asks[2]).toEqual(['0.5670', '49844.89424998']);
    expect(book.asks[9]).toEqual(['0.5677', '36304.08470220']);
    expect(r.events[2]).toEqual({
      type: 'quote',
      venue: 'kraken',
      instrument: 'kraken:MATIC/USD',
      exchTs,
      recvTs: 5,
      bid: '0.5666',
      bidSize: '4831.75496356',
      ask: '0.5668',
      askSize: '4410.79769741',
    });
  });

  it('book-1 then book-2 is a consistent sequence: update applied, checksum 2114181697 verified', () => {
    const r = feed(protocol(10), ['book-1.json', 'book-2.json']);
    expect(r.dead).toEqual([]);
    expect(r.sent).toEqual([]); // no resubscribe: both checksums matched
    expect(r.events.map((e) => e.type)).toEqual(['status', 'book', 'quote', 'book', 'quote']);
    const after = r.events[3]!;
    if (after.type !== 'book') throw new Error('expected book');
    expect(after.bids[9]).toEqual(['0.5657', '1098.39475580']);
    expect(after.bids[0]).toEqual(['0.5666', '4831.75496356']);
  });

  it('book-2 alone (no snapshot) is dead-lettered out_of_sequence', () => {
    const r = feed(protocol(10), ['book-2.json']);
    expect(r.events).toEqual([]);
    expect(r.dead).toEqual([{ reason: 'out_of_sequence', detail: 'book update for MATIC/USD before any snapshot' }]);
  });

  it('book events carry bookDepth levels while the book keeps the subscribed depth', () => {
    const r = feed(protocol(3), ['book-1.json', 'book-2.json']);
    const last = r.events.filter((e) => e.type === 'book').at(-1)!;
    if (last.type !== 'book') throw new Error('expected book');
    expect(last.bids).toEqual([
      ['0.5666', '4831.75496356'],
      ['0.5665', '6658.22734739'],
      ['0.5664', '18724.91513344'],
    ]);
    expect(last.asks.map((l) => l[0])).toEqual(['0.5668', '0.5669', '0.5670']);
  });

  it('trade-1 (snapshot) and trade-2 (update): taker side, exact price/qty, µs timestamps, ids', () => {
    const r = feed(protocol(), ['trade-1.json', 'trade-2.json'], 9);
    expect(r.dead).toEqual([]);
    expect(r.events).toEqual([
      {
        type: 'trade',
        venue: 'kraken',
        instrument: 'kraken:MATIC/USD',
        exchTs: Date.UTC(2023, 8, 25, 7, 48, 36, 925) + 0.533,
        recvTs: 9,
        price: '0.5147',
        size: '6423.46326000',
        side: 'buy',
        tradeId: '4665846',
      },
      {
        type: 'trade',
        venue: 'kraken',
        instrument: 'kraken:MATIC/USD',
        exchTs: Date.UTC(2023, 8, 25, 7, 49, 36, 925) + 0.603,
        recvTs: 9,
        price: '0.5147',
        size: '1136.19677815',
        side: 'buy',
        tradeId: '4665847',
      },
      {
        type: 'trade',
        venue: 'kraken',
        instrument: 'kraken:MATIC/USD',
        exchTs: Date.UTC(2023, 8, 25, 7, 49, 37, 708) + 0.706,
        recvTs: 9,
        price: '0.5117',
        size: '40.00000000',
        side: 'sell',
        tradeId: '4665906',
      },
    ]);
  });

  it('ticker-1 / ticker-2 -> quotes (ALGO/USD, outside the registry: tokens kept as sent)', () => {
    const r = feed(protocol(), ['ticker-1.json', 'ticker-2.json'], 3);
    expect(r.dead).toEqual([]);
    const exchTs = Date.UTC(2023, 8, 25, 9, 4, 31, 742) + 0.648;
    expect(r.events).toEqual([
      { type: 'quote', venue: 'kraken', instrument: 'kraken:ALGO/USD', exchTs, recvTs: 3, bid: '0.10025', bidSize: '740.0', ask: '0.10036', askSize: '1361.44813783' },
      { type: 'quote', venue: 'kraken', instrument: 'kraken:ALGO/USD', exchTs, recvTs: 3, bid: '0.10025', bidSize: '740.0', ask: '0.10035', askSize: '740.0' },
    ]);
  });

  it('control frames: heartbeat, pong and subscribe acks produce nothing and no dead letter', () => {
    for (const f of ['heartbeat-1.json', 'pong-1.json', 'subscribe-ack-1.json', 'subscribe-ack-2.json']) {
      const r = feed(protocol(), [f]);
      expect({ f, events: r.events, dead: r.dead, sent: r.sent }).toEqual({ f, events: [], dead: [], sent: [] });
    }
    const symbols = new KrakenSymbols(registry);
    expect(parseKrakenFrame(fixture('subscribe-ack-2.json'), 0, symbols)).toEqual({ kind: 'ack', method: 'subscribe', channel: 'book', symbol: 'MATIC/USD' });
    expect(parseKrakenFrame(fixture('pong-1.json'), 0, symbols)).toEqual({ kind: 'pong' });
    expect(parseKrakenFrame(fixture('heartbeat-1.json'), 0, symbols)).toEqual({ kind: 'heartbeat' });
  });

  it('client request fixtures are not venue answers: dead-lettered unknown_message', () => {
    for (const f of ['ping-request-1.json', 'subscribe-request-1.json', 'subscribe-request-2.json']) {
      const r = feed(protocol(), [f]);
      expect(r.events).toEqual([]);
      expect(r.dead.map((d) => d.reason)).toEqual(['unknown_message']);
    }
  });

  it('the checksum test vector file is not a wire message: unknown_message', () => {
    const r = feed(protocol(), ['book-checksum-testvector-1.json']);
    expect(r.dead.map((d) => d.reason)).toEqual(['unknown_message']);
  });

  it('venue errors and the status channel', () => {
    const r = new Recorder();
    const p = protocol();
    p.onMessage('{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,"symbol":"XBT/USD","time_in":"2018-11-12T21:14:59.545897Z","time_out":"2018-11-12T21:14:59.545901Z"}', 1, r);
    expect(r.dead).toEqual([{ reason: 'venue_error', detail: 'Currency pair not supported XBT/USD (XBT/USD)' }]);
    p.onMessage('{"channel":"status","data":[{"api_version":"v2","connection_id":13834774380200032777,"system":"online","version":"2.0.0"}],"type":"update"}', 1, r);
    expect(r.events).toEqual([]);
    expect(r.dead).toHaveLength(1);
  });
});

describe('kraken fixture folder coverage', () => {
  /** Outcome of each file fed alone to a fresh protocol; the detailed values are asserted above. */
  const EXPECTED: Record<string, 'events' | 'control' | 'client-request' | 'test-vector' | 'needs-snapshot'> = {
    'book-1.json': 'events',
    'book-2.json': 'needs-snapshot',
    'book-checksum-testvector-1.json': 'test-vector',
    'heartbeat-1.json': 'control',
    'ping-request-1.json': 'client-request',
    'pong-1.json': 'control',
    'subscribe-ack-1.json': 'control',
    'subscribe-ack-2.json': 'control',
    'subscribe-request-1.json': 'client-request',
    'subscribe-request-2.json': 'client-request',
    'ticker-1.json': 'events',
    'ticker-2.json': 'events',
    'trade-1.json': 'events',
    'trade-2.json': 'events',
  };

  it('every file in fixtures/kraken is classified and handled as expected', () => {
    expect(fixtureNames('kraken')).toEqual(Object.keys(EXPECTED).sort());
    for (const [f, outcome] of Object.entries(EXPECTED)) {
      const r = feed(protocol(), [f]);
      const dead = r.dead.map((d) => d.reason);
      const got = r.events.length > 0 && dead.length === 0 ? 'events' : dead.length === 0 ? 'control' : dead[0] === 'out_of_sequence' ? 'needs-snapshot' : 'refused';
      const want = outcome === 'client-request' || outcome === 'test-vector' ? 'refused' : outcome;
      expect({ f, got }).toEqual({ f, got: want });
    }
  });
});

describe('kraken checksum', () => {
  it('reproduces the guide vector 3310070434 from the test-vector file', () => {
    const v = JSON.parse(fixture('book-checksum-testvector-1.json')) as {
      bids: { price: string; qty: string }[];
      asks: { price: string; qty: string }[];
      asksString: string;
      bidsString: string;
      expectedChecksum: number;
    };
    const asks: Level[] = v.asks.map((l) => [l.price, l.qty]);
    const bids: Level[] = v.bids.map((l) => [l.price, l.qty]);
    const precision = { price: 1, qty: 8 };
    expect(krakenChecksumOfLevels(asks, bids, precision)).toBe(3310070434);
    expect(v.expectedChecksum).toBe(3310070434);
    const book = new L2Book();
    book.loadSnapshot(bids, asks);
    expect(checksumString(book, precision)).toBe(v.asksString + v.bidsString);
    expect(krakenChecksum(book, precision)).toBe(3310070434);
  });

  it('book-1 reproduces 2439117997 only with price 4 dp / qty 8 dp', () => {
    const frame = parseKrakenFrame(fixture('book-1.json'), 0, new KrakenSymbols(registry));
    if (frame.kind !== 'book') throw new Error(frame.kind);
    const m = frame.books[0]!;
    const book = new L2Book();
    book.loadSnapshot(m.bids, m.asks);
    expect(m.checksum).toBe(2439117997);
    expect(krakenChecksum(book, { price: 4, qty: 8 })).toBe(2439117997);
    expect(krakenChecksum(book, { price: 5, qty: 8 })).not.toBe(2439117997);
    expect(krakenChecksum(book, { price: 4, qty: 7 })).not.toBe(2439117997);
  });

  it('book-1 + book-2 reproduces 2114181697', () => {
    const symbols = new KrakenSymbols(registry, new Map(Object.entries(MATIC)));
    const snap = parseKrakenFrame(fixture('book-1.json'), 0, symbols);
    const upd = parseKrakenFrame(fixture('book-2.json'), 0, symbols);
    if (snap.kind !== 'book' || upd.kind !== 'book') throw new Error('expected book frames');
    const book = new L2Book();
    book.loadSnapshot(snap.books[0]!.bids, snap.books[0]!.asks);
    for (const [p, q] of upd.books[0]!.bids) book.set('bid', p, q);
    book.truncate('bid', 10);
    expect(upd.books[0]!.checksum).toBe(2114181697);
    expect(krakenChecksum(book, { price: 4, qty: 8 })).toBe(2114181697);
  });

  it('the allocation-free CRC equals zlib over the documented string, for padded and unpadded values', () => {
    const decimalText = fc
      .tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 99999999 }))
      .map(([i, fd, f]) => (fd === 0 ? String(i) : `${i}.${String(f).padStart(8, '0').slice(0, fd)}`));
    fc.assert(
      fc.property(fc.array(fc.tuple(decimalText, decimalText), { maxLength: 14 }), fc.array(fc.tuple(decimalText, decimalText), { maxLength: 14 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), (bids, asks, pd, qd) => {
        const book = new L2Book();
        book.loadSnapshot(bids, asks.map(([p, q]) => [String(Number(p) + 100000), q] as const));
        const precision = { price: pd, qty: qd };
        expect(krakenChecksum(book, precision)).toBe(krakenChecksumReference(book, precision));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('discovers MATIC/USD precision (4, 8) from the snapshot checksum when none is configured', () => {
    const p = createKrakenProtocol({ registry, bookDepth: 10 });
    const r = new Recorder();
    p.onMessage(fixture('book-1.json'), 1, r);
    p.onMessage(fixture('book-2.json'), 2, r);
    expect(r.dead).toEqual([]);
    expect(r.sent).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(['status', 'book', 'quote', 'book', 'quote']);
    const first = r.events[1]!;
    if (first.type !== 'book') throw new Error('expected book');
    expect(first.bids[6]).toEqual(['0.5660', '18097.15470000']);
  });
});

describe('kraken symbols, precision and protocol shape', () => {
  it('registry symbols resolve to their canonical id; others derive kraken:BASE/QUOTE', () => {
    const s = new KrakenSymbols(registry);
    expect(s.resolve('BTC/USD')).toMatchObject({ id: 'kraken:BTC/USD', precision: { price: 1, qty: 8 } });
    expect(s.resolve('XRP/USD')?.precision).toEqual({ price: 5, qty: 8 });
    expect(s.resolve('MATIC/USD')).toMatchObject({ id: 'kraken:MATIC/USD', instrument: undefined, precision: undefined });
    expect(deriveKrakenCanonicalId('ALGO/USD')).toBe('kraken:ALGO/USD');
    expect(deriveKrakenCanonicalId('not a pair')).toBeUndefined();
    expect(s.resolve('BTCUSD')).toBeUndefined();
  });

  it('increment -> decimals ignores trailing zeros', () => {
    expect(decimalsOfIncrement('0.1')).toBe(1);
    expect(decimalsOfIncrement('0.00000001')).toBe(8);
    expect(decimalsOfIncrement('0.50')).toBe(1);
    expect(decimalsOfIncrement('1')).toBe(0);
    expect(decimalsOfIncrement('abc')).toBeUndefined();
  });

  it('subscribes book at the smallest Kraken depth covering bookDepth, trade without snapshot', () => {
    expect(krakenSubscribedDepth(1)).toBe(10);
    expect(krakenSubscribedDepth(20)).toBe(25);
    expect(krakenSubscribedDepth(5000)).toBe(1000);
    const p = krakenProtocol({ registry, bookDepth: 20 });
    expect(p.path(registry.forFeed('kraken'))).toBe('/v2');
    const msgs = p.subscribeMessages(registry.forFeed('kraken')).map((m) => JSON.parse(m) as Record<string, unknown>);
    const symbols = ['BTC/USD', 'ETH/USD', 'SOL/USD', 'XRP/USD', 'USDT/USD', 'USDC/USD'];
    // Same shape as the documented requests (subscribe-request-1/2), plus depth and req_id.
    expect(msgs).toEqual([
      { method: 'subscribe', params: { channel: 'book', symbol: symbols, depth: 25, snapshot: true }, req_id: 1 },
      { method: 'subscribe', params: { channel: 'trade', symbol: symbols, snapshot: false }, req_id: 2 },
    ]);
    const doc = JSON.parse(fixture('subscribe-request-1.json')) as { method: string; params: { channel: string } };
    expect(Object.keys(msgs[0]!)).toEqual(expect.arrayContaining(Object.keys(doc)));
    expect(p.keepalive?.intervalMs).toBe(30_000);
    expect(JSON.parse(p.keepalive!.message())).toEqual({ method: 'ping', req_id: 3 });
  });
});
