/**
 * OKX: every fixture in test/fixtures/venues/okx, parsed to asserted values (or recognised as a
 * control frame / venue error / client request), the legacy checksum vectors, symbol derivation.
 */
import { describe, expect, it } from 'vitest';
import { L2Book } from '../../../src/feeds/book.js';
import { okxBookChecksum, okxChecksum, okxChecksumString } from '../../../src/feeds/okx/checksum.js';
import { OkxParser, type OkxFrame } from '../../../src/feeds/okx/parser.js';
import { OkxProtocol } from '../../../src/feeds/okx/protocol.js';
import { deriveOkxCanonicalId } from '../../../src/feeds/okx/symbols.js';
import type { Level, MarketEvent } from '../../../src/risk/events.js';
import { fixtureNames, fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const RECV = 1_700_000_000_123;

const fixture = (name: string): string => sharedFixture('okx', name);

function parse(name: string): OkxFrame {
  return new OkxParser({ registry, bookDepth: 10 }).parse(fixture(name), RECV);
}

function dataEvents(frame: OkxFrame): MarketEvent[] {
  if (frame.kind !== 'data') throw new Error(`expected data, got ${JSON.stringify(frame)}`);
  return frame.events;
}

const BOOKS_1_BIDS: Level[] = [
  ['8476.97', '256'],
  ['8475.55', '101'],
  ['8475.54', '100'],
  ['8475.3', '1'],
  ['8447.32', '6'],
  ['8447.02', '246'],
  ['8446.83', '24'],
  ['8446', '95'],
];
const BOOKS_1_ASKS: Level[] = [
  ['8476.98', '415'],
  ['8477', '7'],
  ['8477.34', '85'],
  ['8477.56', '1'],
  ['8505.84', '8'],
  ['8506.37', '85'],
  ['8506.49', '2'],
  ['8506.96', '100'],
];

describe('OKX fixtures', () => {
  it('covers every fixture file in the folder', () => {
    const covered = new Set([
      'bbo-tbt-1.json', 'bbo-tbt-2.json', 'books-1.json', 'books-2.json', 'books-checksum-testvector-1.json',
      'books-checksum-testvector-2.json', 'books5-1.json', 'funding-rate-1.json', 'funding-rate-2.json', 'mark-price-1.json',
      'mark-price-2.json', 'ping-1.txt', 'pong-1.txt', 'subscribe-error-1.json', 'subscribe-request-1.json',
      'subscribe-request-2.json', 'subscribe-response-1.json', 'subscribe-response-2.json', 'tickers-1.json', 'tickers-2.json',
      'trades-1.json', 'trades-2.json',
    ]);
    expect(fixtureNames('okx')).toEqual([...covered].sort());
  });

  it('trades-1 (current shape, count/source/seqId): taker side, exact strings, spot base units', () => {
    expect(dataEvents(parse('trades-1.json'))).toEqual([
      { type: 'trade', venue: 'okx', instrument: 'okx:BTC/USDT', exchTs: 1630048897897, recvTs: RECV, price: '42219.9', size: '0.12060306', side: 'buy', tradeId: '130639474' },
    ]);
  });

  it('trades-2 (2022, no count/source/seqId): a dated inverse future, size in contracts', () => {
    expect(dataEvents(parse('trades-2.json'))).toEqual([
      { type: 'trade', venue: 'okx', instrument: 'okx:BTC/USD:BTC-220527', exchTs: 1652459199958, recvTs: RECV, price: '30218.8', size: '1', side: 'buy', tradeId: '7849' },
    ]);
  });

  it('tickers-1/2 -> quote (best bid/ask with sizes)', () => {
    expect(dataEvents(parse('tickers-1.json'))).toEqual([
      { type: 'quote', venue: 'okx', instrument: 'okx:BTC/USDT', exchTs: 1597026383085, recvTs: RECV, bid: '8888.88', bidSize: '5', ask: '9999.99', askSize: '11' },
    ]);
    expect(dataEvents(parse('tickers-2.json'))).toEqual([
      { type: 'quote', venue: 'okx', instrument: 'okx:BTC/USD:BTC-220527', exchTs: 1652459223003, recvTs: RECV, bid: '30210.4', bidSize: '4', ask: '30220.1', askSize: '3' },
    ]);
  });

  it('mark-price-1/2 -> mark with markPrice only', () => {
    expect(dataEvents(parse('mark-price-1.json'))).toEqual([
      { type: 'mark', venue: 'okx', instrument: 'okx:LTC/USD:LTC-190628', exchTs: 1597026383085, recvTs: RECV, markPrice: '0.1' },
    ]);
    expect(dataEvents(parse('mark-price-2.json'))).toEqual([
      { type: 'mark', venue: 'okx', instrument: 'okx:WNCG/USDT:USDT', exchTs: 1640131259180, recvTs: RECV, markPrice: '2.1729' },
    ]);
  });

  it('funding-rate-1: rate per interval, next funding = fundingTime, interval = nextFundingTime - fundingTime (8 h)', () => {
    const parser = new OkxParser({ registry, bookDepth: 10 });
    const frame = parser.parse(fixture('funding-rate-1.json'), RECV);
    expect(dataEvents(frame)).toEqual([
      {
        type: 'mark',
        venue: 'okx',
        instrument: 'okx:BTC/USD:BTC',
        exchTs: 1700724675402,
        recvTs: RECV,
        fundingRate: '0.0001875391284828',
        nextFundingTs: 1700726400000,
      },
    ]);
    expect(parser.fundingIntervalMs('BTC-USD-SWAP')).toBe(8 * 3_600_000);
  });

  it('funding-rate-2 (2021 legacy: no ts, no nextFundingTime): exchTs 0, interval unknown', () => {
    const parser = new OkxParser({ registry, bookDepth: 10 });
    expect(dataEvents(parser.parse(fixture('funding-rate-2.json'), RECV))).toEqual([
      { type: 'mark', venue: 'okx', instrument: 'okx:WNCG/USDT:USDT', exchTs: 0, recvTs: RECV, fundingRate: '0.00048105', nextFundingTs: 1640131200000 },
    ]);
    expect(parser.fundingIntervalMs('WNCG-USDT-SWAP')).toBeUndefined();
  });

  it('a 2021 funding push without fundingRate or fundingTime is recognised and emits nothing', () => {
    const raw = '{"arg":{"channel":"funding-rate","instId":"BTC-USD-SWAP"},"data":[{"instId":"BTC-USD-SWAP","instType":"SWAP","nextFundingRate":"0.0001"}]}';
    expect(new OkxParser({ registry, bookDepth: 10 }).parse(raw, RECV)).toEqual({ kind: 'data', events: [], books: [] });
  });

  it('bbo-tbt-1/2 (with and without seqId) -> quote', () => {
    expect(dataEvents(parse('bbo-tbt-1.json'))).toEqual([
      { type: 'quote', venue: 'okx', instrument: 'okx:BCH/USDT:USDT', exchTs: 1670324386802, recvTs: RECV, bid: '111.05', bidSize: '57745', ask: '111.06', askSize: '55154' },
    ]);
    expect(dataEvents(parse('bbo-tbt-2.json'))).toEqual([
      { type: 'quote', venue: 'okx', instrument: 'okx:BTC/USDT:USDT', exchTs: 1651761120004, recvTs: RECV, bid: '38632.3', bidSize: '990', ask: '38632.4', askSize: '727' },
    ]);
  });

  it('books5-1 -> book (5 levels, a full snapshot each push) + quote', () => {
    const events = dataEvents(parse('books5-1.json'));
    expect(events).toEqual([
      {
        type: 'book',
        venue: 'okx',
        instrument: 'okx:BCH/USDT:USDT',
        exchTs: 1670324386802,
        recvTs: RECV,
        bids: [['111.05', '57745'], ['111.04', '57109'], ['111.03', '69563'], ['111.02', '71248'], ['111.01', '65090']],
        asks: [['111.06', '55154'], ['111.07', '53276'], ['111.08', '72435'], ['111.09', '70312'], ['111.1', '67272']],
        seq: '363996337',
      },
      { type: 'quote', venue: 'okx', instrument: 'okx:BCH/USDT:USDT', exchTs: 1670324386802, recvTs: RECV, bid: '111.05', bidSize: '57745', ask: '111.06', askSize: '55154' },
    ]);
  });

  it('books-1 (snapshot) is a book update with exact levels, seqId 123456, prevSeqId -1, checksum 0', () => {
    const frame = parse('books-1.json');
    expect(frame.kind === 'data' && frame.books).toEqual([
      {
        channel: 'books',
        instId: 'BTC-USDT',
        instrument: 'okx:BTC/USDT',
        snapshot: true,
        bids: BOOKS_1_BIDS,
        asks: BOOKS_1_ASKS,
        exchTs: 1597026383085,
        recvTs: RECV,
        seqId: 123456,
        prevSeqId: -1,
        checksum: 0,
      },
    ]);
  });

  it('books-1 then books-2 through the protocol: ok, book + quote twice, the update leaves the book unchanged', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 3 });
    const io = new Recorder({ forbidSnapshots: 'OKX never asks for a REST snapshot' });
    protocol.onMessage(fixture('books-1.json'), RECV, io);
    protocol.onMessage(fixture('books-2.json'), RECV + 1, io);
    const book = (recvTs: number, seq: string): MarketEvent => ({
      type: 'book',
      venue: 'okx',
      instrument: 'okx:BTC/USDT',
      exchTs: 1597026383085,
      recvTs,
      bids: BOOKS_1_BIDS.slice(0, 3),
      asks: BOOKS_1_ASKS.slice(0, 3),
      seq,
    });
    const quote = (recvTs: number): MarketEvent => ({
      type: 'quote',
      venue: 'okx',
      instrument: 'okx:BTC/USDT',
      exchTs: 1597026383085,
      recvTs,
      bid: '8476.97',
      bidSize: '256',
      ask: '8476.98',
      askSize: '415',
    });
    expect(io.events).toEqual([
      { type: 'status', venue: 'okx', instrument: 'okx:BTC/USDT', exchTs: 1597026383085, recvTs: RECV, status: 'ok', reason: 'snapshot' },
      book(RECV, '123456'),
      quote(RECV),
      book(RECV + 1, '123457'),
      quote(RECV + 1),
    ]);
    expect(io.dead).toEqual([]);
    expect(io.sent).toEqual([]);
  });

  it('ping-1 / pong-1: the text keepalive frames (not JSON) are control frames', () => {
    expect(fixture('pong-1.txt')).toBe('pong');
    expect(parse('pong-1.txt')).toEqual({ kind: 'control', control: 'pong' });
    expect(parse('ping-1.txt')).toEqual({ kind: 'control', control: 'ping' });
    const protocol = new OkxProtocol({ registry, bookDepth: 5 });
    const io = new Recorder({ forbidSnapshots: 'OKX never asks for a REST snapshot' });
    protocol.onMessage('pong', RECV, io);
    expect(io.events).toEqual([]);
    expect(io.dead).toEqual([]);
    expect(protocol.keepalive.message()).toBe(fixture('ping-1.txt'));
    expect(protocol.keepalive.intervalMs).toBeLessThan(30_000);
  });

  it('subscribe-response-1/2: one ack per arg, with or without id/connId', () => {
    expect(parse('subscribe-response-1.json')).toEqual({ kind: 'control', control: 'subscribe', channel: 'books', instId: 'BTC-USDT' });
    expect(parse('subscribe-response-2.json')).toEqual({ kind: 'control', control: 'subscribe', channel: 'tickers', instId: 'BTC-USD-220527' });
  });

  it('subscribe-error-1: string code -> venue_error dead letter', () => {
    const frame = parse('subscribe-error-1.json');
    expect(frame.kind).toBe('venue_error');
    expect(frame.kind === 'venue_error' && frame.detail.startsWith('code 60012: Invalid request')).toBe(true);
    const io = new Recorder({ forbidSnapshots: 'OKX never asks for a REST snapshot' });
    new OkxProtocol({ registry, bookDepth: 5 }).onMessage(fixture('subscribe-error-1.json'), RECV, io);
    expect(io.dead.map((l) => l.reason)).toEqual(['venue_error']);
  });

  it('subscribe-request-1/2 are client requests: the parser refuses them, the protocol sends the same shape', () => {
    expect(parse('subscribe-request-2.json')).toEqual({ kind: 'dead', reason: 'unknown_message', detail: 'neither an event nor an {arg, data} push' });
    const protocol = new OkxProtocol({ registry, bookDepth: 5 });
    const frames = protocol.subscribeMessages(registry.forFeed('okx')).map((f) => JSON.parse(f) as { op: string; args: unknown[] });
    const request2 = JSON.parse(fixture('subscribe-request-2.json')) as { op: string; args: { channel: string; instId: string }[] };
    expect(Object.keys(frames[0]!).sort()).toEqual(Object.keys(request2).sort());
    expect(frames[0]!.op).toBe(request2.op);
    const args = frames.flatMap((f) => f.args) as { channel: string; instId: string }[];
    for (const arg of args) expect(Object.keys(arg).sort()).toEqual(['channel', 'instId']);
    // Spot: books + trades; swaps add mark-price + funding-rate; futures add mark-price.
    expect(args.filter((a) => a.instId === 'BTC-USDT').map((a) => a.channel)).toEqual(['books', 'trades']);
    expect(args.filter((a) => a.instId === 'BTC-USD-SWAP').map((a) => a.channel)).toEqual(['books', 'trades', 'mark-price', 'funding-rate']);
    expect(args.filter((a) => a.instId === 'BTC-USDT-261225').map((a) => a.channel)).toEqual(['books', 'trades', 'mark-price']);
    expect(args).toHaveLength(2 * 2 + 5 * 4 + 2 * 3);
    expect(protocol.path()).toBe('/ws/v5/public');
  });

  it('notice 64008 (service upgrade) asks the session to reconnect', () => {
    const io = new Recorder({ forbidSnapshots: 'OKX never asks for a REST snapshot' });
    new OkxProtocol({ registry, bookDepth: 5 }).onMessage(
      '{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}',
      RECV,
      io,
    );
    expect(io.reconnects).toEqual(['okx notice 64008: The connection will soon be closed for a service upgrade. Please reconnect.']);
    expect(io.dead).toEqual([]);
  });
});

