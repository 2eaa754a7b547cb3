/**
 * Kraken WebSocket v2 frames -> normalized events and internal book messages. Pure and total:
 * every input yields exactly one `KrakenFrame`, malformed input an `invalid` frame with the
 * dead-letter reason; nothing throws.
 *
 * Numbers: v2 sends prices and quantities as JSON numbers, read here as their exact source tokens
 * (../json-exact.ts, numbers tagged as `JsonNumber`) and normalized with `decimalFromJsonNumberToken` (plain notation, scientific
 * notation expanded exactly). Strings holding decimals are accepted too. When the pair's precision
 * is known, prices and quantities are re-padded to it (`0.566` -> `0.5660`), restoring the form
 * Kraken formats them in; a value with more decimals than the precision (trade `price` is an
 * average) is passed on unpadded.
 *
 * Semantics (docs/feeds/kraken.md): trade `side` is the taker's side; `timestamp` (RFC 3339, µs)
 * is the exchange time, carried as ms with a µs fraction; `qty` is in base currency (spot).
 */
import type { DeadLetterReason } from '../types.js';
import type { Level, QuoteEvent, TakerSide, TradeEvent } from '../../risk/events.js';
import { decimalFromJsonNumberToken, normalizeDecimal, padDecimal } from '../decimal.js';
import { ExactJsonReader, JsonNumber, isTaggedJsonObject, type TaggedJsonObject, type TaggedJsonValue } from '../json-exact.js';
import { parseRfc3339Ms } from '../rfc3339.js';
import type { KrakenMarket, KrakenSymbols } from './symbols.js';

export interface KrakenBookMessage {
  readonly market: KrakenMarket;
  readonly snapshot: boolean;
  /** Level updates in the order sent (the same price may repeat: apply in order). */
  readonly bids: Level[];
  readonly asks: Level[];
  /** CRC32 of the top 10 levels after applying this message (unsigned). */
  readonly checksum: number;
  readonly exchTs: number;
}

export type KrakenFrame =
  | { kind: 'trades'; events: TradeEvent[] }
  | { kind: 'quotes'; events: QuoteEvent[] }
  | { kind: 'book'; books: KrakenBookMessage[] }
  | { kind: 'heartbeat' }
  | { kind: 'pong' }
  /** `status` channel: trading engine state (online, maintenance, cancel_only, post_only). */
  | { kind: 'system'; system: string }
  /** Successful (un)subscribe acknowledgement, one per symbol. */
  | { kind: 'ack'; method: 'subscribe' | 'unsubscribe'; channel: string; symbol: string | undefined }
  /** The venue refused a request (`success: false`) or sent an error. */
  | { kind: 'venue_error'; detail: string; method: string | undefined; symbol: string | undefined }
  | { kind: 'invalid'; reason: DeadLetterReason; detail: string };

type Invalid = { kind: 'invalid'; reason: DeadLetterReason; detail: string };

function invalid(reason: DeadLetterReason, detail: string): Invalid {
  return { kind: 'invalid', reason, detail };
}

/** Payload-free frames are shared: frozen so no caller can alter the next one. */
const HEARTBEAT: KrakenFrame = Object.freeze({ kind: 'heartbeat' });
const PONG: KrakenFrame = Object.freeze({ kind: 'pong' });

/** One reader for every frame: parsing is synchronous, so no two frames share it at once. */
const reader = ExactJsonReader.taggedRecords();

export function parseKrakenFrame(raw: string, recvTs: number, symbols: KrakenSymbols): KrakenFrame {
  const msg = reader.read(raw);
  if (msg === undefined) return invalid('invalid_json', reader.error);
  if (!isTaggedJsonObject(msg)) return invalid('unknown_message', 'frame is not a JSON object');
  const channel = msg['channel'];
  if (typeof channel === 'string') {
    switch (channel) {
      case 'book':
        return parseBook(msg, symbols);
      case 'trade':
        return parseTrades(msg, recvTs, symbols);
      case 'ticker':
        return parseTickers(msg, recvTs, symbols);
      case 'heartbeat':
        return HEARTBEAT;
      case 'status':
        return parseStatus(msg);
      default:
        return invalid('unknown_message', `unknown channel ${JSON.stringify(channel)}`);
    }
  }
  const method = msg['method'];
  if (msg['success'] === false || msg['error'] !== undefined) {
    const error = msg['error'];
    const symbol = msg['symbol'];
    return {
      kind: 'venue_error',
      detail: typeof error === 'string' ? error : 'request refused',
      method: typeof method === 'string' ? method : undefined,
      symbol: typeof symbol === 'string' ? symbol : undefined,
    };
  }
  if (method === 'pong') return PONG;
  if (method === 'subscribe' || method === 'unsubscribe') {
    // A client request (no `success`) echoed back or replayed from a client log is not an answer.
    if (msg['success'] === undefined) return invalid('unknown_message', `${method} request frame, not a venue answer`);
    const result = msg['result'];
    if (msg['success'] !== true || !isTaggedJsonObject(result) || typeof result['channel'] !== 'string') {
      return invalid('invalid_field', `${method} ack without success/result.channel`);
    }
    const symbol = result['symbol'];
    return { kind: 'ack', method, channel: result['channel'], symbol: typeof symbol === 'string' ? symbol : undefined };
  }
  return invalid('unknown_message', typeof method === 'string' ? `unknown method ${JSON.stringify(method)}` : 'no channel or method');
}

