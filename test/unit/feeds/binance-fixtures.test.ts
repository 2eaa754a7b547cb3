/**
 * Every Binance fixture (shared fixtures/binance-spot, fixtures/binance-usdm) through the protocol,
 * with the normalized values asserted; the depth + REST snapshot pairs through the book sync as
 * INDEX.md describes them.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDepthSnapshot } from '../../../src/feeds/binance/json.js';
import { deriveBinanceCanonicalId } from '../../../src/feeds/binance/symbols.js';
import { FIXTURES, fixture, instrument, parseOne, protocol, Recorder } from './binance-helpers.js';

const RECV = 1_700_000_000_123;

describe('binance fixtures: every file is covered', () => {
  it('lists exactly the files this suite asserts', () => {
    expect(readdirSync(`${FIXTURES}/binance-spot`).sort()).toEqual([
      'aggTrade-1.json',
      'aggTrade-2.json',
      'bookTicker-1.json',
      'bookTicker-2.json',
      'depth-1.json',
      'depth-2.json',
      'depth-rest-snapshot-1.json',
      'depth-rest-snapshot-2.json',
      'error-1.json',
      'list-subscriptions-request-1.json',
      'list-subscriptions-response-1.json',
      'partialDepth-1.json',
      'serverShutdown-1.json',
      'serverShutdown-2.json',
      'subscribe-request-1.json',
      'subscribe-response-1.json',
      'trade-1.json',
      'trade-2.json',
      'unsubscribe-request-1.json',
      'unsubscribe-response-1.json',
    ]);
    expect(readdirSync(`${FIXTURES}/binance-usdm`).sort()).toEqual([
      'aggTrade-1.json',
      'aggTrade-2.json',
      'bookTicker-1.json',
      'bookTicker-2.json',
      'depth-1.json',
      'depth-2.json',
      'depth-rest-snapshot-1.json',
      'forceOrder-1.json',
      'forceOrder-2.json',
      'markPrice-1.json',
      'markPrice-2.json',
    ]);
  });
});

describe('binance spot fixtures -> normalized events', () => {
  it('trade-1 (DOC): m=true means the buyer was the maker, so the taker sold', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'trade-1.json'), RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:BNB/BTC',
        exchTs: 1672515782136,
        recvTs: RECV,
        price: '0.001',
        size: '100',
        side: 'sell',
        tradeId: '12345',
      },
    ]);
  });

  it('trade-2 (REAL, combined envelope, legacy b/a order ids): T is the trade time, exact strings kept', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'trade-2.json'), RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:BNB/BTC',
        exchTs: 1554076800940,
        recvTs: RECV,
        price: '0.00426990',
        size: '33.82000000',
        side: 'buy',
        tradeId: '40756030',
      },
    ]);
  });

  it('aggTrade-1 (DOC): the aggregate id is the trade id', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'aggTrade-1.json'), RECV);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:BNB/BTC',
        exchTs: 1672515782136,
        recvTs: RECV,
        price: '0.001',
        size: '100',
        side: 'sell',
        tradeId: '12345',
      },
    ]);
  });

  it('aggTrade-2 (REAL): NKNUSDT is not in the registry, its id is derived (binance:NKN/USDT)', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'aggTrade-2.json'), RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:NKN/USDT',
        exchTs: 1633998523963,
        recvTs: RECV,
        price: '0.35280000',
        size: '58.00000000',
        side: 'buy',
        tradeId: '15683430',
      },
    ]);
  });

  it('bookTicker-1 (DOC, no e/E): a quote with exchTs 0 (the venue sends no time)', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'bookTicker-1.json'), RECV);
    expect(rec.events).toEqual([
      {
        type: 'quote',
        venue: 'binance',
        instrument: 'binance:BNB/USDT',
        exchTs: 0,
        recvTs: RECV,
        bid: '25.35190000',
        bidSize: '31.21000000',
        ask: '25.36520000',
        askSize: '40.66000000',
      },
    ]);
  });

  it('bookTicker-2 (REAL, combined)', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'bookTicker-2.json'), RECV);
    expect(rec.events).toEqual([
      {
        type: 'quote',
        venue: 'binance',
        instrument: 'binance:NKN/USDT',
        exchTs: 0,
        recvTs: RECV,
        bid: '0.35210000',
        bidSize: '672.00000000',
        ask: '0.35260000',
        askSize: '3199.00000000',
      },
    ]);
  });

  it('depth-1 (DOC): buffered, a REST snapshot is requested for BNBBTC, nothing emitted yet', () => {
    const rec = parseOne('spot', fixture('binance-spot', 'depth-1.json'), RECV);
    expect(rec.events).toEqual([]);
    expect(rec.letters).toEqual([]);
    expect(rec.snapshots).toEqual(['binance:BNB/BTC']);
  });

  it('partialDepth-1 (DOC) in its combined stream: a full top-N book and its quote; raw it has no symbol', () => {
    const raw = fixture('binance-spot', 'partialDepth-1.json');
    const wrapped = `{"stream":"bnbbtc@depth5@100ms","data":${raw}}`;
    const rec = parseOne('spot', wrapped, RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      { type: 'book', venue: 'binance', instrument: 'binance:BNB/BTC', exchTs: 0, recvTs: RECV, bids: [['0.0024', '10']], asks: [['0.0026', '100']], seq: '160' },
      { type: 'quote', venue: 'binance', instrument: 'binance:BNB/BTC', exchTs: 0, recvTs: RECV, bid: '0.0024', bidSize: '10', ask: '0.0026', askSize: '100' },
    ]);
    const bare = parseOne('spot', raw, RECV);
    expect(bare.events).toEqual([]);
    expect(bare.letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(bare.letters[0]!.detail).toContain('without a partial-depth stream name');
  });

  it('serverShutdown-1/2 (raw and combined): the session is asked to reconnect, nothing dead-lettered', () => {
    for (const name of ['serverShutdown-1.json', 'serverShutdown-2.json']) {
      const rec = parseOne('spot', fixture('binance-spot', name), RECV);
      expect(rec.reconnects).toEqual(['serverShutdown']);
      expect(rec.events).toEqual([]);
      expect(rec.letters).toEqual([]);
    }
  });

  it('subscribe/unsubscribe/list responses are control frames: no event, no dead letter', () => {
    for (const name of ['subscribe-response-1.json', 'unsubscribe-response-1.json', 'list-subscriptions-response-1.json']) {
      const rec = parseOne('spot', fixture('binance-spot', name), RECV);
      expect(rec.events).toEqual([]);
      expect(rec.letters).toEqual([]);
      expect(rec.reconnects).toEqual([]);
    }
  });

  it('client requests (as in two-way recordings) are recognized and ignored', () => {
    for (const name of ['subscribe-request-1.json', 'unsubscribe-request-1.json', 'list-subscriptions-request-1.json']) {
      const rec = parseOne('spot', fixture('binance-spot', name), RECV);
      expect(rec.events).toEqual([]);
      expect(rec.letters).toEqual([]);
    }
  });

  it('error-1 (DOC, no id): venue_error with code and message', () => {
    const raw = fixture('binance-spot', 'error-1.json');
    const rec = parseOne('spot', raw, RECV);
    expect(rec.events).toEqual([]);
    expect(rec.letters).toEqual([{ reason: 'venue_error', detail: 'code 1: Invalid value type: expected Boolean', raw }]);
  });

  it('the nested error form seen live ({"error":{...},"id":2}) is a venue_error naming the request', () => {
    const raw = '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":2}';
    const rec = parseOne('spot', raw, RECV);
    expect(rec.letters).toEqual([{ reason: 'venue_error', detail: 'code 2: Invalid request: invalid stream (request 2)', raw }]);
  });

  it('subscribeMessages has the documented SUBSCRIBE shape (subscribe-request-1)', () => {
    const doc = JSON.parse(fixture('binance-spot', 'subscribe-request-1.json')) as { method: string; params: string[]; id: number };
    const p = protocol('spot');
    const frames = p.subscribeMessages([instrument('binance-spot', 'BTCUSDT'), instrument('binance-usdm', 'BTCUSDT')]);
    expect(frames).toHaveLength(1);
    const sent = JSON.parse(frames[0]!) as { method: string; params: string[]; id: number };
    expect(Object.keys(sent)).toEqual(Object.keys(doc));
    expect(sent).toEqual({ method: 'SUBSCRIBE', params: ['btcusdt@trade', 'btcusdt@depth@100ms'], id: 1 });
    expect(p.path([])).toBe('/stream');
    expect(p.snapshotPath(instrument('binance-spot', 'BTCUSDT'))).toBe('/api/v3/depth?symbol=BTCUSDT&limit=1000');
  });

  it('depth-rest-snapshot-1/2 parse exactly (sides of different lengths)', () => {
    const doc = parseDepthSnapshot(fixture('binance-spot', 'depth-rest-snapshot-1.json'));
    expect(doc).toEqual({ ok: true, snapshot: { lastUpdateId: 1027024, bids: [['4.00000000', '431.00000000']], asks: [['4.00000200', '12.00000000']], exchTs: 0 } });
    const real = parseDepthSnapshot(fixture('binance-spot', 'depth-rest-snapshot-2.json'));
    if (!real.ok) throw new Error(real.detail);
    expect(real.snapshot.lastUpdateId).toBe(499869752);
    expect(real.snapshot.bids).toHaveLength(609);
    expect(real.snapshot.asks).toHaveLength(1000);
    expect(real.snapshot.bids[0]).toEqual(['0.35210000', '672.00000000']);
    expect(real.snapshot.asks[999]).toEqual(['0.55060000', '14418.00000000']);
  });
});

describe('binance spot depth sync on the real NKNUSDT pair (depth-2 + depth-rest-snapshot-2)', () => {
  it('depth-2 (u = lastUpdateId) is discarded; the next straddling event syncs the book', () => {
    const p = protocol('spot', true, 3);
    const nkn = instrument('binance-spot', 'NKNUSDT');
    const rec = new Recorder();
    const depth2 = fixture('binance-spot', 'depth-2.json');
    p.onMessage(depth2, RECV, rec);
    expect(rec.snapshots).toEqual(['binance:NKN/USDT']);
    const snapshotBody = fixture('binance-spot', 'depth-rest-snapshot-2.json');
    // depth-2's three bid levels are the snapshot's (the event is older than or equal to it).
    const snap = parseDepthSnapshot(snapshotBody);
    if (!snap.ok) throw new Error(snap.detail);
    const event = JSON.parse(depth2) as { data: { b: [string, string][] } };
    for (const [price, size] of event.data.b) expect(snap.snapshot.bids.find((l) => l[0] === price)).toEqual([price, size]);

    p.onSnapshot(nkn, snapshotBody, RECV + 5, rec);
    expect(rec.events).toEqual([]); // discarded, and no event has bridged the snapshot yet
    expect(rec.letters).toEqual([]);
    expect(p.isSynced(nkn)).toBe(false);

    // The next event of the capture continues at lastUpdateId + 1 (synthetic values, real ids).
    const next =
      '{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512168,"s":"NKNUSDT","U":499869753,"u":499869755,' +
      '"b":[["0.35210000","700.00000000"]],"a":[["0.35250000","0.00000000"],["0.35000000","0.00000000"]]}}';
    p.onMessage(next, RECV + 10, rec);
    expect(p.isSynced(nkn)).toBe(true);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      { type: 'status', venue: 'binance', instrument: 'binance:NKN/USDT', exchTs: 1633998512168, recvTs: RECV + 10, status: 'ok', reason: 'book synced at update id 499869755' },
      {
        type: 'book',
        venue: 'binance',
        instrument: 'binance:NKN/USDT',
        exchTs: 1633998512168,
        recvTs: RECV + 10,
        bids: [
          ['0.35210000', '700.00000000'],
          ['0.35200000', '1144.00000000'],
          ['0.35190000', '3260.00000000'],
        ],
        asks: [
          ['0.35260000', '3199.00000000'],
          ['0.35270000', '4201.00000000'],
          ['0.35280000', '703.00000000'],
        ],
        seq: '499869755',
      },
      { type: 'quote', venue: 'binance', instrument: 'binance:NKN/USDT', exchTs: 1633998512168, recvTs: RECV + 10, bid: '0.35210000', bidSize: '700.00000000', ask: '0.35260000', askSize: '3199.00000000' },
    ]);
  });

  it('a first event that starts past lastUpdateId + 1 makes the snapshot too old: it is fetched again', () => {
    const p = protocol('spot');
    const nkn = instrument('binance-spot', 'NKNUSDT');
    const rec = new Recorder();
    p.onMessage(fixture('binance-spot', 'depth-2.json'), RECV, rec);
    p.onSnapshot(nkn, fixture('binance-spot', 'depth-rest-snapshot-2.json'), RECV, rec);
    const late = '{"e":"depthUpdate","E":1633998512168,"s":"NKNUSDT","U":499869760,"u":499869761,"b":[],"a":[]}';
    p.onMessage(late, RECV, rec);
    expect(p.isSynced(nkn)).toBe(false);
    expect(rec.snapshots).toEqual(['binance:NKN/USDT', 'binance:NKN/USDT']);
    expect(rec.events).toEqual([]);
  });
});

describe('binance usdm fixtures -> normalized events', () => {
  it('aggTrade-1 (DOC, placeholder 9-digit times, nq): accepted as sent', () => {
    const rec = parseOne('usdm-market', fixture('binance-usdm', 'aggTrade-1.json'), RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:BTC/USDT:USDT',
        exchTs: 123456785,
        recvTs: RECV,
        price: '0.001',
        size: '100',
        side: 'sell',
        tradeId: '5933014',
      },
    ]);
  });

  it('aggTrade-2 (REAL 2021, no nq, keys in another order): derived id binance:CTK/USDT:USDT', () => {
    const rec = parseOne('usdm-market', fixture('binance-usdm', 'aggTrade-2.json'), RECV);
    expect(rec.events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:CTK/USDT:USDT',
        exchTs: 1626992741421,
        recvTs: RECV,
        price: '1.01100',
        size: '10',
        side: 'buy',
        tradeId: '16599292',
      },
    ]);
  });

  it('USD-M @trade: MARKET fills are trades; INSURANCE_FUND / ADL / NA fills (price 0 for NA) are not', () => {
    const market =
      '{"stream":"btcusdt@trade","data":{"e":"trade","E":1780000000001,"T":1780000000000,"s":"BTCUSDT","t":11,"p":"70123.40","q":"0.022","X":"MARKET","m":true}}';
    expect(parseOne('usdm-public', market, RECV).events).toEqual([
      {
        type: 'trade',
        venue: 'binance',
        instrument: 'binance:BTC/USDT:USDT',
        exchTs: 1780000000000,
        recvTs: RECV,
        price: '70123.40',
        size: '0.022',
        side: 'sell',
        tradeId: '11',
      },
    ]);
    for (const type of ['NA', 'ADL', 'INSURANCE_FUND']) {
      const rec = parseOne('usdm-public', market.replace('"MARKET"', `"${type}"`).replace('"70123.40"', '"0"'), RECV);
      expect(rec.events).toEqual([]);
      expect(rec.letters).toEqual([]);
    }
  });

  it('bookTicker-1/2: quotes timed by the transaction time T', () => {
    const one = parseOne('usdm-public', fixture('binance-usdm', 'bookTicker-1.json'), RECV);
    expect(one.events).toEqual([
      {
        type: 'quote',
        venue: 'binance',
        instrument: 'binance:BNB/USDT:USDT',
        exchTs: 1568014460891,
        recvTs: RECV,
        bid: '25.35190000',
        bidSize: '31.21000000',
        ask: '25.36520000',
        askSize: '40.66000000',
      },
    ]);
    const two = parseOne('usdm-public', fixture('binance-usdm', 'bookTicker-2.json'), RECV);
    expect(two.events).toEqual([
      {
        type: 'quote',
        venue: 'binance',
        instrument: 'binance:SUSHI/USDT:USDT',
        exchTs: 1626992741012,
        recvTs: RECV,
        bid: '7.6110',
        bidSize: '2',
        ask: '7.6120',
        askSize: '297',
      },
    ]);
  });

  it('markPrice-1 (DOC): mark, index, funding rate and next funding time', () => {
    const rec = parseOne('usdm-market', fixture('binance-usdm', 'markPrice-1.json'), RECV);
    expect(rec.events).toEqual([
      {
        type: 'mark',
        venue: 'binance',
        instrument: 'binance:BTC/USDT:USDT',
        exchTs: 1562305380000,
        recvTs: RECV,
        markPrice: '11794.15000000',
        indexPrice: '11784.62659091',
        fundingRate: '0.00038167',
        nextFundingTs: 1562306400000,
      },
    ]);
  });

  it('markPrice-2 (REAL 2020, no P key): P is optional', () => {
    const rec = parseOne('usdm-market', fixture('binance-usdm', 'markPrice-2.json'), RECV);
    expect(rec.letters).toEqual([]);
    expect(rec.events).toEqual([
      {
        type: 'mark',
        venue: 'binance',
        instrument: 'binance:BTC/USDT:USDT',
        exchTs: 1597536008000,
        recvTs: RECV,
        markPrice: '11857.56000000',
        indexPrice: '11851.86949091',
        fundingRate: '0.00015640',
        nextFundingTs: 1597564800000,
      },
    ]);
  });

  it('a delivery contract (r "0.00000000", T 0) has no funding: both fields absent', () => {
    const raw =
      '{"stream":"btcusdt_261225@markPrice@1s","data":{"e":"markPriceUpdate","E":1780000000000,"s":"BTCUSDT_261225","p":"70123.40000000","i":"70001.10000000","P":"70050.00000000","r":"0.00000000","T":0}}';
    const rec = parseOne('usdm-market', raw, RECV);
    expect(rec.events).toEqual([
      {
        type: 'mark',
        venue: 'binance',
        instrument: 'binance:BTC/USDT:USDT-261225',
        exchTs: 1780000000000,
        recvTs: RECV,
        markPrice: '70123.40000000',
        indexPrice: '70001.10000000',
        fundingRate: undefined,
        nextFundingTs: undefined,
      },
    ]);
  });

  it('forceOrder-1/2: validated liquidation snapshots, no event; forceOrder-2 (l > z) does not crash', () => {
    for (const name of ['forceOrder-1.json', 'forceOrder-2.json']) {
      const rec = parseOne('usdm-market', fixture('binance-usdm', name), RECV);
      expect(rec.events).toEqual([]);
      expect(rec.letters).toEqual([]);
    }
    const expired = fixture('binance-usdm', 'forceOrder-1.json').replace('"FILLED"', '"EXPIRED"');
    expect(parseOne('usdm-market', expired, RECV).letters).toEqual([]);
    const broken = fixture('binance-usdm', 'forceOrder-1.json').replace('"S":"SELL"', '"S":"SIDEWAYS"');
    expect(parseOne('usdm-market', broken, RECV).letters.map((l) => l.reason)).toEqual(['invalid_field']);
  });

  it('depth-1 (DOC): buffered with a snapshot request', () => {
    const rec = parseOne('usdm-public', fixture('binance-usdm', 'depth-1.json'), RECV);
    expect(rec.events).toEqual([]);
    expect(rec.snapshots).toEqual(['binance:BTC/USDT:USDT']);
  });

  it('routes: /public/stream for depth, /market/stream for trades and marks; /fapi/v1/depth snapshots', () => {
    const btc = instrument('binance-usdm', 'BTCUSDT');
    const pub = protocol('usdm-public');
    expect(pub.path([btc])).toBe('/public/stream');
    expect(pub.subscribeMessages([btc, instrument('binance-spot', 'BTCUSDT')])).toEqual(['{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}']);
    expect(pub.snapshotPath(btc)).toBe('/fapi/v1/depth?symbol=BTCUSDT&limit=1000');
    const market = protocol('usdm-market');
    expect(market.path([btc])).toBe('/market/stream');
    expect(market.subscribeMessages([btc])).toEqual(['{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@markPrice@1s"],"id":1}']);
  });

  it('depth-rest-snapshot-1 (REAL, with E and T): exchTs is T', () => {
    const snap = parseDepthSnapshot(fixture('binance-usdm', 'depth-rest-snapshot-1.json'));
    if (!snap.ok) throw new Error(snap.detail);
    expect(snap.snapshot.lastUpdateId).toBe(600859605486);
    expect(snap.snapshot.exchTs).toBe(1626992741238);
    expect(snap.snapshot.bids[0]).toEqual(['0.01731', '57618']);
    expect(snap.snapshot.asks[0]).toEqual(['0.01732', '72524']);
  });
});

describe('binance usdm depth sync on the real AKROUSDT pair (depth-2 + depth-rest-snapshot-1)', () => {
  it('depth-2 (u < lastUpdateId) is dropped; an event with U <= lastUpdateId <= u syncs; then the pu chain', () => {
    const p = protocol('usdm-public', true, 2);
    const akro = instrument('binance-usdm', 'AKROUSDT');
    const rec = new Recorder();
    const depth2 = fixture('binance-usdm', 'depth-2.json');
    p.onMessage(depth2, RECV, rec);
    expect(rec.snapshots).toEqual(['binance:AKRO/USDT:USDT']);
    const body = fixture('binance-usdm', 'depth-rest-snapshot-1.json');
    // depth-2's ask level is the snapshot's.
    const snap = parseDepthSnapshot(body);
    if (!snap.ok) throw new Error(snap.detail);
    expect(snap.snapshot.asks.find((l) => l[0] === '0.01737')).toEqual(['0.01737', '437848']);
    p.onSnapshot(akro, body, RECV, rec);
    expect(rec.events).toEqual([]);
    expect(p.isSynced(akro)).toBe(false);

    // Straddles lastUpdateId 600859605486; ids are not contiguous at USD-M, pu chains them.
    const first =
      '{"stream":"akrousdt@depth@100ms","data":{"e":"depthUpdate","E":1626992741300,"T":1626992741290,"s":"AKROUSDT","U":600859605400,"u":600859605600,"pu":600859605300,' +
      '"b":[["0.01731","60000"]],"a":[]}}';
    p.onMessage(first, RECV + 1, rec);
    expect(p.isSynced(akro)).toBe(true);
    expect(rec.events.map((e) => e.type)).toEqual(['status', 'book', 'quote']);
    expect(rec.events[1]).toMatchObject({ bids: [['0.01731', '60000'], ['0.01730', '183887']], asks: [['0.01732', '72524'], ['0.01733', '355270']], seq: '600859605600', exchTs: 1626992741290 });

    rec.clear();
    const second =
      '{"stream":"akrousdt@depth@100ms","data":{"e":"depthUpdate","E":1626992741400,"T":1626992741390,"s":"AKROUSDT","U":600859605950,"u":600859605990,"pu":600859605600,' +
      '"b":[["0.01731","0"]],"a":[["0.01732","1"]]}}';
    p.onMessage(second, RECV + 2, rec);
    expect(rec.letters).toEqual([]);
    expect(rec.events[1]).toMatchObject({ type: 'quote', bid: '0.01730', bidSize: '183887', ask: '0.01732', askSize: '1' });
  });
});

describe('binance canonical ids for symbols outside the registry', () => {
  it('spot: longest known quote suffix; USD-M: settled in the quote, _YYMMDD = delivery', () => {
    expect(deriveBinanceCanonicalId('binance-spot', 'NKNUSDT')).toBe('binance:NKN/USDT');
    expect(deriveBinanceCanonicalId('binance-spot', 'ETHBTC')).toBe('binance:ETH/BTC');
    expect(deriveBinanceCanonicalId('binance-spot', 'BTCFDUSD')).toBe('binance:BTC/FDUSD');
    expect(deriveBinanceCanonicalId('binance-spot', '1000SATSUSDT')).toBe('binance:1000SATS/USDT');
    expect(deriveBinanceCanonicalId('binance-spot', 'USDT')).toBeUndefined();
    expect(deriveBinanceCanonicalId('binance-spot', 'BTCXYZ')).toBeUndefined();
    expect(deriveBinanceCanonicalId('binance-spot', 'btcusdt')).toBeUndefined();
    expect(deriveBinanceCanonicalId('binance-usdm', 'SUSHIUSDT')).toBe('binance:SUSHI/USDT:USDT');
    expect(deriveBinanceCanonicalId('binance-usdm', 'BTCUSDC')).toBe('binance:BTC/USDC:USDC');
    // BTC-margined perpetuals listed under USDⓈ-M: quoted and settled in BTC.
    expect(deriveBinanceCanonicalId('binance-usdm', 'ETHBTC')).toBe('binance:ETH/BTC:BTC');
    expect(deriveBinanceCanonicalId('binance-usdm', 'WBTCUSDT')).toBe('binance:WBTC/USDT:USDT');
    expect(deriveBinanceCanonicalId('binance-usdm', 'BTC')).toBeUndefined();
    expect(deriveBinanceCanonicalId('binance-usdm', 'ETHUSDT_270326')).toBe('binance:ETH/USDT:USDT-270326');
    expect(deriveBinanceCanonicalId('binance-usdm', 'ETHUSDT_2703')).toBeUndefined();
  });

  it('an underivable symbol is dead-lettered unknown_symbol', () => {
    const raw = '{"e":"trade","E":1,"s":"FOOBAR","t":1,"p":"1","q":"1","T":1,"m":true}';
    const rec = parseOne('spot', raw);
    expect(rec.events).toEqual([]);
    expect(rec.letters.map((l) => l.reason)).toEqual(['unknown_symbol']);
  });
});