describe('OKX legacy checksum', () => {
  for (const n of [1, 2]) {
    it(`reproduces test vector ${n} (check string and signed CRC32), from arrays and from an L2Book`, () => {
      const vector = JSON.parse(fixture(`books-checksum-testvector-${n}.json`)) as {
        bids: string[][];
        asks: string[][];
        checkString: string;
        expectedChecksum: number;
      };
      const bids = vector.bids.map((l): Level => [l[0]!, l[1]!]);
      const asks = vector.asks.map((l): Level => [l[0]!, l[1]!]);
      expect(okxChecksumString(bids, asks)).toBe(vector.checkString);
      expect(okxChecksum(bids, asks)).toBe(vector.expectedChecksum);
      const book = new L2Book();
      book.loadSnapshot(bids, asks);
      expect(okxBookChecksum(book)).toBe(vector.expectedChecksum);
    });
  }

  it('the test vectors are also recognised as non-wire frames by the parser (dead letter, no throw)', () => {
    expect(parse('books-checksum-testvector-1.json').kind).toBe('dead');
  });

  it('uses only the top 25 levels per side', () => {
    const bids: Level[] = Array.from({ length: 30 }, (_, i): Level => [String(1000 - i), '1']);
    const asks: Level[] = Array.from({ length: 30 }, (_, i): Level => [String(1001 + i), '2']);
    expect(okxChecksumString(bids, asks).split(':')).toHaveLength(25 * 4);
    expect(okxChecksum(bids, asks)).toBe(okxChecksum(bids.slice(0, 25), asks.slice(0, 25)));
  });
});