/* ---------------------------------------------------------------------------------------- */

/** Exact decimal of a JSON number token or decimal string; null if neither. */
function decimalOf(v: TaggedJsonValue | undefined): string | null {
  if (v instanceof JsonNumber) return decimalFromJsonNumberToken(v.token);
  if (typeof v === 'string') return normalizeDecimal(v);
  return null;
}

/** A non-negative decimal padded to `decimals` when that is exact, else as normalized. */
function amount(v: TaggedJsonValue | undefined, decimals: number | undefined): string | null {
  const d = decimalOf(v);
  if (d === null || d.charCodeAt(0) === 45 /* - */) return null;
  if (decimals === undefined) return d;
  return padDecimal(d, decimals) ?? d;
}

/** Exchange time: ms with µs fraction; 0 when absent; NaN when present but unreadable. */
function timestampOf(v: TaggedJsonValue | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'string' ? parseRfc3339Ms(v) : Number.NaN;
}

function dataArray(msg: TaggedJsonObject, channel: string): TaggedJsonValue[] | Invalid {
  const type = msg['type'];
  if (type !== 'snapshot' && type !== 'update') return invalid('invalid_field', `${channel}: type must be snapshot|update`);
  const data = msg['data'];
  if (!Array.isArray(data)) return invalid('invalid_field', `${channel}: data is not an array`);
  return data;
}

function marketOf(item: TaggedJsonObject, symbols: KrakenSymbols, where: string): KrakenMarket | Invalid {
  const symbol = item['symbol'];
  if (typeof symbol !== 'string') return invalid('invalid_field', `${where}.symbol missing`);
  const market = symbols.resolve(symbol);
  return market ?? invalid('unknown_symbol', `${where}.symbol ${JSON.stringify(symbol)} is not a Kraken pair`);
}

function parseBook(msg: TaggedJsonObject, symbols: KrakenSymbols): KrakenFrame {
  const data = dataArray(msg, 'book');
  if (!Array.isArray(data)) return data;
  const snapshot = msg['type'] === 'snapshot';
  if (data.length === 0) return invalid('invalid_field', 'book: empty data');
  const books: KrakenBookMessage[] = [];
  for (let i = 0; i < data.length; i++) {
    const item = data[i];
    const where = `data[${i}]`;
    if (!isTaggedJsonObject(item)) return invalid('invalid_field', `${where} is not an object`);
    const market = marketOf(item, symbols, where);
    if ('kind' in market) return market;
    const precision = market.precision;
    const bids = levelsOf(item['bids'], `${where}.bids`, precision?.price, precision?.qty);
    if (!Array.isArray(bids)) return bids;
    const asks = levelsOf(item['asks'], `${where}.asks`, precision?.price, precision?.qty);
    if (!Array.isArray(asks)) return asks;
    const checksum = checksumOf(item['checksum']);
    if (checksum < 0) return invalid('invalid_field', `${where}.checksum is not an unsigned 32-bit integer`);
    const exchTs = timestampOf(item['timestamp']);
    if (Number.isNaN(exchTs)) return invalid('invalid_field', `${where}.timestamp is not RFC 3339`);
    books.push({ market, snapshot, bids, asks, checksum, exchTs });
  }
  return { kind: 'book', books };
}

function levelsOf(v: TaggedJsonValue | undefined, where: string, priceDecimals: number | undefined, qtyDecimals: number | undefined): Level[] | Invalid {
  // A side with no change may be sent as [] (update) and is never omitted by Kraken; accept absence too.
  if (v === undefined) return [];
  if (!Array.isArray(v)) return invalid('invalid_field', `${where} is not an array`);
  const out: Level[] = new Array<Level>(v.length);
  for (let i = 0; i < v.length; i++) {
    const level = v[i];
    if (!isTaggedJsonObject(level)) return invalid('invalid_field', `${where}[${i}] is not an object`);
    const price = amount(level['price'], priceDecimals);
    if (price === null) return invalid('invalid_field', `${where}[${i}].price: not a non-negative decimal`);
    const qty = amount(level['qty'], qtyDecimals);
    if (qty === null) return invalid('invalid_field', `${where}[${i}].qty: not a non-negative decimal`);
    out[i] = [price, qty];
  }
  return out;
}

