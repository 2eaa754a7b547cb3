/**
 * Deribit parser and sync: every fixture file with asserted values, the naming rule, exact
 * numbers, subscription diffing, book sync (snapshot, prev_change_id chain, gaps, stale updates,
 * absent deletes), statuses and heartbeats.
 */
import { describe, expect, it } from 'vitest';
import { DeribitSimVenue, deribitNumberText } from '../../../src/feeds/deribit/sim.js';
import { deriveDeribitSymbol } from '../../../src/feeds/deribit/symbols.js';
import { percentToFraction } from '../../../src/feeds/deribit/mapping.js';
import type { SimClient } from '../../../src/feeds/sim/types.js';
import type { BookEvent, MarketEvent, QuoteEvent } from '../../../src/risk/events.js';
import {
  type Recorder,
  ack,
  bookFrame,
  deribitInstruments,
  feed,
  fixture,
  fixtureNames,
  instrument,
  newMarket,
  newProtocol,
  requests,
  tickerFrame,
} from './deribit-helpers.js';

const BTC_PERP = 'deribit:BTC/USD:BTC';
const ETH_PERP = 'deribit:ETH/USD:ETH';
const BTC_USDC = 'deribit:BTC/USDC:USDC';

/** A fixture request frame answered by the simulated venue: the reply frames, parsed. */
function simReplies(raw: string): Record<string, unknown>[] {
  const venue = new DeribitSimVenue(newMarket());
  const sent: string[] = [];
  const client: SimClient = { id: 1, url: new URL('ws://127.0.0.1/ws/api/v2'), send: (t) => sent.push(t), close: () => {} };
  venue.onConnect(client);
  venue.onClientMessage(client, raw);
  return sent.map((t) => JSON.parse(t) as Record<string, unknown>);
}

function only<T extends MarketEvent['type']>(io: Recorder, type: T): Extract<MarketEvent, { type: T }> {
  const list = io.ofType(type);
  expect(list).toHaveLength(1);
  return list[0]!;
}

function expectClean(io: Recorder): void {
  expect(io.letters).toEqual([]);
}

