/**
 * The reference decoder: an exact JSON read, then field-by-field validation into a DecodedFrame.
 * It reads every frame shape Binance sends on market-data connections (payloads raw or in the
 * combined envelope, data arrays such as `!markPrice@arr`, subscription answers, error frames,
 * partial book snapshots) and is what the fast scanner (scan.ts) falls back to.
 *
 * Exactness: the frame is read by the shared exact reader (../json-exact.ts, `records()`): strict
 * JSON in JSON.parse's object shape, every number token kept as its exact source text. Integer
 * fields accept only plain integer tokens (`0` or `[1-9][0-9]*`), up to 2^53 - 1 for times and
 * update ids (compared as numbers) and 20 digits for trade ids (kept as strings). Prices and sizes
 * are strings at Binance; a price sent as a JSON number would still be taken exactly from its
 * token. Unknown extra keys are tolerated (venues add fields); a missing or mistyped required field
 * is `invalid_field`.
 */
import type { DeadLetterReason } from '../types.js';
import type { Level } from '../../risk/events.js';
import { normalizeDecimal } from '../decimal.js';
import { ExactJsonReader } from '../json-exact.js';
import { type DecodedFrame, venueTimeMs } from './frame.js';
import { isPartialDepthStream, nonNegativeDecimal } from './scan.js';
import type { BinanceSymbols, ResolvedSymbol } from './symbols.js';

/** Where decoded frames and refusals go (the protocol). */
export interface FrameSink {
  frame(frame: DecodedFrame): void;
  reject(reason: DeadLetterReason, detail: string): void;
}

type JsonObject = { readonly [key: string]: unknown };

/** Thrown inside the decoder only, to unwind a failed field check; caught in `decode`. */
class FieldError {
  constructor(
    readonly reason: DeadLetterReason,
    readonly detail: string,
  ) {}
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** USD-M `@trade` `X` values of fills that did not trade on the book (the NA ones carry price 0). */
const OFF_BOOK_TRADE_TYPES: ReadonlySet<string> = new Set(['INSURANCE_FUND', 'ADL', 'NA']);
const MAX_ID_DIGITS = 20;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function fail(key: string, expected: string, value: unknown): never {
  throw new FieldError('invalid_field', `field "${key}": expected ${expected}, got ${describe(value)}`);
}

/** True for `0` or `[1-9][0-9]*` of at most `maxDigits` digits. */
function isIntegerToken(text: string, maxDigits: number): boolean {
  const n = text.length;
  if (n === 0 || n > maxDigits) return false;
  if (text.charCodeAt(0) === 48) return n === 1;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A non-negative safe integer field (numbers arrive as their token text). */
function readInt(obj: JsonObject, key: string): number {
  const v = obj[key];
  if (typeof v !== 'string' || !isIntegerToken(v, 16)) fail(key, 'a non-negative integer', v);
  const n = Number(v);
  if (n > MAX_SAFE) fail(key, 'an integer below 2^53', v);
  return n;
}

function readTime(obj: JsonObject, key: string): number {
  return has(obj, key) ? venueTimeMs(readInt(obj, key)) : 0;
}

/** An id kept as text: a non-negative integer of up to 20 digits (uint64). */
function readId(obj: JsonObject, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || !isIntegerToken(v, MAX_ID_DIGITS)) fail(key, 'a non-negative integer id', v);
  return v;
}

function readString(obj: JsonObject, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string') fail(key, 'a string', v);
  return v;
}

function readBool(obj: JsonObject, key: string): boolean {
  const v = obj[key];
  if (typeof v !== 'boolean') fail(key, 'a boolean', v);
  return v;
}

/** A price or size: a non-negative decimal, normalized. */
function readDecimal(obj: JsonObject, key: string): string {
  const v = obj[key];
  const d = typeof v === 'string' ? nonNegativeDecimal(v) : null;
  if (d === null) fail(key, 'a non-negative decimal string', v);
  return d;
}

/** An optional decimal where "" also means absent (index price, estimated settle price). */
function readOptionalDecimal(obj: JsonObject, key: string, signed: boolean): string | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (v === '') return undefined;
  const d = typeof v === 'string' ? (signed ? normalizeDecimal(v) : nonNegativeDecimal(v)) : null;
  if (d === null) fail(key, signed ? 'a decimal string' : 'a non-negative decimal string', v);
  return d;
}