/** Unsigned 32-bit checksum from a JSON number token or digit string; -1 if not one. */
function checksumOf(v: TaggedJsonValue | undefined): number {
  const text = v instanceof JsonNumber ? v.token : typeof v === 'string' ? v : '';
  if (text.length === 0 || text.length > 10) return -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  const n = Number(text);
  return n <= 0xffffffff ? n : -1;
}

/** Trade id: a non-negative integer token (or digit string) kept as text, 64-bit safe. */
function tradeIdOf(v: TaggedJsonValue | undefined): string | null {
  const text = v instanceof JsonNumber ? v.token : typeof v === 'string' ? v : '';
  if (text.length === 0 || text.length > 20) return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return text;
}

function sideOf(v: TaggedJsonValue | undefined): TakerSide | null {
  return v === 'buy' || v === 'sell' ? v : null;
}

function parseTrades(msg: TaggedJsonObject, recvTs: number, symbols: KrakenSymbols): KrakenFrame {
  const data = dataArray(msg, 'trade');
  if (!Array.isArray(data)) return data;
  const events: TradeEvent[] = new Array<TradeEvent>(data.length);
  for (let i = 0; i < data.length; i++) {
    const item = data[i];
    const where = `data[${i}]`;
    if (!isTaggedJsonObject(item)) return invalid('invalid_field', `${where} is not an object`);
    const market = marketOf(item, symbols, where);
    if ('kind' in market) return market;
    const side = sideOf(item['side']);
    if (side === null) return invalid('invalid_field', `${where}.side must be buy|sell`);
    const price = amount(item['price'], market.precision?.price);
    if (price === null) return invalid('invalid_field', `${where}.price: not a non-negative decimal`);
    const size = amount(item['qty'], market.precision?.qty);
    if (size === null) return invalid('invalid_field', `${where}.qty: not a non-negative decimal`);
    const tradeId = tradeIdOf(item['trade_id']);
    if (tradeId === null) return invalid('invalid_field', `${where}.trade_id: not a non-negative integer`);
    const exchTs = timestampOf(item['timestamp']);
    if (Number.isNaN(exchTs)) return invalid('invalid_field', `${where}.timestamp is not RFC 3339`);
    events[i] = { type: 'trade', venue: 'kraken', instrument: market.id, exchTs, recvTs, price, size, side, tradeId };
  }
  return { kind: 'trades', events };
}

/**
 * Ticker -> quote (best bid/ask with sizes). A side whose price and qty are both 0 is an empty
 * book side (null), as Kraken reports a pair with no resting orders on that side.
 */
function parseTickers(msg: TaggedJsonObject, recvTs: number, symbols: KrakenSymbols): KrakenFrame {
  const data = dataArray(msg, 'ticker');
  if (!Array.isArray(data)) return data;
  const events: QuoteEvent[] = new Array<QuoteEvent>(data.length);
  for (let i = 0; i < data.length; i++) {
    const item = data[i];
    const where = `data[${i}]`;
    if (!isTaggedJsonObject(item)) return invalid('invalid_field', `${where} is not an object`);
    const market = marketOf(item, symbols, where);
    if ('kind' in market) return market;
    const pd = market.precision?.price;
    const qd = market.precision?.qty;
    const bid = amount(item['bid'], pd);
    const bidSize = amount(item['bid_qty'], qd);
    const ask = amount(item['ask'], pd);
    const askSize = amount(item['ask_qty'], qd);
    if (bid === null || bidSize === null) return invalid('invalid_field', `${where}.bid/bid_qty: not non-negative decimals`);
    if (ask === null || askSize === null) return invalid('invalid_field', `${where}.ask/ask_qty: not non-negative decimals`);
    const exchTs = timestampOf(item['timestamp']);
    if (Number.isNaN(exchTs)) return invalid('invalid_field', `${where}.timestamp is not RFC 3339`);
    const bidEmpty = isZero(bid) && isZero(bidSize);
    const askEmpty = isZero(ask) && isZero(askSize);
    events[i] = {
      type: 'quote',
      venue: 'kraken',
      instrument: market.id,
      exchTs,
      recvTs,
      bid: bidEmpty ? null : bid,
      bidSize: bidEmpty ? null : bidSize,
      ask: askEmpty ? null : ask,
      askSize: askEmpty ? null : askSize,
    };
  }
  return { kind: 'quotes', events };
}

function isZero(d: string): boolean {
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    if (c !== 48 && c !== 46) return false;
  }
  return true;
}

function parseStatus(msg: TaggedJsonObject): KrakenFrame {
  const data = msg['data'];
  const first = Array.isArray(data) ? data[0] : undefined;
  if (!isTaggedJsonObject(first) || typeof first['system'] !== 'string') return invalid('invalid_field', 'status: data[0].system missing');
  return { kind: 'system', system: first['system'] };
}