/** What each fixture file must give. A new file in the folder fails the coverage test below. */
const FIXTURE_EXPECTATIONS: Record<string, (raw: string) => void> = {
  'error-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expect(io.letters).toEqual([{ reason: 'venue_error', detail: '11050 bad_request (invalid json)', raw }]);
  },
  'heartbeat-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expect(io.sent).toEqual([]);
    expectClean(io);
  },
  'heartbeat-test_request-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expectClean(io);
    expect(requests(io.sent).map((r) => [r.method, r.params])).toEqual([['public/test', {}]]);
  },
  'heartbeat-test_request-2.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expectClean(io);
    expect(requests(io.sent).map((r) => r.method)).toEqual(['public/test']);
  },
  'perpetual-1.json': (raw) => {
    const io = feed(newProtocol(), raw, 42);
    expectClean(io);
    expect(io.events).toEqual([
      {
        type: 'mark',
        venue: 'deribit',
        instrument: BTC_USDC,
        exchTs: 1790133840887,
        recvTs: 42,
        markPrice: undefined,
        indexPrice: '86744.11',
        // 1.423032929843748e-4, exactly
        fundingRate: '0.0001423032929843748',
        nextFundingTs: undefined,
      },
    ]);
  },
  'set_heartbeat-request-1.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(simReplies(raw)).toMatchObject([{ jsonrpc: '2.0', id: 9098, result: 'ok', testnet: false }]);
  },
  'set_heartbeat-request-2.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(simReplies(raw)).toMatchObject([{ id: 1, result: 'ok' }]);
  },
  'set_heartbeat-response-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expectClean(io);
  },
  'subscribe-error-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.letters).toEqual([{ reason: 'venue_error', detail: '13778 raw_subscriptions_not_available_for_unauthorized', raw }]);
  },
  'subscribe-request-1.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    // The simulator serves instrument channels only: an index channel is silently left out.
    expect(simReplies(raw)).toMatchObject([{ id: 3600, result: [] }]);
  },
  'subscribe-request-2.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    const replies = simReplies(raw);
    // Ack (sorted, not request order, as live), then one snapshot per book channel.
    expect(replies[0]).toMatchObject({
      id: 3,
      result: ['book.BTC_USDC-PERPETUAL.100ms', 'book.BTC_USDC-PERPETUAL.none.20.100ms', 'book.ETH-PERPETUAL.100ms'],
    });
    const snapshots = replies.slice(1).map((r) => (r['params'] as { channel: string; data: { type?: string } }));
    expect(snapshots.map((s) => [s.channel, s.data.type])).toEqual([
      ['book.BTC_USDC-PERPETUAL.100ms', 'snapshot'],
      ['book.ETH-PERPETUAL.100ms', 'snapshot'],
      ['book.BTC_USDC-PERPETUAL.none.20.100ms', undefined],
    ]);
  },
  'subscribe-response-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expectClean(io);
  },
  'subscribe-response-2.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expectClean(io);
  },
  'test-request-1.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(simReplies(raw)).toMatchObject([{ id: 8212, result: { version: '1.2.26' } }]);
  },
  'test-request-2.json': (raw) => {
    expect(simReplies(raw)).toMatchObject([{ id: 12, result: { version: '1.2.26' } }]);
  },
  'test-response-1.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expectClean(io);
  },
  'ticker-option-1.json': (raw) => {
    const io = feed(newProtocol(), raw, 7);
    expectClean(io);
    const instrumentId = 'deribit:BTC/USD:BTC-210924-34000-P';
    expect(io.events).toEqual([
      {
        type: 'option',
        venue: 'deribit',
        instrument: instrumentId,
        exchTs: 1626993722931,
        recvTs: 7,
        markPrice: '0.15670957',
        markIv: '0.7657',
        underlyingPrice: '32366.75',
        indexPrice: '32201.67',
        bidIv: '0.7584',
        askIv: '0.7764',
        delta: '-0.4979',
        gamma: '0.00004',
        vega: '53.80944',
        theta: '-32.50023',
      },
      { type: 'quote', venue: 'deribit', instrument: instrumentId, exchTs: 1626993722931, recvTs: 7, bid: '0.1555', bidSize: '0.8', ask: '0.1585', askSize: '11.2' },
    ]);
  },
  'ticker-option-2.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expectClean(io);
    const o = only(io, 'option');
    expect(o.instrument).toBe('deribit:BTC/USD:BTC-200605-9250-C');
    expect([o.exchTs, o.markPrice, o.markIv, o.underlyingPrice, o.indexPrice, o.bidIv, o.askIv]).toEqual([
      1590969652595, '0.03847784', '0.6321', '9440.73', '9434.36', '0.5839', '0.669',
    ]);
    expect([o.delta, o.gamma, o.vega, o.theta]).toEqual(['0.62959', '0.00058', '3.88497', '-28.34113']);
    expect(only(io, 'quote')).toMatchObject({ bid: '0.0365', bidSize: '15.4', ask: '0.04', askSize: '4.8' });
  },
  'ticker-perp-1.json': (raw) => {
    const io = feed(newProtocol(), raw, 9);
    expectClean(io);
    expect(io.events).toEqual([
      {
        type: 'mark',
        venue: 'deribit',
        instrument: BTC_PERP,
        exchTs: 1765541474086,
        recvTs: 9,
        markPrice: '92281.78',
        indexPrice: '92263.55',
        fundingRate: '0.0',
        nextFundingTs: undefined,
      },
      // Inverse perpetual: USD amounts (117660.0, 186520.0) in contracts of 10 USD.
      { type: 'quote', venue: 'deribit', instrument: BTC_PERP, exchTs: 1765541474086, recvTs: 9, bid: '92283.5', bidSize: '11766.0', ask: '92284.0', askSize: '18652.0' },
    ]);
  },
  'ticker-perp-2.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expectClean(io);
    // Scientific notation, exactly: current_funding 1.423e-4.
    expect(only(io, 'mark')).toMatchObject({ instrument: BTC_USDC, exchTs: 1790133840887, markPrice: '86778.14', indexPrice: '86744.11', fundingRate: '0.0001423' });
    // Linear USDC perpetual: amounts in BTC.
    expect(only(io, 'quote')).toMatchObject({ instrument: BTC_USDC, bid: '86775.9', bidSize: '0.0645', ask: '86778.0', askSize: '0.3001' });
  },
  'trades-1.json': (raw) => {
    const io = feed(newProtocol(), raw, 3);
    expectClean(io);
    expect(io.events).toEqual([
      // Amounts 10.0 and 750.0 USD: 1 and 75 contracts of 10 USD.
      { type: 'trade', venue: 'deribit', instrument: BTC_PERP, exchTs: 1765531356452, recvTs: 3, price: '92294.5', size: '1.0', side: 'sell', tradeId: '403691824' },
      { type: 'trade', venue: 'deribit', instrument: BTC_PERP, exchTs: 1765531356452, recvTs: 3, price: '92288.5', size: '75.0', side: 'sell', tradeId: '403691825' },
    ]);
  },
  'trades-2.json': (raw) => {
    const io = feed(newProtocol(), raw);
    expectClean(io);
    expect(io.ofType('trade').map((t) => [t.instrument, t.exchTs, t.price, t.size, t.side, t.tradeId])).toEqual([
      [BTC_PERP, 1567296022565, '9598.5', '200.0', 'sell', '39355898'],
      [BTC_PERP, 1567296022565, '9598.5', '5.0', 'sell', '39355899'],
    ]);
  },
  'unsubscribe-request-1.json': (raw) => {
    expect(feed(newProtocol(), raw).letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(simReplies(raw)).toMatchObject([{ id: 8691, result: [] }]);
  },
};