function readLevels(obj: JsonObject, key: string): Level[] {
  const v = obj[key];
  if (!Array.isArray(v)) fail(key, 'an array of [price, size]', v);
  const levels: Level[] = new Array<Level>(v.length);
  for (let k = 0; k < v.length; k++) {
    const entry: unknown = v[k];
    if (!Array.isArray(entry) || entry.length < 2) fail(`${key}[${k}]`, '[price, size]', entry);
    const price: unknown = entry[0];
    const size: unknown = entry[1];
    const p = typeof price === 'string' ? nonNegativeDecimal(price) : null;
    const q = typeof size === 'string' ? nonNegativeDecimal(size) : null;
    if (p === null) fail(`${key}[${k}][0]`, 'a non-negative decimal string', price);
    if (q === null) fail(`${key}[${k}][1]`, 'a non-negative decimal string', size);
    levels[k] = [p, q];
  }
  return levels;
}

/** Snapshot body of `GET /api/v3/depth` or `/fapi/v1/depth`. */
export interface DepthSnapshot {
  lastUpdateId: number;
  bids: Level[];
  asks: Level[];
  /** `T` (USD-M) or `E`, ms; 0 when absent (spot). */
  exchTs: number;
}

export type SnapshotResult = { ok: true; snapshot: DepthSnapshot } | { ok: false; reason: DeadLetterReason; detail: string };

/** One reader for every frame and snapshot body: decoding is synchronous, so no two share it at once. */
const reader = ExactJsonReader.records();

/** Parses an exact JSON tree (numbers as token text); null when the text is not strict JSON. */
function parseExact(raw: string): { value: unknown } | null {
  const value = reader.read(raw);
  return value === undefined ? null : { value };
}

/** Parses a REST depth snapshot body. Never throws. */
export function parseDepthSnapshot(body: string): SnapshotResult {
  const parsed = parseExact(body);
  if (parsed === null) return { ok: false, reason: 'invalid_json', detail: 'depth snapshot: not JSON' };
  const obj = parsed.value;
  if (!isObject(obj)) return { ok: false, reason: 'unknown_message', detail: 'depth snapshot: not an object' };
  try {
    if (!has(obj, 'lastUpdateId') && (has(obj, 'code') || has(obj, 'msg'))) {
      return { ok: false, reason: 'venue_error', detail: `depth snapshot: code ${describe(obj['code'])}: ${describe(obj['msg'])}` };
    }
    const lastUpdateId = readInt(obj, 'lastUpdateId');
    const bids = readLevels(obj, 'bids');
    const asks = readLevels(obj, 'asks');
    const engine = readTime(obj, 'T');
    const exchTs = engine > 0 ? engine : readTime(obj, 'E');
    return { ok: true, snapshot: { lastUpdateId, bids, asks, exchTs } };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, reason: err.reason, detail: `depth snapshot: ${err.detail}` };
    throw err;
  }
}

export class JsonDecoder {
  constructor(private readonly symbols: BinanceSymbols) {}

  /** Decodes one frame, handing each payload to `sink.frame` or its refusal to `sink.reject`. */
  decode(raw: string, out: DecodedFrame, sink: FrameSink): void {
    const parsed = parseExact(raw);
    if (parsed === null) {
      sink.reject('invalid_json', 'not JSON');
      return;
    }
    const value = parsed.value;
    if (Array.isArray(value)) {
      this.payloads(value, undefined, out, sink);
      return;
    }
    if (!isObject(value)) {
      sink.reject('unknown_message', `a JSON ${value === null ? 'null' : typeof value}, expected an object`);
      return;
    }
    if (has(value, 'stream') && has(value, 'data')) {
      const stream = value['stream'];
      if (typeof stream !== 'string') {
        sink.reject('invalid_field', `field "stream": expected a string, got ${describe(stream)}`);
        return;
      }
      const data = value['data'];
      if (Array.isArray(data)) this.payloads(data, stream, out, sink);
      else if (isObject(data)) this.payload(data, stream, out, sink, '');
      else sink.reject('invalid_field', `field "data": expected an object or array, got ${describe(data)}`);
      return;
    }
    this.payload(value, undefined, out, sink, '');
  }

