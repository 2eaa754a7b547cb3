/**
 * Coinbase frames -> normalized events and internal book messages, for both families:
 *   - Exchange feed (`wss://ws-feed.exchange.coinbase.com`): flat messages keyed by `type`;
 *   - Advanced Trade (`wss://advanced-trade-ws.coinbase.com`): envelopes keyed by `channel`, with
 *     `sequence_num` and an `events[]` array.
 * Pure and total: every input yields one `CoinbaseFrame`; nothing throws.
 *
 * Numbers: Coinbase sends prices and sizes as decimal strings, so the fast path is JSON.parse. If a
 * decimal field ever arrives as a JSON number (undocumented), the frame is re-read with the
 * token-preserving reader (../json-exact.ts, numbers tagged) so the value stays exact; integers (`trade_id`,
 * `sequence`) are exact either way below 2^53.
 *
 * Sides (docs/feeds/coinbase.md): Exchange `ticker.side` is the TAKER side (inferred from the real
 * capture: ticker and match of one trade_id always have opposite sides); Exchange `match` /
 * `last_match` and Advanced Trade `market_trades` carry the MAKER side, so the taker is the
 * opposite. Book sides: Exchange `buy`/`sell`, Advanced Trade `bid`/`offer`.
 */
import type { DeadLetterReason } from '../types.js';
import type { Level, MarketEvent, QuoteEvent, Side, TradeEvent } from '../../risk/events.js';
import type { BookSide } from '../book.js';
import { decimalFromJsonNumberToken, normalizeDecimal } from '../decimal.js';
import { ExactJsonReader, JsonNumber } from '../json-exact.js';
import { parseRfc3339Ms } from '../rfc3339.js';
import type { CoinbaseProduct, CoinbaseProducts } from './symbols.js';

/** One level change in arrival order: side, price, new absolute size ("0" deletes). */
export type BookChange = readonly [side: BookSide, price: string, size: string];

export interface CoinbaseBookMessage {
  readonly product: CoinbaseProduct;
  /** A snapshot replaces the book; otherwise `changes` apply in order. */
  readonly snapshot: boolean;
  readonly changes: BookChange[];
  readonly exchTs: number;
}

export type AdvancedBody =
  | { kind: 'events'; events: MarketEvent[] }
  | { kind: 'books'; books: CoinbaseBookMessage[] }
  /** Subscriptions, heartbeats and channels Keel does not normalize. */
  | { kind: 'control' };

export type CoinbaseFrame =
  /** Exchange `match` / `last_match`: a trade with its integer id, for per-product continuity. */
  | { kind: 'match'; event: TradeEvent; product: CoinbaseProduct; tradeNumber: number; last: boolean }
  | { kind: 'events'; events: MarketEvent[] }
  | { kind: 'book'; book: CoinbaseBookMessage }
  /** Subscriptions, heartbeats, known message types Keel does not normalize. */
  | { kind: 'control' }
  /** An Advanced Trade envelope with its connection sequence number. */
  | { kind: 'advanced'; seq: number; channel: string; body: AdvancedBody }
  | { kind: 'venue_error'; detail: string }
  | { kind: 'invalid'; reason: DeadLetterReason; detail: string };

type Invalid = { kind: 'invalid'; reason: DeadLetterReason; detail: string };
type Obj = Record<string, unknown>;

function invalid(reason: DeadLetterReason, detail: string): Invalid {
  return { kind: 'invalid', reason, detail };
}

/** Payload-free frames are shared: frozen so no caller can alter the next one. */
const CONTROL: CoinbaseFrame = Object.freeze({ kind: 'control' });
const ADVANCED_CONTROL: AdvancedBody = Object.freeze({ kind: 'control' });

/** Thrown (and always caught below) when a decimal arrives as a JSON number: re-read losslessly. */
const NEEDS_LOSSLESS = Symbol('coinbase: decimal sent as JSON number');

/** Exchange message types Keel recognizes but does not normalize (full/level3 and status channels). */
const IGNORED_EXCHANGE_TYPES: ReadonlySet<string> = new Set(['status', 'received', 'open', 'done', 'change', 'activate']);
/** Advanced Trade channels Keel recognizes but does not normalize. */
const IGNORED_ADVANCED_CHANNELS: ReadonlySet<string> = new Set(['subscriptions', 'heartbeats', 'candles', 'status', 'user', 'futures_balance_summary']);

/** Re-reads a frame whose decimal came as a JSON number; parsing is synchronous, so one serves all. */
const losslessReader = ExactJsonReader.taggedRecords();