describe('deribit fixtures', () => {
  it('has an expectation for every fixture file in the folder', () => {
    expect(Object.keys(FIXTURE_EXPECTATIONS).sort()).toEqual(fixtureNames());
  });
  for (const [name, check] of Object.entries(FIXTURE_EXPECTATIONS)) {
    it(name, () => check(fixture(name)));
  }
});

describe('deribit naming rule', () => {
  it('reproduces the registry id of every configured Deribit instrument', () => {
    expect(deribitInstruments.length).toBeGreaterThan(20);
    for (const ins of deribitInstruments) {
      expect(deriveDeribitSymbol(ins.spec.venueSymbol)).toEqual({ canonical: ins.id, kind: ins.kind });
    }
  });
  it('derives ids for names outside the registry', () => {
    expect(deriveDeribitSymbol('SOL_USDC-PERPETUAL')).toEqual({ canonical: 'deribit:SOL/USDC:USDC', kind: 'perpetual' });
    expect(deriveDeribitSymbol('BTC-5JUN20-9250-C')).toEqual({ canonical: 'deribit:BTC/USD:BTC-200605-9250-C', kind: 'option' });
    expect(deriveDeribitSymbol('XRP_USDC-30MAY25-2d2-C')).toEqual({ canonical: 'deribit:XRP/USDC:USDC-250530-2.2-C', kind: 'option' });
    expect(deriveDeribitSymbol('ETH-27MAR26')).toEqual({ canonical: 'deribit:ETH/USD:ETH-260327', kind: 'future' });
    expect(deriveDeribitSymbol('BTC_USDC')).toEqual({ canonical: 'deribit:BTC/USDC', kind: 'spot' });
  });
  it('refuses what is not an instrument name', () => {
    for (const bad of ['', 'btc_usd', 'BTC', 'BTC-FS-26DEC25_PERP', 'BTC-32JAN26', 'BTC-1XYZ26', 'BTC-25DEC26-70000-X', 'BTC-25DEC26-7.5-C', 'A-B-C-D-E']) {
      expect(deriveDeribitSymbol(bad)).toBeNull();
    }
  });
  it('dead-letters a ticker for a name the rule refuses as unknown_symbol', () => {
    const io = feed(newProtocol(), tickerFrame('BTC-FS-26DEC25_PERP', { timestamp: 1, mark_price: '1.0' }));
    expect(io.letters.map((l) => l.reason)).toEqual(['unknown_symbol']);
    expect(io.events).toEqual([]);
  });
});

