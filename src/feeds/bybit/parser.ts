/**
 * Bybit v5 public WebSocket parser for one category (spot, linear, inverse, option): one raw text
 * frame -> one `BybitFrame`. The category comes from the connection (`/v5/public/<category>`),
 * because topics and symbols look the same across categories (`tickers.BTCUSDT` is spot on /spot
 * and the perpetual on /linear). Never throws. Semantics (docs/feeds/bybit.md):
 *   - trade side = `S`, documented as the taker's side; exchTs = `T` (fill time, ms);
 *   - sizes as sent: base coin for spot and linear (contracts of 1 base unit), USD contracts for
 *     inverse (contractSize 1), option contracts (1 underlying unit);
 *   - tickers on linear/inverse are a `snapshot` then `delta`s: a field absent from a delta is
 *     unchanged (shallow merge into per-symbol state), "" means "no value" (dated futures have no
 *     funding). The merged state is emitted as `mark` when a delta touches a mark field and as
 *     `quote` when it touches a best bid/ask field (a present field may still be unchanged, so the
 *     event repeats the merged state; it never infers a change from presence);
 *   - spot tickers carry no bid/ask or mark: recognised, nothing emitted;
 *   - option tickers (snapshot every push) -> `option` (IVs are fractions) + `quote`; "0" prices
 *     and IVs on an empty side mean "none".
 * Orderbook messages come out as `BybitBookUpdate`s for the book sync. A frame is taken whole or
 * refused whole.
 */
import type { MarketEvent, MarkEvent, OptionEvent, QuoteEvent } from '../../risk/events.js';
import type { FeedId, InstrumentRegistry } from '../../portfolio/instruments.js';
import type { DeadLetterReason } from '../types.js';
import { isZeroDecimal } from '../decimal.js';
import { FieldReader, type FrameRefusal, JsonFrameReader, isObject, type JsonObject } from '../field-reader.js';
import type { SequencedBookUpdate } from '../sequenced-book-sync.js';
import { BYBIT_FEED, BybitSymbols, type BybitCategory } from './symbols.js';

/** One orderbook push for one topic. */
export interface BybitBookUpdate extends SequencedBookUpdate {
  /** `orderbook.<depth>.<symbol>`: the sync key and what a resync resubscribes. */
  readonly topic: string;
  readonly depth: number;
  readonly symbol: string;
  /** Update id: +1 per message of the topic (see book-sync.ts), 1 after a service restart. */
  readonly u: number;
  /** Cross sequence (comparable across depths of a symbol); informational. */
  readonly seq: number | undefined;
}

export type BybitControl = 'pong' | 'subscribe' | 'unsubscribe' | 'auth';

export type BybitFrame =
  | { readonly kind: 'data'; readonly events: readonly MarketEvent[]; readonly book: BybitBookUpdate | undefined }
  | { readonly kind: 'control'; readonly control: BybitControl }
  | { readonly kind: 'venue_error'; readonly detail: string }
  | { readonly kind: 'dead'; readonly reason: DeadLetterReason; readonly detail: string };

export interface BybitParserOptions {
  registry: InstrumentRegistry;
  category: BybitCategory;
  /**
   * Emit `quote` events from tickers (default true). A protocol that also keeps the order book
   * turns it off so one source (the book, 20 ms) owns the quote rather than two interleaving.
   */
  quotesFromTickers?: boolean | undefined;
}

/** Merged ticker state of one linear/inverse symbol. */
class TickerState {
  bid: string | undefined = undefined;
  bidSize: string | undefined = undefined;
  ask: string | undefined = undefined;
  askSize: string | undefined = undefined;
  markPrice: string | undefined = undefined;
  indexPrice: string | undefined = undefined;
  fundingRate: string | undefined = undefined;
  nextFundingTs: number | undefined = undefined;
}

const QUOTE_KEYS = ['bid1Price', 'bid1Size', 'ask1Price', 'ask1Size'] as const;
const MARK_KEYS = ['markPrice', 'indexPrice', 'fundingRate', 'nextFundingTime'] as const;

function dead(reason: DeadLetterReason, detail: string): BybitFrame {
  return { kind: 'dead', reason, detail };
}

function refused(refusal: FrameRefusal): BybitFrame {
  return dead(refusal.reason, refusal.detail);
}