  /** Array payloads (`!markPrice@arr`): each element on its own, so one bad element loses only itself. */
  private payloads(items: readonly unknown[], stream: string | undefined, out: DecodedFrame, sink: FrameSink): void {
    if (items.length === 0) {
      sink.reject('unknown_message', 'empty array');
      return;
    }
    for (let k = 0; k < items.length; k++) {
      const item = items[k];
      if (isObject(item)) this.payload(item, stream, out, sink, `[${k}] `);
      else sink.reject('unknown_message', `[${k}] expected an object, got ${describe(item)}`);
    }
  }

  private payload(obj: JsonObject, stream: string | undefined, out: DecodedFrame, sink: FrameSink, where: string): void {
    try {
      if (this.classify(obj, stream, out)) sink.frame(out);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      sink.reject(err.reason, where + err.detail);
    }
  }

  /** Fills `out`; returns true to emit it. Throws FieldError to refuse. */
  private classify(obj: JsonObject, stream: string | undefined, out: DecodedFrame): boolean {
    if (has(obj, 'e')) {
      const event = obj['e'];
      switch (event) {
        case 'trade':
          return this.trade(obj, out, 't');
        case 'aggTrade':
          return this.trade(obj, out, 'a');
        case 'bookTicker':
          return this.bookTicker(obj, out);
        case 'depthUpdate':
          return this.depth(obj, stream, out);
        case 'markPriceUpdate':
          return this.mark(obj, out);
        case 'forceOrder':
          return this.forceOrder(obj, out);
        case 'serverShutdown':
          out.kind = 'serverShutdown';
          out.eventTime = readTime(obj, 'E');
          return true;
        default:
          if (typeof event !== 'string') fail('e', 'an event type string', event);
          throw new FieldError('unknown_message', `event type "${event}" is not handled`);
      }
    }
    if (has(obj, 'result')) {
      out.kind = 'response';
      out.requestId = requestIdOf(obj);
      return true;
    }
    if (has(obj, 'code') || has(obj, 'error')) return this.venueError(obj, out);
    if (has(obj, 'method')) {
      readString(obj, 'method');
      out.kind = 'request';
      out.requestId = requestIdOf(obj);
      return true;
    }
    if (has(obj, 'lastUpdateId')) return this.partialBook(obj, stream, out);
    if (has(obj, 'u') && has(obj, 's') && has(obj, 'b') && has(obj, 'a')) return this.bookTicker(obj, out);
    throw new FieldError('unknown_message', 'not a Binance market-data payload (no "e", "result", "code" or book fields)');
  }

  private symbol(obj: JsonObject, key: string): ResolvedSymbol {
    const symbol = readString(obj, key);
    const resolved = this.symbols.resolve(symbol);
    if (resolved === undefined) throw new FieldError('unknown_symbol', `symbol ${describe(symbol)}: not in the registry and no derivable canonical id`);
    return resolved;
  }

  private trade(obj: JsonObject, out: DecodedFrame, idKey: 't' | 'a'): boolean {
    const symbol = this.symbol(obj, 's');
    const tradeId = readId(obj, idKey);
    const price = readDecimal(obj, 'p');
    const size = readDecimal(obj, 'q');
    const buyerIsMaker = readBool(obj, 'm');
    const type = obj['X'];
    out.kind = typeof type === 'string' && OFF_BOOK_TRADE_TYPES.has(type) ? 'offBookTrade' : 'trade';
    out.symbol = symbol;
    out.tradeId = tradeId;
    out.price = price;
    out.size = size;
    out.buyerIsMaker = buyerIsMaker;
    out.eventTime = readTime(obj, 'E');
    out.engineTime = readTime(obj, 'T');
    return true;
  }

  private bookTicker(obj: JsonObject, out: DecodedFrame): boolean {
    const symbol = this.symbol(obj, 's');
    out.kind = 'bookTicker';
    out.symbol = symbol;
    out.finalUpdateId = readInt(obj, 'u');
    out.bid = readDecimal(obj, 'b');
    out.bidSize = readDecimal(obj, 'B');
    out.ask = readDecimal(obj, 'a');
    out.askSize = readDecimal(obj, 'A');
    out.eventTime = readTime(obj, 'E');
    out.engineTime = readTime(obj, 'T');
    return true;
  }