describe('deribit numbers', () => {
  it('keeps exact tokens: exponents, trailing zeros, more digits than a double holds', () => {
    const io = feed(
      newProtocol(),
      tickerFrame('ETH-PERPETUAL', {
        timestamp: 1790000000000,
        mark_price: '2.2e3',
        index_price: '2199.9999999999999999',
        current_funding: '-5.149E-5',
        best_bid_price: '2199.95',
        best_bid_amount: '1.5e4',
        best_ask_price: '2200.05',
        best_ask_amount: '7',
      }),
    );
    expectClean(io);
    expect(only(io, 'mark')).toMatchObject({ instrument: ETH_PERP, markPrice: '2200', indexPrice: '2199.9999999999999999', fundingRate: '-0.00005149' });
    expect(only(io, 'quote')).toMatchObject({ bid: '2199.95', bidSize: '15000', ask: '2200.05', askSize: '7' });
  });
  it('accepts numbers sent as strings, and reads null / "expired" in optional fields as absent', () => {
    const io = feed(
      newProtocol(),
      tickerFrame('BTC-25DEC26', { timestamp: 1, state: '"open"', mark_price: '"95000.5"', index_price: null, estimated_delivery_price: '"expired"', last_price: null }),
    );
    expectClean(io);
    expect(only(io, 'mark')).toMatchObject({ instrument: 'deribit:BTC/USD:BTC-261225', markPrice: '95000.5', indexPrice: undefined, fundingRate: undefined });
    expect(io.ofType('quote')).toEqual([]);
  });
  it('converts percent IV to a fraction exactly', () => {
    expect(percentToFraction('76.57')).toBe('0.7657');
    expect(percentToFraction('100')).toBe('1.00');
    expect(percentToFraction('7.657e1')).toBe('0.7657');
    expect(percentToFraction('0.5')).toBe('0.005');
    expect(percentToFraction('x')).toBeNull();
  });
  it('treats an empty quote side (price 0, amount 0) as null and drops its IV', () => {
    const io = feed(
      newProtocol(),
      tickerFrame('BTC-25DEC26-70000-C', {
        timestamp: 1,
        state: '"open"',
        mark_price: '0.3215',
        mark_iv: '48.1',
        underlying_price: '98000.0',
        index_price: '97000.0',
        bid_iv: '0.0',
        ask_iv: '49.0',
        best_bid_price: '0.0',
        best_bid_amount: '0.0',
        best_ask_price: '0.33',
        best_ask_amount: '2.5',
        greeks: '{"delta":0.8,"gamma":1.0e-5,"vega":120.5,"theta":-40.1,"rho":200.0}',
      }),
    );
    expectClean(io);
    expect(only(io, 'option')).toMatchObject({ markIv: '0.481', bidIv: undefined, askIv: '0.490', delta: '0.8', gamma: '0.000010' });
    expect(only(io, 'quote')).toMatchObject({ bid: null, bidSize: null, ask: '0.33', askSize: '2.5' });
  });
  it('writes Deribit-style number text in the simulator (shorter of plain and exponent)', () => {
    expect(['2200', '1054', '10', '750', '186520', '0.0001423', '0.00005149', '0', '-0.5', '92284.50'].map(deribitNumberText)).toEqual([
      '2.2e3', '1054.0', '10.0', '750.0', '186520.0', '1.423e-4', '5.149e-5', '0.0', '-0.5', '92284.5',
    ]);
  });
});

/**
 * Regression (bench:feeds found it): sizes were emitted as Deribit's amounts, so a BTC-PERPETUAL
 * size was in USD, ten times its number of 10-USD contracts, while Keel's sizes (orders, fills,
 * the liquidity check against the best level) are contracts.
 */
describe('deribit sizes are contracts', () => {
  it('divides inverse amounts (USD) by the contract size in trades, book levels and quotes', () => {
    const trades = feed(
      newProtocol(),
      '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.100ms","data":[' +
        '{"timestamp":1,"price":92294.5,"amount":750.0,"direction":"sell","instrument_name":"BTC-PERPETUAL","trade_id":"1"},' +
        '{"timestamp":1,"price":95000.0,"amount":2.2e3,"direction":"buy","instrument_name":"BTC-25DEC26","trade_id":"2"},' +
        '{"timestamp":1,"price":3000.5,"amount":7,"direction":"buy","instrument_name":"ETH-PERPETUAL","trade_id":"3"}]}}',
    );
    expectClean(trades);
    expect(trades.ofType('trade').map((t) => [t.instrument, t.size])).toEqual([
      [BTC_PERP, '75.0'],
      ['deribit:BTC/USD:BTC-261225', '220'],
      [ETH_PERP, '7'],
    ]);
    const { p } = subscribed(['BTC-PERPETUAL']);
    const book = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 1, bids: [['new', '92283.5', '117660.0']], asks: [['new', '92284.0', '15']] }));
    expectClean(book);
    expect(lastBook(book)).toMatchObject({ bids: [['92283.5', '11766.0']], asks: [['92284.0', '1.5']] });
    expect(only(book, 'quote')).toMatchObject({ bidSize: '11766.0', askSize: '1.5' });
    const ticker = feed(newProtocol(), tickerFrame('BTC-25DEC26', { timestamp: 1, best_bid_price: '95000.0', best_bid_amount: '5000.0', best_ask_price: '95002.5', best_ask_amount: '20' }));
    expect(only(ticker, 'quote')).toMatchObject({ bidSize: '500.0', askSize: '2' });
  });

  it('keeps amounts where a contract is one unit (linear USDC, options) and for names outside the registry', () => {
    const linear = feed(newProtocol(), tickerFrame('BTC_USDC-PERPETUAL', { timestamp: 1, best_bid_price: '86775.9', best_bid_amount: '0.0645', best_ask_price: '86778.0', best_ask_amount: '0.3001' }));
    expect(only(linear, 'quote')).toMatchObject({ bidSize: '0.0645', askSize: '0.3001' });
    const unregistered = feed(newProtocol(), tickerFrame('BTC-27MAR27', { timestamp: 1, best_bid_price: '96000.0', best_bid_amount: '5000.0', best_ask_price: '96002.5', best_ask_amount: '20' }));
    expectClean(unregistered);
    expect(only(unregistered, 'quote')).toMatchObject({ instrument: 'deribit:BTC/USD:BTC-270327', bidSize: '5000.0', askSize: '20' });
  });
});