const PONG: BybitFrame = Object.freeze({ kind: 'control', control: 'pong' });
/** Orderbook frames carry no direct events (the sync makes them): no array per message. */
const NO_EVENTS: readonly MarketEvent[] = Object.freeze([]);

export class BybitParser {
  readonly category: BybitCategory;
  readonly feed: FeedId;
  private readonly symbols: BybitSymbols;
  private readonly quotesFromTickers: boolean;
  private readonly fields = new FieldReader();
  private readonly frames = new JsonFrameReader();
  private readonly tickers = new Map<string, TickerState>();
  /** The merged ticker state of the frame being read, committed by `parse` if the frame is taken. */
  private pendingTicker: { symbol: string; state: TickerState } | undefined = undefined;

  constructor(options: BybitParserOptions) {
    this.category = options.category;
    this.feed = BYBIT_FEED[options.category];
    this.symbols = new BybitSymbols(options.registry, options.category);
    this.quotesFromTickers = options.quotesFromTickers ?? true;
  }

  /** Forget ticker state (the connection closed; a new subscription starts with a snapshot). */
  reset(): void {
    this.tickers.clear();
  }

  parse(raw: string, recvTs: number): BybitFrame {
    const message = this.frames.object(raw);
    if (message === undefined) return refused(this.frames.refusal);
    let frame = this.read(message, recvTs);
    if (this.fields.inexact) {
      // A decimal came as a JSON number: read the frame again from its exact number tokens.
      const exact = this.frames.exactObject(raw);
      if (exact === undefined) return refused(this.frames.refusal);
      frame = this.read(exact, recvTs);
    }
    // Reads are side-effect free; the ticker merge commits only for a frame that is taken.
    const pending = this.pendingTicker;
    if (pending !== undefined) {
      this.pendingTicker = undefined;
      if (frame.kind === 'data') this.tickers.set(pending.symbol, pending.state);
    }
    return frame;
  }

  private read(message: JsonObject, recvTs: number): BybitFrame {
    this.fields.begin();
    this.pendingTicker = undefined;
    const topic = message['topic'];
    if (typeof topic === 'string') return this.readPush(message, topic, recvTs);
    if (message['type'] === 'COMMAND_RESP') return readCommandResponse(message);
    const op = message['op'];
    if (typeof op === 'string') return readOp(message, op);
    return dead('unknown_message', 'neither a topic push nor an op response');
  }

  private readPush(message: JsonObject, topic: string, recvTs: number): BybitFrame {
    const dot = topic.indexOf('.');
    const channel = dot < 0 ? topic : topic.slice(0, dot);
    switch (channel) {
      case 'orderbook':
        return this.readOrderbook(message, topic, recvTs);
      case 'publicTrade':
        return this.readTrades(message, recvTs);
      case 'tickers':
        return this.readTicker(message, topic.slice(dot + 1), recvTs);
      default:
        return dead('unknown_message', `topic "${topic}" not handled`);
    }
  }

  private resolve(symbol: string): string | undefined {
    return this.symbols.resolve(symbol)?.id;
  }

  private readOrderbook(message: JsonObject, topic: string, recvTs: number): BybitFrame {
    const f = this.fields;
    const parts = topic.split('.');
    const depth = Number(parts[1]);
    if (parts.length !== 3 || !Number.isInteger(depth) || depth <= 0) return dead('unknown_message', `topic "${topic}" is not orderbook.<depth>.<symbol>`);
    const type = message['type'];
    if (type !== 'snapshot' && type !== 'delta') return dead('invalid_field', 'field "type": not snapshot|delta');
    const data = message['data'];
    if (!isObject(data)) return dead('invalid_field', 'field "data": not an object');
    const symbol = f.string(data, 's');
    const bids = f.levels(data, 'b');
    const asks = f.levels(data, 'a');
    const u = f.int(data, 'u');
    const seq = f.optInt(data, 'seq');
    const exchTs = f.ms(message, 'ts');
    if (f.problem !== null) return dead('invalid_field', f.problem);
    if (symbol !== parts[2]) return dead('invalid_field', `field "s": ${symbol} does not match topic ${topic}`);
    const instrument = this.resolve(symbol);
    if (instrument === undefined) return dead('unknown_symbol', `symbol "${symbol}" has no known ${this.category} shape`);
    const book: BybitBookUpdate = { topic, depth, symbol, instrument, snapshot: type === 'snapshot', bids, asks, u, seq, exchTs, recvTs };
    return { kind: 'data', events: NO_EVENTS, book };
  }