  private depth(obj: JsonObject, stream: string | undefined, out: DecodedFrame): boolean {
    const symbol = this.symbol(obj, 's');
    out.kind = stream !== undefined && isPartialDepthStream(stream, 0, stream.length) ? 'partialDepth' : 'depth';
    out.symbol = symbol;
    out.firstUpdateId = readInt(obj, 'U');
    out.finalUpdateId = readInt(obj, 'u');
    out.prevFinalUpdateId = has(obj, 'pu') ? readInt(obj, 'pu') : -1;
    out.bids = readLevels(obj, 'b');
    out.asks = readLevels(obj, 'a');
    out.eventTime = readTime(obj, 'E');
    out.engineTime = readTime(obj, 'T');
    return true;
  }

  /** Spot partial depth: `{lastUpdateId,bids,asks}`, whose symbol is only in the stream name. */
  private partialBook(obj: JsonObject, stream: string | undefined, out: DecodedFrame): boolean {
    if (stream === undefined || !isPartialDepthStream(stream, 0, stream.length)) {
      throw new FieldError(
        'unknown_message',
        'partial book payload without a partial-depth stream name (raw /ws form): its symbol is unknown',
      );
    }
    const at = stream.indexOf('@');
    const resolved = this.symbols.resolve(stream.slice(0, at).toUpperCase());
    if (resolved === undefined) throw new FieldError('unknown_symbol', `stream ${describe(stream)}: no derivable canonical id`);
    out.kind = 'partialDepth';
    out.symbol = resolved;
    out.finalUpdateId = readInt(obj, 'lastUpdateId');
    out.firstUpdateId = out.finalUpdateId;
    out.prevFinalUpdateId = -1;
    out.bids = readLevels(obj, 'bids');
    out.asks = readLevels(obj, 'asks');
    out.eventTime = 0;
    out.engineTime = 0;
    return true;
  }

  private mark(obj: JsonObject, out: DecodedFrame): boolean {
    const symbol = this.symbol(obj, 's');
    const markPrice = readDecimal(obj, 'p');
    const indexPrice = readOptionalDecimal(obj, 'i', false);
    readOptionalDecimal(obj, 'P', false);
    const fundingRate = readOptionalDecimal(obj, 'r', true);
    const nextFunding = readTime(obj, 'T');
    out.kind = 'mark';
    out.symbol = symbol;
    out.markPrice = markPrice;
    out.indexPrice = indexPrice;
    out.fundingRate = nextFunding > 0 ? fundingRate : undefined;
    out.nextFundingTime = nextFunding;
    out.eventTime = readTime(obj, 'E');
    out.engineTime = 0;
    return true;
  }

  /** Validated so a broken frame is visible; not mapped (see docs/feeds/binance.md). */
  private forceOrder(obj: JsonObject, out: DecodedFrame): boolean {
    const order = obj['o'];
    if (!isObject(order)) fail('o', 'the liquidation order object', order);
    readString(order, 's');
    const side = readString(order, 'S');
    if (side !== 'BUY' && side !== 'SELL') fail('o.S', '"BUY" or "SELL"', side);
    readDecimal(order, 'q');
    readDecimal(order, 'p');
    for (const key of ['ap', 'l', 'z'] as const) if (has(order, key)) readDecimal(order, key);
    if (has(order, 'X')) readString(order, 'X');
    out.kind = 'forceOrder';
    out.eventTime = readTime(obj, 'E');
    out.engineTime = readTime(order, 'T');
    return true;
  }

  private venueError(obj: JsonObject, out: DecodedFrame): boolean {
    const nested = obj['error'];
    const source = isObject(nested) ? nested : obj;
    const code = source['code'];
    const msg = source['msg'];
    out.kind = 'venueError';
    out.errorCode = typeof code === 'string' ? code : describe(code);
    out.errorMessage = typeof msg === 'string' ? msg : describe(msg);
    out.requestId = requestIdOf(obj);
    return true;
  }
}

/** The `id` of a request or response as text; "" when absent or null. */
function requestIdOf(obj: JsonObject): string {
  const id = obj['id'];
  return typeof id === 'string' ? id : '';
}
