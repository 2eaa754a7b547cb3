import { describe, expect, it } from 'vitest';
import { coinbaseProtocol, createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import { parseCoinbaseFrame } from '../../../src/feeds/coinbase/parser.js';
import { CoinbaseProducts, deriveCoinbaseCanonicalId } from '../../../src/feeds/coinbase/symbols.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import type { BookEvent, TradeEvent } from '../../../src/risk/events.js';
import { fixtureNames, fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixture = (name: string): string => sharedFixture('coinbase', name);
const iso = (s: string): number => {
  // Reference conversion independent of the parser: whole ms via Date.parse, µs digits added.
  const frac = /\.(\d+)Z$/.exec(s)?.[1] ?? '';
  return Date.parse(s) + Number(`0.${(frac.slice(3, 6) || '0').padEnd(3, '0')}`);
};

const protocol = (bookDepth = 5): VenueProtocol => createCoinbaseProtocol({ registry, bookDepth });
function feed(p: VenueProtocol, files: string[], recvTs = 7): Recorder {
  const r = new Recorder();
  for (const f of files) p.onMessage(fixture(f), recvTs, r);
  return r;
}

describe('coinbase exchange fixtures -> normalized events', () => {
  it('match: side is the maker side, normalized to the taker (opposite)', () => {
    const r = feed(protocol(), ['exchange-match-1.json', 'exchange-match-2.json']);
    expect(r.dead).toEqual([]);
    expect(r.events).toEqual([
      { type: 'trade', venue: 'coinbase', instrument: 'coinbase:BTC/USD', exchTs: iso('2014-11-07T08:19:27.028459Z'), recvTs: 7, price: '400.23', size: '5.23512', side: 'buy', tradeId: '10' },
      { type: 'trade', venue: 'coinbase', instrument: 'coinbase:SKL/BTC', exchTs: iso('2021-04-17T16:43:37.089723Z'), recvTs: 7, price: '0.00001305', size: '985', side: 'buy', tradeId: '280232' },
    ]);
    expect(r.events[0]!.exchTs).toBe(Date.UTC(2014, 10, 7, 8, 19, 27, 28) + 0.459);
  });

  it('last_match and the ticker of the same trade (881613) normalize to the same taker side', () => {
    const lastMatch = feed(protocol(), ['exchange-last_match-1.json']).events;
    const ticker = feed(protocol(), ['exchange-ticker-2.json']).events;
    const expected: TradeEvent = {
      type: 'trade',
      venue: 'coinbase',
      instrument: 'coinbase:BAND/GBP',
      exchTs: iso('2021-04-17T16:43:30.244075Z'),
      recvTs: 7,
      price: '14.7775',
      size: '0.04',
      side: 'buy',
      tradeId: '881613',
    };
    expect(lastMatch).toEqual([expected]);
    expect(ticker[0]).toEqual(expected);
    // 2021 ticker: best bid/ask without sizes -> sizes unknown (null), prices kept.
    expect(ticker[1]).toEqual({ type: 'quote', venue: 'coinbase', instrument: 'coinbase:BAND/GBP', exchTs: expected.exchTs, recvTs: 7, bid: '14.7550', bidSize: null, ask: '14.8060', askSize: null });
  });

  it('ticker-1 (2022): trade with taker side plus a full quote', () => {
    const r = feed(protocol(), ['exchange-ticker-1.json']);
    const exchTs = iso('2022-10-19T23:28:22.061769Z');
    expect(r.events).toEqual([
      { type: 'trade', venue: 'coinbase', instrument: 'coinbase:ETH/USD', exchTs, recvTs: 7, price: '1285.22', size: '11.4396987', side: 'buy', tradeId: '370843401' },
      { type: 'quote', venue: 'coinbase', instrument: 'coinbase:ETH/USD', exchTs, recvTs: 7, bid: '1285.04', bidSize: '0.46688654', ask: '1285.27', askSize: '1.56637040' },
    ]);
  });

  it('level2 snapshot-1 then l2update-1 and l2update-2 (sizes absolute, 0 deletes, absent deletes tolerated)', () => {
    const r = feed(protocol(5), ['exchange-level2-snapshot-1.json', 'exchange-l2update-1.json', 'exchange-l2update-2.json']);
    expect(r.dead).toEqual([]);
    expect(r.events.map((e) => e.type)).toEqual(['status', 'book', 'quote', 'book', 'quote', 'book', 'quote']);
    expect(r.events[0]).toMatchObject({ type: 'status', instrument: 'coinbase:BTC/USD', status: 'ok', exchTs: 0 });
    const books = r.events.filter((e): e is BookEvent => e.type === 'book');
    expect(books[0]).toMatchObject({ exchTs: 0, bids: [['10101.10', '0.45054140']], asks: [['10102.55', '0.57753524']] });
    expect(books[1]).toMatchObject({
      exchTs: iso('2019-08-14T20:42:27.265Z'),
      bids: [
        ['10101.80000000', '0.162567'],
        ['10101.10', '0.45054140'],
      ],
    });
    // 22356.27 was never in the book (delete tolerated); 22356.3 is added.
    expect(books[2]!.bids).toEqual([
      ['22356.300000', '1.00000000'],
      ['10101.80000000', '0.162567'],
      ['10101.10', '0.45054140'],
    ]);
    expect(books[2]!.exchTs).toBe(iso('2022-08-04T15:25:05.010758Z'));
  });

  it('real SKL-GBP snapshot (unsorted-safe, full book): top levels and quote', () => {
    const r = feed(protocol(3), ['exchange-level2-snapshot-2.json']);
    const book = r.events.find((e): e is BookEvent => e.type === 'book')!;
    expect(book.instrument).toBe('coinbase:SKL/GBP');
    expect(book.bids).toEqual([
      ['0.5742', '1029.5'],
      ['0.5741', '1268.2'],
      ['0.5733', '511.0'],
    ]);
    expect(book.asks).toEqual([
      ['0.5762', '2865.9'],
      ['0.5767', '6327.2'],
      ['0.5771', '150.0'],
    ]);
    expect(r.events.find((e) => e.type === 'quote')).toMatchObject({ bid: '0.5742', bidSize: '1029.5', ask: '0.5762', askSize: '2865.9' });
  });

  it('l2update without a prior snapshot is out_of_sequence', () => {
    const r = feed(protocol(), ['exchange-l2update-1.json']);
    expect(r.events).toEqual([]);
    expect(r.dead).toEqual([{ reason: 'out_of_sequence', detail: 'book update for BTC-USD before any snapshot' }]);
  });

  it('control frames: heartbeat and subscriptions produce nothing', () => {
    for (const f of ['exchange-heartbeat-1.json', 'exchange-subscriptions-1.json', 'exchange-subscriptions-2.json']) {
      const r = feed(protocol(), [f]);
      expect({ f, events: r.events, dead: r.dead }).toEqual({ f, events: [], dead: [] });
    }
  });

  it('client subscribe requests are not venue messages: unknown_message', () => {
    for (const f of ['exchange-subscribe-request-1.json', 'exchange-subscribe-request-2.json', 'advanced-subscribe-request-1.json', 'advanced-subscribe-request-2.json']) {
      expect(feed(protocol(), [f]).dead.map((d) => d.reason)).toEqual(['unknown_message']);
    }
  });

  it('error frames are venue_error', () => {
    const r = new Recorder();
    protocol().onMessage('{"type":"error","message":"Failed to subscribe","reason":"BTC-USDX is not a valid product"}', 1, r);
    expect(r.dead).toEqual([{ reason: 'venue_error', detail: 'Failed to subscribe: BTC-USDX is not a valid product' }]);
  });

  it('a decimal sent as a JSON number is re-read exactly from the raw text', () => {
    const r = new Recorder();
    protocol().onMessage('{"type":"match","trade_id":5,"side":"sell","size":0.10000000,"price":400.230,"product_id":"BTC-USD","sequence":50,"time":"2014-11-07T08:19:27.028459Z"}', 1, r);
    expect(r.dead).toEqual([]);
    expect(r.events[0]).toMatchObject({ price: '400.230', size: '0.10000000', side: 'buy', tradeId: '5' });
  });
});

describe('coinbase advanced trade fixtures -> normalized events', () => {
  it('l2_data snapshots: unsorted, interleaved levels sorted; epoch event_time falls back to the envelope timestamp', () => {
    const r1 = feed(protocol(5), ['advanced-l2_data-1.json']);
    expect(r1.dead).toEqual([]);
    const b1 = r1.events.find((e): e is BookEvent => e.type === 'book')!;
    expect(b1).toMatchObject({ instrument: 'coinbase:BTC/USD', exchTs: iso('2023-02-09T20:32:50.714964855Z'), seq: '0', asks: [] });
    expect(b1.bids).toEqual([
      ['21921.73', '0.06317902'],
      ['21921.3', '0.02'],
    ]);
    const r2 = feed(protocol(5), ['advanced-l2_data-2.json']);
    const b2 = r2.events.find((e): e is BookEvent => e.type === 'book')!;
    expect(b2.instrument).toBe('coinbase:BTC/USDC:USDC');
    expect(b2.exchTs).toBe(iso('2026-09-07T01:57:58.894355Z'));
    expect(b2.bids).toEqual([
      ['79943.9', '3.0105'],
      ['79943.8', '0.5'],
    ]);
    expect(b2.asks).toEqual([
      ['79944', '0.048'],
      ['79944.1', '1.2'],
    ]);
    expect(r2.events.find((e) => e.type === 'quote')).toMatchObject({ bid: '79943.9', bidSize: '3.0105', ask: '79944', askSize: '0.048' });
  });

  it('market_trades: side is the maker side -> taker opposite; string trade ids kept', () => {
    expect(feed(protocol(), ['advanced-market_trades-1.json']).events).toEqual([
      { type: 'trade', venue: 'coinbase', instrument: 'coinbase:ETH/USD', exchTs: iso('2019-08-14T20:42:27.265Z'), recvTs: 7, price: '1260.01', size: '0.3', side: 'sell', tradeId: '000000000' },
    ]);
    expect(feed(protocol(), ['advanced-market_trades-2.json']).events).toEqual([
      { type: 'trade', venue: 'coinbase', instrument: 'coinbase:BTC/USD', exchTs: iso('2025-10-27T16:44:39.600153Z'), recvTs: 7, price: '115445.28', size: '0.00015604', side: 'sell', tradeId: '892262231' },
    ]);
  });

  it('ticker -> quote with quantities; ticker_batch without best bid/ask -> nothing to normalize', () => {
    expect(feed(protocol(), ['advanced-ticker-1.json']).events).toEqual([
      { type: 'quote', venue: 'coinbase', instrument: 'coinbase:BTC/USD', exchTs: iso('2023-02-09T20:30:37.167359596Z'), recvTs: 7, bid: '21931.98', bidSize: '8000.21', ask: '21933.98', askSize: '8038.07770938' },
    ]);
    const batch = feed(protocol(), ['advanced-ticker_batch-1.json']);
    expect(batch.events).toEqual([]);
    expect(batch.dead).toEqual([]);
  });

  it('heartbeats (counter as string or number) and subscriptions are control frames', () => {
    for (const f of ['advanced-heartbeats-1.json', 'advanced-heartbeats-2.json', 'advanced-subscriptions-1.json', 'advanced-subscriptions-2.json']) {
      const r = feed(protocol(), [f]);
      expect({ f, events: r.events, dead: r.dead }).toEqual({ f, events: [], dead: [] });
    }
    const products = new CoinbaseProducts(registry);
    expect(parseCoinbaseFrame(fixture('advanced-heartbeats-2.json'), 0, products)).toEqual({ kind: 'advanced', seq: 3, channel: 'heartbeats', body: { kind: 'control' } });
  });

  it('the live subscriptions(1,2) -> heartbeats(3) sequence passes the per-connection sequence check', () => {
    const r = feed(protocol(), ['advanced-subscriptions-1.json', 'advanced-subscriptions-2.json', 'advanced-heartbeats-2.json']);
    expect(r.dead).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.sent).toEqual([]);
  });

  it('error frame (authentication failure) is venue_error', () => {
    expect(feed(protocol(), ['advanced-error-1.json']).dead).toEqual([{ reason: 'venue_error', detail: 'authentication failure' }]);
  });
});

describe('coinbase fixture folder coverage', () => {
  /** Outcome of each file fed alone to a fresh protocol; the detailed values are asserted above. */
  const EXPECTED: Record<string, 'events' | 'control' | 'venue-error' | 'client-request' | 'needs-snapshot'> = {
    'advanced-error-1.json': 'venue-error',
    'advanced-heartbeats-1.json': 'control',
    'advanced-heartbeats-2.json': 'control',
    'advanced-l2_data-1.json': 'events',
    'advanced-l2_data-2.json': 'events',
    'advanced-market_trades-1.json': 'events',
    'advanced-market_trades-2.json': 'events',
    'advanced-subscribe-request-1.json': 'client-request',
    'advanced-subscribe-request-2.json': 'client-request',
    'advanced-subscriptions-1.json': 'control',
    'advanced-subscriptions-2.json': 'control',
    'advanced-ticker-1.json': 'events',
    'advanced-ticker_batch-1.json': 'control', // no best bid/ask: nothing to normalize
    'exchange-heartbeat-1.json': 'control',
    'exchange-l2update-1.json': 'needs-snapshot',
    'exchange-l2update-2.json': 'needs-snapshot',
    'exchange-last_match-1.json': 'events',
    'exchange-level2-snapshot-1.json': 'events',
    'exchange-level2-snapshot-2.json': 'events',
    'exchange-match-1.json': 'events',
    'exchange-match-2.json': 'events',
    'exchange-subscribe-request-1.json': 'client-request',
    'exchange-subscribe-request-2.json': 'client-request',
    'exchange-subscriptions-1.json': 'control',
    'exchange-subscriptions-2.json': 'control',
    'exchange-ticker-1.json': 'events',
    'exchange-ticker-2.json': 'events',
  };

  it('every file in fixtures/coinbase is classified and handled as expected', () => {
    expect(fixtureNames('coinbase')).toEqual(Object.keys(EXPECTED).sort());
    for (const [f, outcome] of Object.entries(EXPECTED)) {
      const r = feed(protocol(), [f]);
      const dead = r.dead.map((d) => d.reason);
      const got =
        r.events.length > 0 && dead.length === 0
          ? 'events'
          : dead.length === 0
            ? 'control'
            : dead[0] === 'out_of_sequence'
              ? 'needs-snapshot'
              : dead[0] === 'venue_error'
                ? 'venue-error'
                : 'client-request';
      expect({ f, got, dead: dead.length <= 1 }).toEqual({ f, got: outcome, dead: true });
    }
  });
});

describe('coinbase products and subscribe messages', () => {
  it('derives canonical ids for spot and INTX perpetuals; refuses other shapes', () => {
    expect(deriveCoinbaseCanonicalId('BAND-GBP')).toBe('coinbase:BAND/GBP');
    expect(deriveCoinbaseCanonicalId('BTC-PERP-INTX')).toBe('coinbase:BTC/USDC:USDC');
    expect(deriveCoinbaseCanonicalId('BIT-30AUG24-CDE')).toBeUndefined();
    const r = new Recorder();
    protocol().onMessage('{"type":"match","trade_id":1,"side":"buy","size":"1","price":"1","product_id":"BIT-30AUG24-CDE","time":"2024-01-01T00:00:00Z"}', 1, r);
    expect(r.dead.map((d) => d.reason)).toEqual(['unknown_symbol']);
    expect(new CoinbaseProducts(registry).resolve('BTC-USD')?.instrument?.id).toBe('coinbase:BTC/USD');
  });

  it('exchange: one subscribe with level2_batch, matches and heartbeat (shape of the documented request)', () => {
    const p = coinbaseProtocol({ registry, bookDepth: 10 });
    expect(p.path(registry.forFeed('coinbase'))).toBe('');
    expect(p.keepalive).toBeUndefined();
    const ids = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD', 'DOGE-USD', 'USDT-USD'];
    expect(p.subscribeMessages(registry.forFeed('coinbase')).map((m) => JSON.parse(m) as unknown)).toEqual([
      { type: 'subscribe', product_ids: ids, channels: ['level2_batch', 'matches', 'heartbeat'] },
    ]);
    const doc = JSON.parse(fixture('exchange-subscribe-request-2.json')) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['type', 'product_ids', 'channels']);
  });

  it('advanced: one subscribe per channel (shape of the documented request)', () => {
    const p = createCoinbaseProtocol({ registry, bookDepth: 10, api: 'advanced' });
    const msgs = p.subscribeMessages(registry.forFeed('coinbase').slice(0, 2)).map((m) => JSON.parse(m) as unknown);
    expect(msgs).toEqual([
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'level2' },
      { type: 'subscribe', product_ids: ['BTC-USD', 'ETH-USD'], channel: 'market_trades' },
      { type: 'subscribe', channel: 'heartbeats' },
    ]);
    expect(msgs[0]).toEqual({ ...(JSON.parse(fixture('advanced-subscribe-request-1.json')) as object), product_ids: ['BTC-USD', 'ETH-USD'] });
  });
});