describe('deribit tickers: state and required fields', () => {
  it('emits halted when the state is not open, and ok again when it reopens after the subscription was confirmed', () => {
    const p = newProtocol();
    const opt = instrument('BTC-25DEC26-70000-C');
    const frames = requests(p.subscribeMessages([opt]));
    const sub = frames[1]!;
    expect(feed(p, ack(sub.id, sub.params.channels!)).ofType('status').map((s) => s.status)).toEqual(['ok']);
    const closed = feed(p, tickerFrame(opt.spec.venueSymbol, { timestamp: 5, state: '"closed"', mark_price: null, mark_iv: null }));
    expectClean(closed);
    expect(closed.events).toEqual([
      { type: 'status', venue: 'deribit', instrument: opt.id, exchTs: 5, recvTs: 1, status: 'halted', reason: 'instrument state closed' },
    ]);
    const again = feed(p, tickerFrame(opt.spec.venueSymbol, { timestamp: 6, state: '"closed"' }));
    expect(again.events).toEqual([]);
    const open = feed(p, tickerFrame(opt.spec.venueSymbol, { timestamp: 7, state: '"open"', mark_price: '0.1', mark_iv: '50', underlying_price: '90000' }));
    expect(open.events.map((e) => e.type)).toEqual(['status', 'option']);
    expect(open.ofType('status')[0]!.status).toBe('ok');
  });
  it('dead-letters an open option ticker without mark_iv as invalid_field', () => {
    const io = feed(newProtocol(), tickerFrame('BTC-25DEC26-70000-C', { timestamp: 1, state: '"open"', mark_price: '0.1', underlying_price: '9.0e4' }));
    expect(io.letters.map((l) => [l.reason, l.detail])).toEqual([['invalid_field', 'field "mark_iv": missing']]);
    expect(io.events).toEqual([]);
  });
  it('dead-letters a ticker without a timestamp', () => {
    const io = feed(newProtocol(), tickerFrame('BTC-PERPETUAL', { mark_price: '1.0' }));
    expect(io.letters.map((l) => [l.reason, l.detail])).toEqual([['invalid_field', 'field "timestamp": not an integer']]);
  });
  it('refuses a trades frame whole when one element is bad', () => {
    const raw =
      '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.100ms","data":[' +
      '{"timestamp":1,"price":1.5,"amount":10.0,"direction":"buy","instrument_name":"BTC-PERPETUAL","trade_id":"1"},' +
      '{"timestamp":1,"price":1.5,"amount":10.0,"direction":"up","instrument_name":"BTC-PERPETUAL","trade_id":"2"}]}}';
    const io = feed(newProtocol(), raw);
    expect(io.events).toEqual([]);
    expect(io.letters.map((l) => [l.reason, l.detail])).toEqual([['invalid_field', 'data[1] field "direction": not buy|sell']]);
  });
});