  private readTrades(message: JsonObject, recvTs: number): BybitFrame {
    const f = this.fields;
    const data = message['data'];
    if (!Array.isArray(data)) return dead('invalid_field', 'field "data": not an array');
    const events: MarketEvent[] = [];
    for (let i = 0; i < data.length; i++) {
      const item: unknown = data[i];
      if (!isObject(item)) return dead('invalid_field', `field "data[${i}]": not an object`);
      const symbol = f.string(item, 's');
      const side = item['S'];
      if (side !== 'Buy' && side !== 'Sell') f.fail('field "S": not Buy|Sell');
      const price = f.decimal(item, 'p');
      const size = f.decimal(item, 'v');
      const tradeId = f.string(item, 'i');
      const exchTs = f.ms(item, 'T');
      if (f.problem !== null) return dead('invalid_field', f.problem);
      const instrument = this.resolve(symbol);
      if (instrument === undefined) return dead('unknown_symbol', `symbol "${symbol}" has no known ${this.category} shape`);
      events.push({ type: 'trade', venue: 'bybit', instrument, exchTs, recvTs, price, size, side: side === 'Sell' ? 'sell' : 'buy', tradeId });
    }
    return { kind: 'data', events, book: undefined };
  }

  private readTicker(message: JsonObject, topicSymbol: string, recvTs: number): BybitFrame {
    const f = this.fields;
    const data = message['data'];
    if (!isObject(data)) return dead('invalid_field', 'field "data": not an object');
    const symbol = typeof data['symbol'] === 'string' ? data['symbol'] : topicSymbol;
    const instrument = this.resolve(symbol);
    if (instrument === undefined) return dead('unknown_symbol', `symbol "${symbol}" has no known ${this.category} shape`);
    const exchTs = f.ms(message, 'ts');
    if (f.problem !== null) return dead('invalid_field', f.problem);
    switch (this.category) {
      case 'spot':
        // Spot tickers carry last price and 24 h statistics only: nothing normalised to emit.
        return { kind: 'data', events: NO_EVENTS, book: undefined };
      case 'option':
        return this.readOptionTicker(data, instrument, exchTs, recvTs);
      case 'linear':
      case 'inverse':
        break;
    }
    const type = message['type'];
    if (type !== 'snapshot' && type !== 'delta') return dead('invalid_field', 'field "type": not snapshot|delta');
    // Read into a scratch state first: a refused frame must not half-merge.
    const previous = this.tickers.get(symbol);
    const next = new TickerState();
    if (type === 'delta' && previous !== undefined) Object.assign(next, previous);
    const touchesQuote = anyPresent(data, QUOTE_KEYS);
    const touchesMark = anyPresent(data, MARK_KEYS);
    if (data['bid1Price'] !== undefined || type === 'snapshot') next.bid = f.optDecimal(data, 'bid1Price');
    if (data['bid1Size'] !== undefined || type === 'snapshot') next.bidSize = f.optDecimal(data, 'bid1Size');
    if (data['ask1Price'] !== undefined || type === 'snapshot') next.ask = f.optDecimal(data, 'ask1Price');
    if (data['ask1Size'] !== undefined || type === 'snapshot') next.askSize = f.optDecimal(data, 'ask1Size');
    if (data['markPrice'] !== undefined || type === 'snapshot') next.markPrice = f.optDecimal(data, 'markPrice');
    if (data['indexPrice'] !== undefined || type === 'snapshot') next.indexPrice = f.optDecimal(data, 'indexPrice');
    if (data['fundingRate'] !== undefined || type === 'snapshot') next.fundingRate = f.optDecimal(data, 'fundingRate', true);
    if (data['nextFundingTime'] !== undefined || type === 'snapshot') next.nextFundingTs = f.optMs(data, 'nextFundingTime');
    if (f.problem !== null) return dead('invalid_field', f.problem);
    this.pendingTicker = { symbol, state: next };
    const events: MarketEvent[] = [];
    if (touchesMark) {
      const mark: MarkEvent = {
        type: 'mark',
        venue: 'bybit',
        instrument,
        exchTs,
        recvTs,
        markPrice: next.markPrice,
        indexPrice: next.indexPrice,
        fundingRate: next.fundingRate,
        nextFundingTs: next.nextFundingTs,
      };
      events.push(mark);
    }
    if (touchesQuote && this.quotesFromTickers) {
      events.push(quote(instrument, exchTs, recvTs, next.bid, next.bidSize, next.ask, next.askSize));
    }
    return { kind: 'data', events, book: undefined };
  }