describe('OKX symbols', () => {
  it('derives canonical ids for every instId shape', () => {
    expect(deriveOkxCanonicalId('BTC-USDT')).toBe('okx:BTC/USDT');
    expect(deriveOkxCanonicalId('BCH-USDT-SWAP')).toBe('okx:BCH/USDT:USDT');
    expect(deriveOkxCanonicalId('BTC-USDC-SWAP')).toBe('okx:BTC/USDC:USDC');
    expect(deriveOkxCanonicalId('BTC-USD-SWAP')).toBe('okx:BTC/USD:BTC');
    expect(deriveOkxCanonicalId('LTC-USD-190628')).toBe('okx:LTC/USD:LTC-190628');
    expect(deriveOkxCanonicalId('BTC-USDT-261225')).toBe('okx:BTC/USDT:USDT-261225');
    expect(deriveOkxCanonicalId('BTC-USD-261225-100000-C')).toBe('okx:BTC/USD:BTC-261225-100000-C');
    expect(deriveOkxCanonicalId('BTC')).toBeUndefined();
    expect(deriveOkxCanonicalId('BTC-USDT-PERP')).toBeUndefined();
    expect(deriveOkxCanonicalId('btc-usdt')).toBeUndefined();
  });

  it('agrees with the registry for every OKX instrument in config/instruments.yaml', () => {
    const okx = registry.forFeed('okx');
    expect(okx.length).toBeGreaterThan(0);
    for (const instrument of okx) expect(deriveOkxCanonicalId(instrument.spec.venueSymbol)).toBe(instrument.id);
  });

  it('a frame for a symbol with no known shape is dead-lettered unknown_symbol', () => {
    const frame = new OkxParser({ registry, bookDepth: 5 }).parse(
      '{"arg":{"channel":"trades","instId":"NOPE"},"data":[{"instId":"NOPE","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1"}]}',
      RECV,
    );
    expect(frame).toEqual({ kind: 'dead', reason: 'unknown_symbol', detail: 'instId "NOPE" has no known shape' });
  });
});

