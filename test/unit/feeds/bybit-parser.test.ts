/**
 * Bybit: every fixture in test/fixtures/venues/bybit, parsed on the category connection it belongs
 * to (asserted values), the category-specific control frames, ticker snapshot/delta merging,
 * number variants and symbol derivation.
 */
import { describe, expect, it } from 'vitest';
import { BybitParser, type BybitFrame } from '../../../src/feeds/bybit/parser.js';
import { BybitProtocol } from '../../../src/feeds/bybit/protocol.js';
import { deriveBybitCanonicalId, type BybitCategory } from '../../../src/feeds/bybit/symbols.js';
import type { MarketEvent } from '../../../src/risk/events.js';
import { fixtureNames, fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const RECV = 1_700_000_000_500;

const fixture = (name: string): string => sharedFixture('bybit', name);

const parser = (category: BybitCategory, quotesFromTickers = true): BybitParser => new BybitParser({ registry, category, quotesFromTickers });
const parse = (category: BybitCategory, name: string): BybitFrame => parser(category).parse(fixture(name), RECV);

function dataEvents(frame: BybitFrame): readonly MarketEvent[] {
  if (frame.kind !== 'data') throw new Error(`expected data, got ${JSON.stringify(frame)}`);
  return frame.events;
}

describe('Bybit fixtures', () => {
  it('covers every fixture file in the folder', () => {
    expect(fixtureNames('bybit')).toEqual(
      [
        'orderbook-1.json', 'orderbook-2.json', 'ping-request-1.json', 'pong-1.json', 'pong-2.json', 'publicTrade-1.json',
        'publicTrade-2.json', 'subscribe-request-1.json', 'subscribe-response-1.json', 'subscribe-response-2.json',
        'tickers-1.json', 'tickers-2.json', 'tickers-option-1.json', 'unsubscribe-request-1.json',
      ].sort(),
    );
  });

  it('orderbook-1 (linear snapshot) -> book update, and through the protocol: ok, book, quote', () => {
    const frame = parse('linear', 'orderbook-1.json');
    expect(frame.kind === 'data' && frame.book).toEqual({
      topic: 'orderbook.50.BTCUSDT',
      depth: 50,
      symbol: 'BTCUSDT',
      instrument: 'bybit:BTC/USDT:USDT',
      snapshot: true,
      bids: [['16493.50', '0.006'], ['16493.00', '0.100']],
      asks: [['16611.00', '0.029'], ['16612.00', '0.213']],
      u: 18521288,
      seq: 7961638724,
      exchTs: 1672304484978,
      recvTs: RECV,
    });
    const io = new Recorder({ forbidSnapshots: 'Bybit snapshots come over the socket', forbidReconnects: 'not expected' });
    new BybitProtocol('linear', { registry, bookDepth: 10 }).onMessage(fixture('orderbook-1.json'), RECV, io);
    const instrument = 'bybit:BTC/USDT:USDT';
    expect(io.events).toEqual([
      { type: 'status', venue: 'bybit', instrument, exchTs: 1672304484978, recvTs: RECV, status: 'ok', reason: 'snapshot' },
      {
        type: 'book',
        venue: 'bybit',
        instrument,
        exchTs: 1672304484978,
        recvTs: RECV,
        bids: [['16493.50', '0.006'], ['16493.00', '0.100']],
        asks: [['16611.00', '0.029'], ['16612.00', '0.213']],
        seq: '18521288',
      },
      { type: 'quote', venue: 'bybit', instrument, exchTs: 1672304484978, recvTs: RECV, bid: '16493.50', bidSize: '0.006', ask: '16611.00', askSize: '0.029' },
    ]);
  });

  it('the same orderbook-1 on the spot connection names the spot instrument', () => {
    const frame = parse('spot', 'orderbook-1.json');
    expect(frame.kind === 'data' && frame.book?.instrument).toBe('bybit:BTC/USDT');
  });

  it('orderbook-2 (delta, deletes as size "0") parses exactly; alone it waits for a snapshot', () => {
    const frame = parse('linear', 'orderbook-2.json');
    expect(frame.kind === 'data' && frame.book).toMatchObject({
      snapshot: false,
      u: 177400507,
      seq: 66544703342,
      exchTs: 1687940967466,
      bids: [['30247.20', '30.028'], ['30245.40', '0.224'], ['30242.10', '1.593'], ['30240.30', '1.305'], ['30240.00', '0']],
      asks: [['30248.70', '0'], ['30249.30', '0.892'], ['30249.50', '1.778'], ['30249.60', '0'], ['30251.90', '2.947'], ['30252.20', '0.659'], ['30252.50', '4.591']],
    });
    const io = new Recorder({ forbidSnapshots: 'Bybit snapshots come over the socket', forbidReconnects: 'not expected' });
    new BybitProtocol('linear', { registry, bookDepth: 10 }).onMessage(fixture('orderbook-2.json'), RECV, io);
    expect(io.events).toEqual([]);
    expect(io.dead).toEqual([]);
  });

  it('publicTrade-1 (linear, with seq): S is the taker side, T the fill time', () => {
    expect(dataEvents(parse('linear', 'publicTrade-1.json'))).toEqual([
      {
        type: 'trade',
        venue: 'bybit',
        instrument: 'bybit:BTC/USDT:USDT',
        exchTs: 1672304486865,
        recvTs: RECV,
        price: '16578.50',
        size: '0.001',
        side: 'buy',
        tradeId: '20f43950-d8dd-5b31-9112-a178eb6023af',
      },
    ]);
  });

  it('publicTrade-2 (inverse BTCUSD, no seq): three fills, sizes in USD contracts', () => {
    const base = { type: 'trade', venue: 'bybit', instrument: 'bybit:BTC/USD:BTC', exchTs: 1680673823564, recvTs: RECV, price: '28560.50', side: 'buy' };
    expect(dataEvents(parse('inverse', 'publicTrade-2.json'))).toEqual([
      { ...base, size: '5823', tradeId: '0cbf2330-952d-5d03-a462-4bf826c867af' },
      { ...base, size: '3', tradeId: '912e56de-9ed6-5f4f-9421-f0ff5a42d84a' },
      { ...base, size: '5593', tradeId: 'cb558b74-cf72-5157-b53b-93944db336ad' },
    ]);
  });

  it('tickers-1 (linear perpetual snapshot) -> mark (mark, index, funding per interval, next funding) + quote', () => {
    const instrument = 'bybit:BTC/USDT:USDT';
    expect(dataEvents(parse('linear', 'tickers-1.json'))).toEqual([
      {
        type: 'mark',
        venue: 'bybit',
        instrument,
        exchTs: 1760325052630,
        recvTs: RECV,
        markPrice: '66666.60',
        indexPrice: '115418.19',
        fundingRate: '-0.005',
        nextFundingTs: 1760342400000,
      },
      { type: 'quote', venue: 'bybit', instrument, exchTs: 1760325052630, recvTs: RECV, bid: '66666.60', bidSize: '23789.165', ask: '66666.70', askSize: '23775.469' },
    ]);
  });

  it('tickers-2 (linear dated future): "" funding fields mean absent', () => {
    const instrument = 'bybit:BTC/USDC:USDC-251226';
    expect(dataEvents(parse('linear', 'tickers-2.json'))).toEqual([
      {
        type: 'mark',
        venue: 'bybit',
        instrument,
        exchTs: 1760409119857,
        recvTs: RECV,
        markPrice: '121144.63',
        indexPrice: '114132.51',
        fundingRate: undefined,
        nextFundingTs: undefined,
      },
      { type: 'quote', venue: 'bybit', instrument, exchTs: 1760409119857, recvTs: RECV, bid: '111254.50', bidSize: '0.176', ask: '131001.00', askSize: '0.580' },
    ]);
  });

  it('the protocol takes quotes from the book only: tickers give just the mark', () => {
    const io = new Recorder({ forbidSnapshots: 'Bybit snapshots come over the socket', forbidReconnects: 'not expected' });
    new BybitProtocol('linear', { registry, bookDepth: 10 }).onMessage(fixture('tickers-1.json'), RECV, io);
    expect(io.events.map((e) => e.type)).toEqual(['mark']);
  });

  it('tickers-option-1 (option connection) -> option (IV fractions, Greeks as sent) + quote; "0" bid means none', () => {
    const instrument = 'bybit:BTC/USDC:USDC-230106-17500-C';
    expect(dataEvents(parse('option', 'tickers-option-1.json'))).toEqual([
      {
        type: 'option',
        venue: 'bybit',
        instrument,
        exchTs: 1672917511074,
        recvTs: RECV,
        markPrice: '7.86976724',
        markIv: '0.4896',
        underlyingPrice: '16815.1',
        indexPrice: '16823.73',
        bidIv: undefined,
        askIv: '0.514',
        delta: '0.047831',
        gamma: '0.00021453',
        vega: '0.81351067',
        theta: '-19.9115368',
      },
      { type: 'quote', venue: 'bybit', instrument, exchTs: 1672917511074, recvTs: RECV, bid: null, bidSize: null, ask: '10', askSize: '5.1' },
    ]);
  });

  it('pong-1 (spot) and pong-2 (linear/inverse) are pongs; the option pong shape too', () => {
    for (const category of ['spot', 'linear', 'inverse'] as const) {
      expect(parse(category, 'pong-1.json')).toEqual({ kind: 'control', control: 'pong' });
      expect(parse(category, 'pong-2.json')).toEqual({ kind: 'control', control: 'pong' });
    }
    expect(parser('option').parse('{"args":["1672917511074"],"op":"pong"}', RECV)).toEqual({ kind: 'control', control: 'pong' });
  });

  it('subscribe-response-1 (spot) / -2 (linear) are acks; a failed ack is a venue error; option COMMAND_RESP too', () => {
    expect(parse('spot', 'subscribe-response-1.json')).toEqual({ kind: 'control', control: 'subscribe' });
    expect(parse('linear', 'subscribe-response-2.json')).toEqual({ kind: 'control', control: 'subscribe' });
    const failed = '{"success":false,"ret_msg":"error:already subscribed,topic:publicTrade.BTCUSDT","conn_id":"x","req_id":"2","op":"subscribe"}';
    expect(parse('linear', 'pong-2.json').kind).toBe('control');
    expect(parser('linear').parse(failed, RECV)).toEqual({ kind: 'venue_error', detail: 'subscribe failed: error:already subscribed,topic:publicTrade.BTCUSDT' });
    const io = new Recorder({ forbidSnapshots: 'Bybit snapshots come over the socket', forbidReconnects: 'not expected' });
    new BybitProtocol('linear', { registry, bookDepth: 10 }).onMessage(failed, RECV, io);
    expect(io.dead.map((l) => l.reason)).toEqual(['venue_error']);
    expect(parser('option').parse('{"success":true,"conn_id":"c","data":{"failTopics":[],"successTopics":["orderbook.100.BTC-6JAN23-17500-C"]},"type":"COMMAND_RESP"}', RECV)).toEqual({
      kind: 'control',
      control: 'subscribe',
    });
    expect(parser('option').parse('{"success":false,"conn_id":"c","data":{"failTopics":["x"],"successTopics":[]},"type":"COMMAND_RESP"}', RECV).kind).toBe('venue_error');
  });

  it('ping-request-1, subscribe-request-1, unsubscribe-request-1 are client requests: refused by the parser, sent by the protocol', () => {
    for (const name of ['ping-request-1.json', 'subscribe-request-1.json', 'unsubscribe-request-1.json']) {
      expect(parse('linear', name)).toMatchObject({ kind: 'dead', reason: 'unknown_message' });
    }
    const protocol = new BybitProtocol('linear', { registry, bookDepth: 10 });
    const ping = JSON.parse(protocol.keepalive.message()) as Record<string, unknown>;
    expect(Object.keys(ping).sort()).toEqual(Object.keys(JSON.parse(fixture('ping-request-1.json')) as object).sort());
    expect(ping['op']).toBe('ping');
    const request = JSON.parse(fixture('subscribe-request-1.json')) as Record<string, unknown>;
    const frames = protocol.subscribeMessages(registry.forFeed('bybit-linear')).map((f) => JSON.parse(f) as { op: string; args: string[] });
    expect(Object.keys(frames[0]!).sort()).toEqual(Object.keys(request).sort());
    expect(frames.every((f) => f.op === 'subscribe' && f.args.length <= 10)).toBe(true);
    expect(frames.flatMap((f) => f.args).filter((t) => t.endsWith('.BTCUSDT'))).toEqual(['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT']);
    expect(protocol.path()).toBe('/v5/public/linear');
    const spot = new BybitProtocol('spot', { registry, bookDepth: 10 }).subscribeMessages(registry.forFeed('bybit-spot')).map((f) => JSON.parse(f) as { args: string[] });
    expect(spot.flatMap((f) => f.args)).toEqual(['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT', 'orderbook.50.ETHUSDT', 'publicTrade.ETHUSDT']);
  });
});

describe('Bybit tickers: snapshot then delta, shallow merge', () => {
  const snapshot = fixture('tickers-1.json');
  const delta = (data: Record<string, string>, ts = 1760325052730): string => JSON.stringify({ topic: 'tickers.BTCUSDT', type: 'delta', data: { symbol: 'BTCUSDT', ...data }, cs: 9532239430, ts });

  it('a delta with only quote fields updates the quote and keeps the rest (no mark event)', () => {
    const p = parser('linear');
    p.parse(snapshot, RECV);
    expect(dataEvents(p.parse(delta({ bid1Price: '66666.10', bid1Size: '1.5' }), RECV))).toEqual([
      { type: 'quote', venue: 'bybit', instrument: 'bybit:BTC/USDT:USDT', exchTs: 1760325052730, recvTs: RECV, bid: '66666.10', bidSize: '1.5', ask: '66666.70', askSize: '23775.469' },
    ]);
  });

  it('a delta with a mark field emits the merged mark (absent fields unchanged)', () => {
    const p = parser('linear');
    p.parse(snapshot, RECV);
    expect(dataEvents(p.parse(delta({ fundingRate: '0.0001' }), RECV))).toEqual([
      {
        type: 'mark',
        venue: 'bybit',
        instrument: 'bybit:BTC/USDT:USDT',
        exchTs: 1760325052730,
        recvTs: RECV,
        markPrice: '66666.60',
        indexPrice: '115418.19',
        fundingRate: '0.0001',
        nextFundingTs: 1760342400000,
      },
    ]);
    // And the next delta still sees the merged funding rate.
    expect(dataEvents(p.parse(delta({ markPrice: '66667.00' }), RECV))[0]).toMatchObject({ markPrice: '66667.00', fundingRate: '0.0001' });
  });

  it('a delta that carries "" clears that field', () => {
    const p = parser('linear');
    p.parse(snapshot, RECV);
    expect(dataEvents(p.parse(delta({ fundingRate: '', nextFundingTime: '' }), RECV))[0]).toMatchObject({ fundingRate: undefined, nextFundingTs: undefined, markPrice: '66666.60' });
  });

  it('a refused delta does not half-merge; a new snapshot replaces everything', () => {
    const p = parser('linear');
    p.parse(snapshot, RECV);
    expect(p.parse(delta({ markPrice: '1', bid1Price: 'bad' }), RECV)).toEqual({ kind: 'dead', reason: 'invalid_field', detail: 'field "bid1Price": not a decimal' });
    expect(dataEvents(p.parse(delta({ indexPrice: '115000' }), RECV))[0]).toMatchObject({ markPrice: '66666.60', indexPrice: '115000' });
    const fresh = JSON.stringify({ topic: 'tickers.BTCUSDT', type: 'snapshot', data: { symbol: 'BTCUSDT', markPrice: '70000' }, ts: 1 });
    expect(dataEvents(p.parse(fresh, RECV))[0]).toMatchObject({ markPrice: '70000', indexPrice: undefined, fundingRate: undefined });
  });

  it('spot tickers carry no quote or mark: recognised, nothing emitted', () => {
    const spotTicker = '{"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,"data":{"symbol":"BTCUSDT","lastPrice":"21109.77","highPrice24h":"21426.99","lowPrice24h":"20575","prevPrice24h":"20704.93","volume24h":"6780.866843","turnover24h":"141946527.22907118","price24hPcnt":"0.0196","usdIndexPrice":"21120.2400136"}}';
    expect(parser('spot').parse(spotTicker, RECV)).toEqual({ kind: 'data', events: [], book: undefined });
  });
});

describe('Bybit numbers and variants', () => {
  it('prices as JSON numbers are read from the raw tokens exactly', () => {
    const raw = '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Sell","v":0.0010,"p":1.65785e4,"i":"x"}]}';
    expect(dataEvents(parser('linear').parse(raw, RECV))).toEqual([
      { type: 'trade', venue: 'bybit', instrument: 'bybit:BTC/USDT:USDT', exchTs: 1672304486865, recvTs: RECV, price: '16578.5', size: '0.0010', side: 'sell', tradeId: 'x' },
    ]);
  });

  it('a ticker delta with a numeric field merges once, exactly', () => {
    const p = parser('linear');
    p.parse(fixture('tickers-1.json'), RECV);
    const events = dataEvents(p.parse('{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":66700.10},"ts":2}', RECV));
    expect(events[0]).toMatchObject({ markPrice: '66700.10', indexPrice: '115418.19' });
  });

  it('scientific notation in strings becomes plain notation', () => {
    const raw = '{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","fundingRate":"-5e-05"},"ts":2}';
    expect(dataEvents(parser('linear').parse(raw, RECV))[0]).toMatchObject({ fundingRate: '-0.00005' });
  });

  it('an orderbook whose data.s disagrees with its topic is refused', () => {
    const raw = fixture('orderbook-1.json').replace('"s": "BTCUSDT"', '"s": "ETHUSDT"');
    expect(parser('linear').parse(raw, RECV)).toEqual({ kind: 'dead', reason: 'invalid_field', detail: 'field "s": ETHUSDT does not match topic orderbook.50.BTCUSDT' });
  });

  it('unknown topics are unknown_message, non-JSON invalid_json', () => {
    expect(parser('linear').parse('{"topic":"kline.1.BTCUSDT","data":[]}', RECV)).toEqual({ kind: 'dead', reason: 'unknown_message', detail: 'topic "kline.1.BTCUSDT" not handled' });
    expect(parser('linear').parse('not json', RECV)).toEqual({ kind: 'dead', reason: 'invalid_json', detail: 'not JSON' });
  });
});

describe('Bybit symbols', () => {
  it('derives canonical ids per category', () => {
    expect(deriveBybitCanonicalId('spot', 'NKNUSDT')).toBe('bybit:NKN/USDT');
    expect(deriveBybitCanonicalId('spot', 'ETHBTC')).toBe('bybit:ETH/BTC');
    expect(deriveBybitCanonicalId('spot', 'BTCUSDC')).toBe('bybit:BTC/USDC');
    expect(deriveBybitCanonicalId('spot', 'USDT')).toBeUndefined();
    expect(deriveBybitCanonicalId('linear', 'BTCUSDT')).toBe('bybit:BTC/USDT:USDT');
    expect(deriveBybitCanonicalId('linear', '1000PEPEUSDT')).toBe('bybit:1000PEPE/USDT:USDT');
    expect(deriveBybitCanonicalId('linear', 'BTCPERP')).toBe('bybit:BTC/USDC:USDC');
    expect(deriveBybitCanonicalId('linear', 'BTC-26DEC25')).toBe('bybit:BTC/USDC:USDC-251226');
    expect(deriveBybitCanonicalId('linear', 'BTCUSDT-26DEC25')).toBe('bybit:BTC/USDT:USDT-251226');
    expect(deriveBybitCanonicalId('inverse', 'BTCUSD')).toBe('bybit:BTC/USD:BTC');
    expect(deriveBybitCanonicalId('inverse', 'BTCUSDH26')).toBe('bybit:BTC/USD:BTC-260327');
    expect(deriveBybitCanonicalId('inverse', 'ETHUSDZ25')).toBe('bybit:ETH/USD:ETH-251226');
    expect(deriveBybitCanonicalId('option', 'BTC-6JAN23-17500-C')).toBe('bybit:BTC/USDC:USDC-230106-17500-C');
    expect(deriveBybitCanonicalId('option', 'BTC-30AUG24-50000-P-USDT')).toBe('bybit:BTC/USDT:USDT-240830-50000-P');
    expect(deriveBybitCanonicalId('option', 'BTC-30XYZ24-50000-P')).toBeUndefined();
  });

  it('agrees with the registry for every Bybit instrument in config/instruments.yaml', () => {
    const feeds = [
      ['bybit-spot', 'spot'],
      ['bybit-linear', 'linear'],
      ['bybit-inverse', 'inverse'],
    ] as const;
    let n = 0;
    for (const [feed, category] of feeds) {
      for (const instrument of registry.forFeed(feed)) {
        expect(deriveBybitCanonicalId(category, instrument.spec.venueSymbol)).toBe(instrument.id);
        n++;
      }
    }
    expect(n).toBe(7);
  });
});