describe('deribit subscription and heartbeats', () => {
  it('subscribes ticker + trades everywhere and the book on all but options, after set_heartbeat', () => {
    const p = newProtocol();
    const frames = requests(p.subscribeMessages([instrument('BTC-PERPETUAL'), instrument('BTC-25DEC26-70000-C')]));
    expect(frames.map((f) => f.method)).toEqual(['public/set_heartbeat', 'public/subscribe']);
    expect(frames[0]!.params).toEqual({ interval: 10 });
    expect(frames[1]!.params.channels).toEqual([
      'ticker.BTC-PERPETUAL.100ms',
      'trades.BTC-PERPETUAL.100ms',
      'book.BTC-PERPETUAL.100ms',
      'ticker.BTC-25DEC26-70000-C.100ms',
      'trades.BTC-25DEC26-70000-C.100ms',
    ]);
    expect(new Set(frames.map((f) => f.id)).size).toBe(2);
    expect(p.path()).toBe('/ws/api/v2');
    expect(p.keepalive).toBeUndefined();
  });
  it('diffs the ack: a missing channel is a venue_error and leaves only that instrument not ok', () => {
    const p = newProtocol();
    const opt = instrument('BTC-25DEC26-70000-C');
    const opt2 = instrument('BTC-25DEC26-70000-P');
    const sub = requests(p.subscribeMessages([opt, opt2]))[1]!;
    const missing = `trades.${opt2.spec.venueSymbol}.100ms`;
    const io = feed(p, ack(sub.id, [...sub.params.channels!].filter((c) => c !== missing).reverse()));
    expect(io.letters.map((l) => [l.reason, l.detail])).toEqual([['venue_error', `subscribe: 1 of 4 channels not subscribed: ${missing}`]]);
    expect(io.ofType('status').map((s) => [s.instrument, s.status, s.reason])).toEqual([
      [opt.id, 'ok', undefined],
      [opt2.id, 'disconnected', `subscription refused: ${missing}`],
    ]);
    // Its data still parses, but it never turns ok on this connection.
    const later = feed(p, tickerFrame(opt2.spec.venueSymbol, { timestamp: 1, state: '"open"', mark_price: '0.1', mark_iv: '50', underlying_price: '90000' }));
    expect(later.ofType('status')).toEqual([]);
    expect(later.ofType('option')).toHaveLength(1);
  });
  it('marks every instrument of a refused subscribe call disconnected (13778)', () => {
    const p = newProtocol();
    const sub = requests(p.subscribeMessages([instrument('ETH-PERPETUAL')]))[1]!;
    const io = feed(p, `{"jsonrpc":"2.0","id":${sub.id},"error":{"code":13778,"message":"raw_subscriptions_not_available_for_unauthorized"},"testnet":false}`);
    expect(io.letters.map((l) => [l.reason, l.detail])).toEqual([
      ['venue_error', '13778 raw_subscriptions_not_available_for_unauthorized in reply to public/subscribe'],
    ]);
    expect(io.ofType('status').map((s) => [s.instrument, s.status])).toEqual([[ETH_PERP, 'disconnected']]);
  });
  it('answers every test_request with public/test, each with a new id', () => {
    const p = newProtocol();
    const a = feed(p, fixture('heartbeat-test_request-1.json'));
    const b = feed(p, fixture('heartbeat-test_request-2.json'));
    const ids = requests([...a.sent, ...b.sent]).map((r) => r.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });
  it('dead-letters unknown heartbeat types, unknown channels and non-objects', () => {
    const p = newProtocol();
    expect(feed(p, '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"pong"}}').letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(feed(p, '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"deribit_price_index.btc_usd","data":{"price":1}}}').letters.map((l) => l.reason)).toEqual([
      'unknown_message',
    ]);
    expect(feed(p, '[1,2]').letters.map((l) => l.reason)).toEqual(['unknown_message']);
    expect(feed(p, '{"jsonrpc":"2.0"').letters.map((l) => l.reason)).toEqual(['invalid_json']);
    expect(feed(p, '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"platform_state","data":{"locked":false,"price_index":"btc_usd"}}}').letters).toEqual([]);
  });
});

/* Book sync ------------------------------------------------------------------------------------- */

function subscribed(names: string[]): { p: ReturnType<typeof newProtocol>; sentIds: number[] } {
  const p = newProtocol(3);
  const frames = requests(p.subscribeMessages(names.map(instrument)));
  const sub = frames[1]!;
  feed(p, ack(sub.id, sub.params.channels!));
  return { p, sentIds: frames.map((f) => f.id) };
}

function lastBook(io: Recorder): BookEvent {
  const books = io.ofType('book');
  return books[books.length - 1]!;
}

describe('deribit book sync', () => {
  it('loads a snapshot, applies the prev_change_id chain, and emits book + quote per update', () => {
    const { p } = subscribed(['BTC-PERPETUAL']);
    const snap = feed(
      p,
      bookFrame({
        name: 'BTC-PERPETUAL',
        type: 'snapshot',
        changeId: 100,
        ts: 1000,
        bids: [['new', '92283.5', '117660.0'], ['new', '92283.0', '5000.0'], ['new', '92282.5', '20.0'], ['new', '92282.0', '10.0']],
        asks: [['new', '92284.0', '186520.0'], ['new', '92285.0', '2.2e3']],
      }),
    );
    expectClean(snap);
    expect(snap.events.map((e) => e.type)).toEqual(['book', 'quote', 'status']);
    // Sizes in contracts of 10 USD (the wire amounts are USD).
    expect(snap.events[0]).toEqual({
      type: 'book',
      venue: 'deribit',
      instrument: BTC_PERP,
      exchTs: 1000,
      recvTs: 1,
      bids: [['92283.5', '11766.0'], ['92283.0', '500.0'], ['92282.5', '2.0']],
      asks: [['92284.0', '18652.0'], ['92285.0', '220']],
      seq: '100',
    });
    expect(snap.events[1]).toEqual({ type: 'quote', venue: 'deribit', instrument: BTC_PERP, exchTs: 1000, recvTs: 1, bid: '92283.5', bidSize: '11766.0', ask: '92284.0', askSize: '18652.0' });
    expect(snap.events[2]).toMatchObject({ type: 'status', instrument: BTC_PERP, status: 'ok' });
    // change_id jumps (shared counter); only prev_change_id chains.
    const change = feed(
      p,
      bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 157, prev: 100, ts: 1100, bids: [['delete', '92283.5', '0.0'], ['new', '92283.2', '40.0']], asks: [['change', '92284.0', '10.0']] }),
    );
    expectClean(change);
    expect(change.events.map((e) => e.type)).toEqual(['book', 'quote']);
    expect(lastBook(change)).toMatchObject({ bids: [['92283.2', '4.0'], ['92283.0', '500.0'], ['92282.5', '2.0']], asks: [['92284.0', '1.0'], ['92285.0', '220']], seq: '157' });
    expect(change.ofType('quote')[0]).toMatchObject({ bid: '92283.2', bidSize: '4.0', ask: '92284.0', askSize: '1.0', exchTs: 1100 });
    // Ticker quotes are suppressed while the book is the quote source.
    const ticker = feed(p, fixture('ticker-perp-1.json'));
    expect(ticker.events.map((e) => e.type)).toEqual(['mark']);
  });

  it('tolerates deletes of absent levels', () => {
    const { p } = subscribed(['BTC-PERPETUAL']);
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 1, bids: [['new', '10', '10']], asks: [['new', '11', '10']] }));
    const io = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 2, prev: 1, bids: [['delete', '9', '0.0']], asks: [['delete', '12.5', '0']] }));
    expectClean(io);
    expect(lastBook(io)).toMatchObject({ bids: [['10', '1']], asks: [['11', '1']], seq: '2' });
    expect(io.ofType('status')).toEqual([]);
  });

  it('drops stale and duplicate updates as out_of_sequence without touching the book', () => {
    const { p } = subscribed(['BTC-PERPETUAL']);
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 50, bids: [['new', '10', '10']], asks: [['new', '11', '10']] }));
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 60, prev: 50, bids: [['change', '10', '20']] }));
    for (const [changeId, prev] of [
      [60, 50],
      [55, 40],
    ] as const) {
      const io = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId, prev, bids: [['change', '10', '990']] }));
      expect(io.events).toEqual([]);
      expect(io.letters.map((l) => l.reason)).toEqual(['out_of_sequence']);
    }
    const next = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 61, prev: 60, asks: [['new', '12', '30']] }));
    expect(lastBook(next)).toMatchObject({ bids: [['10', '2']], asks: [['11', '1'], ['12', '3']] });
  });

  it('on a gap resyncs only that instrument (unsubscribe + subscribe its book) while another keeps serving', () => {
    const { p } = subscribed(['BTC-PERPETUAL', 'ETH-PERPETUAL']);
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 10, bids: [['new', '100', '10']], asks: [['new', '101', '10']] }));
    feed(p, bookFrame({ name: 'ETH-PERPETUAL', type: 'snapshot', changeId: 11, bids: [['new', '3000', '1']], asks: [['new', '3001', '1']] }));

    const gap = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 30, prev: 20, bids: [['new', '99', '50']] }));
    expectClean(gap);
    expect(gap.events).toEqual([
      { type: 'status', venue: 'deribit', instrument: BTC_PERP, exchTs: 1790133840000, recvTs: 1, status: 'resyncing', reason: 'gap: prev_change_id 20 != last change_id 10' },
    ]);
    const resync = requests(gap.sent);
    expect(resync.map((r) => [r.method, r.params.channels])).toEqual([
      ['public/unsubscribe', ['book.BTC-PERPETUAL.100ms']],
      ['public/subscribe', ['book.BTC-PERPETUAL.100ms']],
    ]);

    // ETH keeps serving.
    const eth = feed(p, bookFrame({ name: 'ETH-PERPETUAL', type: 'change', changeId: 31, prev: 11, asks: [['new', '3000.5', '2']] }));
    expect(eth.events.map((e) => [e.type, e.instrument])).toEqual([
      ['book', ETH_PERP],
      ['quote', ETH_PERP],
    ]);
    expect(eth.ofType('quote')[0]).toMatchObject({ ask: '3000.5', askSize: '2' });

    // BTC changes in flight from the old subscription are dropped quietly.
    const inflight = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 32, prev: 30, bids: [['new', '98', '10']] }));
    expect(inflight.events).toEqual([]);
    expectClean(inflight);

    // Acks of the resync requests are control frames; the subscribe ack is diffed (all present).
    const acks = feed(p, ack(resync[0]!.id, ['book.BTC-PERPETUAL.100ms']));
    expect(acks.events).toEqual([]);
    expect(feed(p, ack(resync[1]!.id, ['book.BTC-PERPETUAL.100ms'])).letters).toEqual([]);

    const rebuilt = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 40, bids: [['new', '99', '50'], ['new', '98', '10']], asks: [['new', '101', '10']] }));
    expect(rebuilt.events.map((e) => e.type)).toEqual(['book', 'quote', 'status']);
    expect(lastBook(rebuilt)).toMatchObject({ bids: [['99', '5'], ['98', '1']], asks: [['101', '1']], seq: '40' });
    expect(rebuilt.ofType('status')[0]).toMatchObject({ instrument: BTC_PERP, status: 'ok' });
    const chained = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 41, prev: 40, asks: [['new', '100.5', '10']] }));
    expect(chained.ofType('quote')[0]).toMatchObject({ bid: '99', ask: '100.5' });
  });

  it('rebuilds when a change arrives before any snapshot, and after a malformed change', () => {
    const { p } = subscribed(['BTC-PERPETUAL']);
    const early = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 5, prev: 4 }));
    expect(early.ofType('status').map((s) => [s.status, s.reason])).toEqual([['resyncing', 'book change before any snapshot']]);
    expect(requests(early.sent).map((r) => r.method)).toEqual(['public/unsubscribe', 'public/subscribe']);
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 6, bids: [['new', '1', '1']] }));
    const bad = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 7, prev: 6, bids: [['change', '1', '"lots"' as string]] }));
    expect(bad.letters.map((l) => [l.reason, l.detail])).toEqual([['invalid_field', 'bids[0]: amount not a decimal']]);
    expect(bad.ofType('status').map((s) => s.status)).toEqual(['resyncing']);
  });

  it('replays without a subscription (keel parse): snapshot, chain, and a gap marks resyncing with nothing sent', () => {
    const p = newProtocol(2);
    const snap = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 1, bids: [['new', '10', '1']], asks: [['new', '11', '1']] }));
    expect(snap.events.map((e) => e.type)).toEqual(['book', 'quote', 'status']);
    const gap = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 9, prev: 8 }));
    expect(gap.ofType('status').map((s) => s.status)).toEqual(['resyncing']);
    expect(gap.sent).toEqual([]);
  });

  it('treats the grouped channel (no type, no prev_change_id) as a full window each time', () => {
    const p = newProtocol(2);
    const raw =
      '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC_USDC-PERPETUAL.none.20.100ms","data":{"timestamp":1790133841369,"change_id":193809623552,' +
      '"instrument_name":"BTC_USDC-PERPETUAL","bids":[[86775.8,0.216],[86773.4,0.0477],[86772.9,0.0002]],"asks":[[86776.0,0.0009],[86778.0,0.3001],[86778.5,0.0361]]}}}';
    const io = feed(p, raw);
    expectClean(io);
    expect(lastBook(io)).toMatchObject({ instrument: BTC_USDC, bids: [['86775.8', '0.216'], ['86773.4', '0.0477']], asks: [['86776.0', '0.0009'], ['86778.0', '0.3001']], seq: '193809623552' });
    expect((io.ofType('quote')[0] as QuoteEvent).bidSize).toBe('0.216');
  });

  it('forgets everything on reset()', () => {
    const { p } = subscribed(['BTC-PERPETUAL']);
    feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'snapshot', changeId: 1, bids: [['new', '10', '1']] }));
    p.reset();
    // Same frame again after a reconnect: treated as never synced, and the old ack id is unknown.
    const io = feed(p, bookFrame({ name: 'BTC-PERPETUAL', type: 'change', changeId: 2, prev: 1 }));
    expect(io.ofType('status').map((s) => s.status)).toEqual(['resyncing']);
  });
});