export function parseCoinbaseFrame(raw: string, recvTs: number, products: CoinbaseProducts): CoinbaseFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch (err) {
    return invalid('invalid_json', err instanceof Error ? err.message : 'not JSON');
  }
  try {
    return dispatch(msg, recvTs, products);
  } catch (err) {
    if (err !== NEEDS_LOSSLESS) return invalid('invalid_field', `unreadable frame: ${err instanceof Error ? err.message : String(err)}`);
  }
  const lossless = losslessReader.read(raw);
  if (lossless === undefined) return invalid('invalid_json', losslessReader.error);
  try {
    return dispatch(lossless, recvTs, products);
  } catch (err) {
    return invalid('invalid_field', `unreadable frame: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function dispatch(msg: unknown, recvTs: number, products: CoinbaseProducts): CoinbaseFrame {
  if (!isObj(msg)) return invalid('unknown_message', 'frame is not a JSON object');
  const type = msg['type'];
  if (typeof type === 'string') {
    switch (type) {
      case 'l2update':
        return exchangeL2Update(msg, products);
      case 'match':
        return exchangeMatch(msg, recvTs, products, false);
      case 'ticker':
        return exchangeTicker(msg, recvTs, products);
      case 'snapshot':
        return exchangeSnapshot(msg, products);
      case 'last_match':
        return exchangeMatch(msg, recvTs, products, true);
      case 'subscriptions':
      case 'heartbeat':
        return CONTROL;
      case 'error': {
        const message = msg['message'];
        const reason = msg['reason'];
        const text = typeof message === 'string' ? message : 'error';
        return { kind: 'venue_error', detail: typeof reason === 'string' ? `${text}: ${reason}` : text };
      }
      default:
        if (IGNORED_EXCHANGE_TYPES.has(type)) return CONTROL;
        return invalid('unknown_message', `unknown type ${JSON.stringify(type)}`);
    }
  }
  const channel = msg['channel'];
  if (typeof channel === 'string') return advanced(msg, channel, recvTs, products);
  return invalid('unknown_message', 'no type or channel');
}

/* Field readers ------------------------------------------------------------------------------ */

/** Non-negative exact decimal, or null. Throws NEEDS_LOSSLESS for a JSON number seen via JSON.parse. */
function amount(v: unknown): string | null {
  let d: string | null;
  if (typeof v === 'string') d = normalizeDecimal(v);
  else if (v instanceof JsonNumber) d = decimalFromJsonNumberToken(v.token);
  else if (typeof v === 'number') throw NEEDS_LOSSLESS;
  else return null;
  return d === null || d.charCodeAt(0) === 45 /* - */ ? null : d;
}

/** Non-negative safe integer from a number, token or digit string; -1 if not one. */
function integer(v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v instanceof JsonNumber) n = /^\d{1,16}$/.test(v.token) ? Number(v.token) : -1;
  else if (typeof v === 'string') n = /^\d{1,16}$/.test(v) ? Number(v) : -1;
  else return -1;
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Exchange time in ms (µs fraction); 0 when absent; NaN when present but unreadable. */
function timeOf(v: unknown): number {
  if (v === undefined) return 0;
  return typeof v === 'string' ? parseRfc3339Ms(v) : Number.NaN;
}

function productOf(v: unknown, products: CoinbaseProducts, where: string): CoinbaseProduct | Invalid {
  if (typeof v !== 'string') return invalid('invalid_field', `${where} missing`);
  return products.resolve(v) ?? invalid('unknown_symbol', `${where} ${JSON.stringify(v)} has no canonical id`);
}

function opposite(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}

/* Exchange ----------------------------------------------------------------------------------- */

function exchangeMatch(msg: Obj, recvTs: number, products: CoinbaseProducts, last: boolean): CoinbaseFrame {
  const product = productOf(msg['product_id'], products, 'product_id');
  if ('kind' in product) return product;
  const makerSide = msg['side'];
  if (makerSide !== 'buy' && makerSide !== 'sell') return invalid('invalid_field', 'side must be buy|sell');
  const price = amount(msg['price']);
  if (price === null) return invalid('invalid_field', 'price: not a non-negative decimal');
  const size = amount(msg['size']);
  if (size === null) return invalid('invalid_field', 'size: not a non-negative decimal');
  const tradeNumber = integer(msg['trade_id']);
  if (tradeNumber < 0) return invalid('invalid_field', 'trade_id: not a non-negative integer');
  const exchTs = timeOf(msg['time']);
  if (Number.isNaN(exchTs)) return invalid('invalid_field', 'time is not RFC 3339');
  const event: TradeEvent = {
    type: 'trade',
    venue: 'coinbase',
    instrument: product.id,
    exchTs,
    recvTs,
    price,
    size,
    side: opposite(makerSide),
    tradeId: String(tradeNumber),
  };
  return { kind: 'match', event, product, tradeNumber, last };
}

/**
 * Ticker -> the trade it reports (taker side) when it names one, and the best bid/ask when present
 * (`best_bid_size` / `best_ask_size` are absent in 2021 frames: size null).
 */
function exchangeTicker(msg: Obj, recvTs: number, products: CoinbaseProducts): CoinbaseFrame {
  const product = productOf(msg['product_id'], products, 'product_id');
  if ('kind' in product) return product;
  const exchTs = timeOf(msg['time']);
  if (Number.isNaN(exchTs)) return invalid('invalid_field', 'time is not RFC 3339');
  const events: MarketEvent[] = [];
  if (msg['trade_id'] !== undefined) {
    const tradeNumber = integer(msg['trade_id']);
    if (tradeNumber < 0) return invalid('invalid_field', 'trade_id: not a non-negative integer');
    const side = msg['side'];
    if (side !== 'buy' && side !== 'sell') return invalid('invalid_field', 'side must be buy|sell');
    const price = amount(msg['price']);
    if (price === null) return invalid('invalid_field', 'price: not a non-negative decimal');
    const size = amount(msg['last_size']);
    if (size === null) return invalid('invalid_field', 'last_size: not a non-negative decimal');
    events.push({ type: 'trade', venue: 'coinbase', instrument: product.id, exchTs, recvTs, price, size, side, tradeId: String(tradeNumber) });
  }
  const quote = quoteOf(product, msg['best_bid'], msg['best_bid_size'], msg['best_ask'], msg['best_ask_size'], exchTs, recvTs);
  if (quote !== null && 'kind' in quote) return quote;
  if (quote !== null) events.push(quote);
  if (events.length === 0) return invalid('invalid_field', 'ticker with neither trade nor best bid/ask');
  return { kind: 'events', events };
}

/**
 * A quote from optional best bid/ask fields; null when neither price is present. A size that is
 * absent stays null (unknown), a price that is absent or "" means that side is empty.
 */
function quoteOf(
  product: CoinbaseProduct,
  bidV: unknown,
  bidSizeV: unknown,
  askV: unknown,
  askSizeV: unknown,
  exchTs: number,
  recvTs: number,
): QuoteEvent | Invalid | null {
  const hasBid = bidV !== undefined && bidV !== '';
  const hasAsk = askV !== undefined && askV !== '';
  if (!hasBid && !hasAsk) return null;
  const bid = hasBid ? amount(bidV) : null;
  const ask = hasAsk ? amount(askV) : null;
  if (hasBid && bid === null) return invalid('invalid_field', 'best bid: not a non-negative decimal');
  if (hasAsk && ask === null) return invalid('invalid_field', 'best ask: not a non-negative decimal');
  const bidSize = bid !== null && bidSizeV !== undefined && bidSizeV !== '' ? amount(bidSizeV) : null;
  const askSize = ask !== null && askSizeV !== undefined && askSizeV !== '' ? amount(askSizeV) : null;
  if (bid !== null && bidSizeV !== undefined && bidSizeV !== '' && bidSize === null) return invalid('invalid_field', 'best bid size: not a non-negative decimal');
  if (ask !== null && askSizeV !== undefined && askSizeV !== '' && askSize === null) return invalid('invalid_field', 'best ask size: not a non-negative decimal');
  return { type: 'quote', venue: 'coinbase', instrument: product.id, exchTs, recvTs, bid, bidSize, ask, askSize };
}

function exchangeSnapshot(msg: Obj, products: CoinbaseProducts): CoinbaseFrame {
  const product = productOf(msg['product_id'], products, 'product_id');
  if ('kind' in product) return product;
  const changes: BookChange[] = [];
  const bids = snapshotSide(msg['bids'], 'bid', 'bids', changes);
  if (bids !== null) return bids;
  const asks = snapshotSide(msg['asks'], 'ask', 'asks', changes);
  if (asks !== null) return asks;
  // The level2 snapshot carries no time.
  return { kind: 'book', book: { product, snapshot: true, changes, exchTs: 0 } };
}

function snapshotSide(v: unknown, side: BookSide, where: string, out: BookChange[]): Invalid | null {
  if (!Array.isArray(v)) return invalid('invalid_field', `${where} is not an array`);
  for (let i = 0; i < v.length; i++) {
    const level: unknown = v[i];
    if (!Array.isArray(level) || level.length < 2) return invalid('invalid_field', `${where}[${i}] is not [price, size]`);
    const price = amount(level[0]);
    if (price === null) return invalid('invalid_field', `${where}[${i}] price: not a non-negative decimal`);
    const size = amount(level[1]);
    if (size === null) return invalid('invalid_field', `${where}[${i}] size: not a non-negative decimal`);
    out.push([side, price, size]);
  }
  return null;
}

function exchangeL2Update(msg: Obj, products: CoinbaseProducts): CoinbaseFrame {
  const product = productOf(msg['product_id'], products, 'product_id');
  if ('kind' in product) return product;
  const raw = msg['changes'];
  if (!Array.isArray(raw)) return invalid('invalid_field', 'changes is not an array');
  const changes: BookChange[] = new Array<BookChange>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const c: unknown = raw[i];
    if (!Array.isArray(c) || c.length < 3) return invalid('invalid_field', `changes[${i}] is not [side, price, size]`);
    const s = c[0];
    if (s !== 'buy' && s !== 'sell') return invalid('invalid_field', `changes[${i}] side must be buy|sell`);
    const price = amount(c[1]);
    if (price === null) return invalid('invalid_field', `changes[${i}] price: not a non-negative decimal`);
    const size = amount(c[2]);
    if (size === null) return invalid('invalid_field', `changes[${i}] size: not a non-negative decimal`);
    changes[i] = [s === 'buy' ? 'bid' : 'ask', price, size];
  }
  const exchTs = timeOf(msg['time']);
  if (Number.isNaN(exchTs)) return invalid('invalid_field', 'time is not RFC 3339');
  return { kind: 'book', book: { product, snapshot: false, changes, exchTs } };
}

/* Advanced Trade ----------------------------------------------------------------------------- */

function advanced(msg: Obj, channel: string, recvTs: number, products: CoinbaseProducts): CoinbaseFrame {
  const seq = integer(msg['sequence_num']);
  if (seq < 0) return invalid('invalid_field', 'sequence_num: not a non-negative integer');
  const envelopeTs = timeOf(msg['timestamp']);
  if (Number.isNaN(envelopeTs)) return invalid('invalid_field', 'timestamp is not RFC 3339');
  let body: AdvancedBody | Invalid;
  switch (channel) {
    case 'l2_data':
      body = advancedBooks(msg['events'], envelopeTs, products);
      break;
    case 'market_trades':
      body = advancedTrades(msg['events'], recvTs, products);
      break;
    case 'ticker':
    case 'ticker_batch':
      body = advancedTickers(msg['events'], envelopeTs, recvTs, products);
      break;
    default:
      if (!IGNORED_ADVANCED_CHANNELS.has(channel)) return invalid('unknown_message', `unknown channel ${JSON.stringify(channel)}`);
      body = ADVANCED_CONTROL;
  }
  if (body.kind === 'invalid') return body;
  return { kind: 'advanced', seq, channel, body };
}

function eventsOf(v: unknown): unknown[] | Invalid {
  return Array.isArray(v) ? v : invalid('invalid_field', 'events is not an array');
}

/** The snapshot's `event_time` is the epoch (1970-01-01T00:00:00Z): absent. */
function advancedBooks(v: unknown, envelopeTs: number, products: CoinbaseProducts): AdvancedBody | Invalid {
  const events = eventsOf(v);
  if (!Array.isArray(events)) return events;
  const books: CoinbaseBookMessage[] = [];
  for (let e = 0; e < events.length; e++) {
    const ev: unknown = events[e];
    const where = `events[${e}]`;
    if (!isObj(ev)) return invalid('invalid_field', `${where} is not an object`);
    const type = ev['type'];
    if (type !== 'snapshot' && type !== 'update') return invalid('invalid_field', `${where}.type must be snapshot|update`);
    const product = productOf(ev['product_id'], products, `${where}.product_id`);
    if ('kind' in product) return product;
    const updates = ev['updates'];
    if (!Array.isArray(updates)) return invalid('invalid_field', `${where}.updates is not an array`);
    const changes: BookChange[] = new Array<BookChange>(updates.length);
    let latest = 0;
    for (let i = 0; i < updates.length; i++) {
      const u: unknown = updates[i];
      const at = `${where}.updates[${i}]`;
      if (!isObj(u)) return invalid('invalid_field', `${at} is not an object`);
      const s = u['side'];
      if (s !== 'bid' && s !== 'offer') return invalid('invalid_field', `${at}.side must be bid|offer`);
      const price = amount(u['price_level']);
      if (price === null) return invalid('invalid_field', `${at}.price_level: not a non-negative decimal`);
      const size = amount(u['new_quantity']);
      if (size === null) return invalid('invalid_field', `${at}.new_quantity: not a non-negative decimal`);
      const t = timeOf(u['event_time']);
      if (Number.isNaN(t)) return invalid('invalid_field', `${at}.event_time is not RFC 3339`);
      if (t > latest) latest = t;
      changes[i] = [s === 'bid' ? 'bid' : 'ask', price, size];
    }
    books.push({ product, snapshot: type === 'snapshot', changes, exchTs: latest > 0 ? latest : envelopeTs });
  }
  return { kind: 'books', books };
}

function advancedTrades(v: unknown, recvTs: number, products: CoinbaseProducts): AdvancedBody | Invalid {
  const events = eventsOf(v);
  if (!Array.isArray(events)) return events;
  const out: MarketEvent[] = [];
  for (let e = 0; e < events.length; e++) {
    const ev: unknown = events[e];
    const where = `events[${e}]`;
    if (!isObj(ev)) return invalid('invalid_field', `${where} is not an object`);
    const trades = ev['trades'];
    if (!Array.isArray(trades)) return invalid('invalid_field', `${where}.trades is not an array`);
    for (let i = 0; i < trades.length; i++) {
      const t: unknown = trades[i];
      const at = `${where}.trades[${i}]`;
      if (!isObj(t)) return invalid('invalid_field', `${at} is not an object`);
      const product = productOf(t['product_id'], products, `${at}.product_id`);
      if ('kind' in product) return product;
      const makerSide = sideOfAdvanced(t['side']);
      if (makerSide === null) return invalid('invalid_field', `${at}.side must be BUY|SELL`);
      const price = amount(t['price']);
      if (price === null) return invalid('invalid_field', `${at}.price: not a non-negative decimal`);
      const size = amount(t['size']);
      if (size === null) return invalid('invalid_field', `${at}.size: not a non-negative decimal`);
      const tradeId = t['trade_id'];
      const id = typeof tradeId === 'string' && tradeId.length > 0 ? tradeId : integer(tradeId) >= 0 ? String(integer(tradeId)) : null;
      if (id === null) return invalid('invalid_field', `${at}.trade_id missing`);
      const exchTs = timeOf(t['time']);
      if (Number.isNaN(exchTs)) return invalid('invalid_field', `${at}.time is not RFC 3339`);
      out.push({ type: 'trade', venue: 'coinbase', instrument: product.id, exchTs, recvTs, price, size, side: opposite(makerSide), tradeId: id });
    }
  }
  return { kind: 'events', events: out };
}

function sideOfAdvanced(v: unknown): Side | null {
  if (v === 'BUY' || v === 'buy') return 'buy';
  if (v === 'SELL' || v === 'sell') return 'sell';
  return null;
}

/** Ticker items -> quotes where best bid/ask are present (ticker_batch may omit them: nothing to emit). */
function advancedTickers(v: unknown, envelopeTs: number, recvTs: number, products: CoinbaseProducts): AdvancedBody | Invalid {
  const events = eventsOf(v);
  if (!Array.isArray(events)) return events;
  const out: MarketEvent[] = [];
  for (let e = 0; e < events.length; e++) {
    const ev: unknown = events[e];
    const where = `events[${e}]`;
    if (!isObj(ev)) return invalid('invalid_field', `${where} is not an object`);
    const tickers = ev['tickers'];
    if (!Array.isArray(tickers)) return invalid('invalid_field', `${where}.tickers is not an array`);
    for (let i = 0; i < tickers.length; i++) {
      const t: unknown = tickers[i];
      const at = `${where}.tickers[${i}]`;
      if (!isObj(t)) return invalid('invalid_field', `${at} is not an object`);
      const product = productOf(t['product_id'], products, `${at}.product_id`);
      if ('kind' in product) return product;
      const quote = quoteOf(product, t['best_bid'], t['best_bid_quantity'], t['best_ask'], t['best_ask_quantity'], envelopeTs, recvTs);
      if (quote === null) continue;
      if ('kind' in quote) return invalid(quote.reason, `${at}: ${quote.detail}`);
      out.push(quote);
    }
  }
  return { kind: 'events', events: out };
}

/** Levels of a side from book changes (snapshot loading). */
export function levelsOfSide(changes: readonly BookChange[], side: BookSide): Level[] {
  const out: Level[] = [];
  for (const c of changes) if (c[0] === side) out.push([c[1], c[2]]);
  return out;
}