  private readOptionTicker(data: JsonObject, instrument: string, exchTs: number, recvTs: number): BybitFrame {
    const f = this.fields;
    const bid = nonZero(f.optDecimal(data, 'bidPrice'));
    const ask = nonZero(f.optDecimal(data, 'askPrice'));
    const option: OptionEvent = {
      type: 'option',
      venue: 'bybit',
      instrument,
      exchTs,
      recvTs,
      markPrice: f.decimal(data, 'markPrice'),
      markIv: f.decimal(data, 'markPriceIv'),
      underlyingPrice: f.decimal(data, 'underlyingPrice'),
      indexPrice: f.optDecimal(data, 'indexPrice'),
      bidIv: nonZero(f.optDecimal(data, 'bidIv')),
      askIv: nonZero(f.optDecimal(data, 'askIv')),
      delta: f.optDecimal(data, 'delta', true),
      gamma: f.optDecimal(data, 'gamma', true),
      vega: f.optDecimal(data, 'vega', true),
      theta: f.optDecimal(data, 'theta', true),
    };
    const bidSize = bid === undefined ? undefined : f.optDecimal(data, 'bidSize');
    const askSize = ask === undefined ? undefined : f.optDecimal(data, 'askSize');
    if (f.problem !== null) return dead('invalid_field', f.problem);
    const events: MarketEvent[] = [option];
    if (this.quotesFromTickers) events.push(quote(instrument, exchTs, recvTs, bid, bidSize, ask, askSize));
    return { kind: 'data', events, book: undefined };
  }
}

function anyPresent(data: JsonObject, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (data[keys[i]!] !== undefined) return true;
  return false;
}

function nonZero(value: string | undefined): string | undefined {
  return value === undefined || isZeroDecimal(value) ? undefined : value;
}

function quote(
  instrument: string,
  exchTs: number,
  recvTs: number,
  bid: string | undefined,
  bidSize: string | undefined,
  ask: string | undefined,
  askSize: string | undefined,
): QuoteEvent {
  return {
    type: 'quote',
    venue: 'bybit',
    instrument,
    exchTs,
    recvTs,
    bid: bid ?? null,
    bidSize: bid === undefined ? null : (bidSize ?? null),
    ask: ask ?? null,
    askSize: ask === undefined ? null : (askSize ?? null),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** `{"success","ret_msg","conn_id","req_id"?,"op"}`: pongs (spot/linear/inverse) and acks. */
function readOp(message: JsonObject, op: string): BybitFrame {
  // Option and spread connections answer a ping with `{"args":["<ms>"],"op":"pong"}`.
  if (op === 'pong') return PONG;
  const success = message['success'];
  if (typeof success !== 'boolean') return dead('unknown_message', `op "${op}" without "success": a client request, not a venue response`);
  if (!success) return { kind: 'venue_error', detail: `${op} failed: ${text(message['ret_msg']) || 'no ret_msg'}` };
  switch (op) {
    case 'ping':
      // Bybit answers a client ping with op "ping" and ret_msg "pong" (spot, linear, inverse).
      return message['ret_msg'] === 'pong' ? PONG : dead('unknown_message', 'op "ping" without ret_msg "pong"');
    case 'subscribe':
    case 'unsubscribe':
    case 'auth':
      return { kind: 'control', control: op };
    default:
      return dead('unknown_message', `op "${op}" not handled`);
  }
}

/** Option/spread acks: `{"success","conn_id","data":{"failTopics":[],"successTopics":[]},"type":"COMMAND_RESP"}`. */
function readCommandResponse(message: JsonObject): BybitFrame {
  const data = message['data'];
  const failed = isObject(data) && Array.isArray(data['failTopics']) ? data['failTopics'] : [];
  if (message['success'] === false || failed.length > 0) {
    return { kind: 'venue_error', detail: `command failed: ${text(message['ret_msg'])} failTopics ${JSON.stringify(failed)}` };
  }
  return { kind: 'control', control: 'subscribe' };
}