describe('OKX numbers and variants', () => {
  it('a price sent as a JSON number is taken from the raw token, exactly (trailing zero and all)', () => {
    const raw =
      '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"9","px":42219.90,"sz":1.2060306e-1,"side":"sell","ts":1630048897897}]}';
    expect(dataEvents(new OkxParser({ registry, bookDepth: 5 }).parse(raw, RECV))).toEqual([
      { type: 'trade', venue: 'okx', instrument: 'okx:BTC/USDT', exchTs: 1630048897897, recvTs: RECV, price: '42219.90', size: '0.12060306', side: 'sell', tradeId: '9' },
    ]);
  });

  it('scientific notation in a string is normalised to plain notation', () => {
    const raw = '{"arg":{"channel":"funding-rate","instId":"BTC-USD-SWAP"},"data":[{"fundingRate":"-1.5E-5","fundingTime":"1700726400000"}]}';
    const events = dataEvents(new OkxParser({ registry, bookDepth: 5 }).parse(raw, RECV));
    expect(events[0]).toMatchObject({ type: 'mark', fundingRate: '-0.000015', nextFundingTs: 1700726400000 });
  });

  it('empty bid/ask in tickers means that side is empty (null), not zero', () => {
    const raw = '{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","bidPx":"","bidSz":"","askPx":"9999.99","askSz":"11","ts":"1597026383085"}]}';
    expect(dataEvents(new OkxParser({ registry, bookDepth: 5 }).parse(raw, RECV))[0]).toMatchObject({ bid: null, bidSize: null, ask: '9999.99', askSize: '11' });
  });

  it('refuses the whole frame when one element is bad (precise detail)', () => {
    const raw =
      '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1"},{"instId":"BTC-USDT","tradeId":"2","px":"abc","sz":"1","side":"buy","ts":"1"}]}';
    expect(new OkxParser({ registry, bookDepth: 5 }).parse(raw, RECV)).toEqual({ kind: 'dead', reason: 'invalid_field', detail: 'field "px": not a decimal' });
    const negative = raw.replace('"abc"', '"-1"');
    expect(new OkxParser({ registry, bookDepth: 5 }).parse(negative, RECV)).toEqual({ kind: 'dead', reason: 'invalid_field', detail: 'field "px": negative' });
  });

  it('unknown channels and events are unknown_message; non-JSON is invalid_json', () => {
    const parser = new OkxParser({ registry, bookDepth: 5 });
    expect(parser.parse('{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[{}]}', RECV)).toEqual({
      kind: 'dead',
      reason: 'unknown_message',
      detail: 'channel "candle1m" not handled',
    });
    expect(parser.parse('{"event":"weird"}', RECV)).toMatchObject({ kind: 'dead', reason: 'unknown_message' });
    expect(parser.parse('{"arg":', RECV)).toEqual({ kind: 'dead', reason: 'invalid_json', detail: 'not JSON' });
    expect(parser.parse('', RECV)).toEqual({ kind: 'dead', reason: 'invalid_json', detail: 'empty frame' });
  });
});
