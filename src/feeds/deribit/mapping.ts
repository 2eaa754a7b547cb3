/**
 * Pure Deribit payload -> normalized values. No state, no I/O: each function reads one
 * notification's `params.data` (as read by ExactJsonReader, numbers as exact tokens) and either
 * emits MarketEvents or returns a one-line reason why the payload is unusable. docs/feeds/deribit.md
 * has the field-by-field rules; the short version:
 *   - prices/sizes: the exact token, in plain notation (`1.423e-4` -> `0.0001423`);
 *   - null, a missing key or a word such as "expired" in an OPTIONAL numeric field = absent;
 *   - amounts as Deribit sends them: USD for inverse perpetuals/futures, base coin for linear
 *     (USDC) contracts, coin contracts for options;
 *   - percent IVs become fractions exactly (`76.57` -> `0.7657`).
 */
import type { Level, Side } from '../../risk/events.js';
import { normalizeDecimal } from '../decimal.js';
import { type JsonObject, type JsonValue, isJsonObject } from '../json-exact.js';

/** Reads an optional numeric field: the exact plain decimal, or undefined (absent, null, "expired"). */
export function optDecimal(obj: JsonObject, key: string): string | undefined {
  const v = obj.get(key);
  return typeof v === 'string' ? (normalizeDecimal(v) ?? undefined) : undefined;
}

/** What is wrong with a required numeric field, or null when it holds a decimal. */
export function decimalProblem(obj: JsonObject, key: string): string | null {
  const v = obj.get(key);
  if (v === undefined) return `field "${key}": missing`;
  if (typeof v !== 'string' || normalizeDecimal(v) === null) return `field "${key}": not a decimal`;
  return null;
}

/** A non-negative integer token (ms timestamps) as a number; NaN when not one. */
export function intValue(v: JsonValue | undefined): number {
  if (typeof v !== 'string' || v.length === 0 || v.length > 16) return Number.NaN;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
  }
  return Number(v);
}

/**
 * A non-negative integer id kept as its digit string (Deribit `change_id`; 64-bit safe), or null.
 * Leading zeros are refused so equal ids are equal strings.
 */
export function idToken(v: JsonValue | undefined): string | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > 20) return null;
  if (v.length > 1 && v.charCodeAt(0) === 48) return null;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return v;
}

/** Orders two `idToken` strings numerically: <0, 0, >0. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A percentage as an exact decimal fraction: "76.57" -> "0.7657", "100" -> "1.00". Null if not a decimal. */
export function percentToFraction(text: string): string | null {
  const plain = normalizeDecimal(text);
  return plain === null ? null : normalizeDecimal(`${plain}e-2`);
}

/** Where ticker values go; the protocol supplies the resolved instrument. */
export interface TickerTarget {
  canonical: string;
  isOption: boolean;
  isPerpetual: boolean;
}

export interface TickerValues {
  exchTs: number;
  /** `state` as sent ("open", "closed", "settlement"...), or "" when absent. */
  state: string;
  mark: MarkValues | null;
  option: OptionValues | null;
  /** Null when the ticker carries no best bid/ask keys at all. */
  quote: QuoteValues | null;
}

export interface MarkValues {
  markPrice: string | undefined;
  indexPrice: string | undefined;
  fundingRate: string | undefined;
}

export interface OptionValues {
  markPrice: string;
  markIv: string;
  underlyingPrice: string;
  indexPrice: string | undefined;
  bidIv: string | undefined;
  askIv: string | undefined;
  delta: string | undefined;
  gamma: string | undefined;
  vega: string | undefined;
  theta: string | undefined;
}

export interface QuoteValues {
  bid: string | null;
  bidSize: string | null;
  ask: string | null;
  askSize: string | null;
}

/**
 * Reads a `ticker.{instrument}.{interval}` payload. Returns the values, or a reason string when a
 * field the event cannot do without is unusable. An option ticker with no mark or IV is only an
 * error while the instrument is open (expired/closed options legitimately drop them).
 */
export function readTicker(data: JsonObject, target: TickerTarget): TickerValues | string {
  const exchTs = intValue(data.get('timestamp'));
  if (Number.isNaN(exchTs)) return 'field "timestamp": not an integer';
  const stateValue = data.get('state');
  const state = typeof stateValue === 'string' ? stateValue : '';
  const quote = readQuote(data);
  if (target.isOption) {
    const markPrice = optDecimal(data, 'mark_price');
    const iv = optDecimal(data, 'mark_iv');
    const markIv = iv === undefined ? null : percentToFraction(iv);
    const underlyingPrice = optDecimal(data, 'underlying_price');
    if (markPrice === undefined || markIv === null || underlyingPrice === undefined) {
      if (state !== '' && state !== 'open') return { exchTs, state, mark: null, option: null, quote };
      return (
        decimalProblem(data, 'mark_price') ??
        decimalProblem(data, 'mark_iv') ??
        decimalProblem(data, 'underlying_price') ??
        'field "mark_iv": out of range'
      );
    }
    const greeks = data.get('greeks');
    const g = isJsonObject(greeks) ? greeks : undefined;
    const option: OptionValues = {
      markPrice,
      markIv,
      underlyingPrice,
      indexPrice: optDecimal(data, 'index_price'),
      // A zero IV accompanies an empty side: absent, not "0 % vol".
      bidIv: quoteIv(data, 'bid_iv', quote === null ? null : quote.bid),
      askIv: quoteIv(data, 'ask_iv', quote === null ? null : quote.ask),
      delta: g === undefined ? undefined : optDecimal(g, 'delta'),
      gamma: g === undefined ? undefined : optDecimal(g, 'gamma'),
      vega: g === undefined ? undefined : optDecimal(g, 'vega'),
      theta: g === undefined ? undefined : optDecimal(g, 'theta'),
    };
    return { exchTs, state, mark: null, option, quote };
  }
  const markPrice = optDecimal(data, 'mark_price');
  const indexPrice = optDecimal(data, 'index_price');
  // `current_funding` is the instantaneous rate (Deribit quotes it per 8 h and accrues it
  // continuously); `funding_8h` is the realized average of the last 8 h and is not normalized.
  const fundingRate = target.isPerpetual ? optDecimal(data, 'current_funding') : undefined;
  const mark =
    markPrice === undefined && indexPrice === undefined && fundingRate === undefined
      ? null
      : { markPrice, indexPrice, fundingRate };
  return { exchTs, state, mark, option: null, quote };
}

function quoteIv(data: JsonObject, key: string, sidePrice: string | null): string | undefined {
  if (sidePrice === null) return undefined;
  const v = optDecimal(data, key);
  if (v === undefined || isZero(v)) return undefined;
  return percentToFraction(v) ?? undefined;
}

/**
 * Best bid/ask from a ticker. A side is null when its price is null/absent/zero or its amount is
 * absent/zero: Deribit reports an empty side as price 0 (or null) with amount 0.
 */
function readQuote(data: JsonObject): QuoteValues | null {
  if (
    data.get('best_bid_price') === undefined &&
    data.get('best_ask_price') === undefined &&
    data.get('best_bid_amount') === undefined &&
    data.get('best_ask_amount') === undefined
  ) {
    return null;
  }
  let bid = optDecimal(data, 'best_bid_price') ?? null;
  let bidSize = optDecimal(data, 'best_bid_amount') ?? null;
  if (bid === null || bidSize === null || isZero(bid) || isZero(bidSize)) bid = bidSize = null;
  let ask = optDecimal(data, 'best_ask_price') ?? null;
  let askSize = optDecimal(data, 'best_ask_amount') ?? null;
  if (ask === null || askSize === null || isZero(ask) || isZero(askSize)) ask = askSize = null;
  return { bid, bidSize, ask, askSize };
}

/** Plain decimal with only zero digits ("0", "0.0", "-0.000"). */
export function isZero(plain: string): boolean {
  for (let i = 0; i < plain.length; i++) {
    const c = plain.charCodeAt(i);
    if (c !== 48 && c !== 46 && c !== 45) return false;
  }
  return true;
}

/** One trade of a `trades.*` payload. */
export interface TradeValues {
  instrumentName: string;
  exchTs: number;
  price: string;
  size: string;
  side: Side;
  tradeId: string;
}

/**
 * Reads every element of a `trades.*` payload into `out` (cleared first). All or nothing: a
 * frame with one bad element is refused whole, so a replay from the DLQ cannot duplicate trades.
 * `direction` is read as the TAKER side (see docs/feeds/deribit.md for why).
 */
export function readTrades(data: JsonValue | undefined, fallbackName: string, out: TradeValues[]): string | null {
  out.length = 0;
  if (!Array.isArray(data)) return 'field "data": not an array of trades';
  for (let i = 0; i < data.length; i++) {
    const t = data[i];
    if (!isJsonObject(t)) return `data[${i}]: not an object`;
    const nameValue = t.get('instrument_name');
    const instrumentName = typeof nameValue === 'string' ? nameValue : fallbackName;
    const exchTs = intValue(t.get('timestamp'));
    if (Number.isNaN(exchTs)) return `data[${i}] field "timestamp": not an integer`;
    const price = optDecimal(t, 'price');
    if (price === undefined) return `data[${i}] ${decimalProblem(t, 'price') ?? 'field "price": invalid'}`;
    const size = optDecimal(t, 'amount');
    if (size === undefined) return `data[${i}] ${decimalProblem(t, 'amount') ?? 'field "amount": invalid'}`;
    const direction = t.get('direction');
    if (direction !== 'buy' && direction !== 'sell') return `data[${i}] field "direction": not buy|sell`;
    const id = t.get('trade_id');
    if (typeof id !== 'string' || id.length === 0) return `data[${i}] field "trade_id": missing`;
    out.push({ instrumentName, exchTs, price, size, side: direction, tradeId: id });
  }
  return null;
}

/** A `book.*` notification, validated, with its level changes in reusable scratch arrays. */
export interface BookUpdate {
  /** snapshot: replaces the book; change: deltas chained by prevChangeId; window: grouped channel, full replacement. */
  type: 'snapshot' | 'change' | 'window';
  instrumentName: string;
  exchTs: number;
  changeId: string;
  /** '' when absent (snapshots, grouped windows). */
  prevChangeId: string;
  bids: Level[];
  asks: Level[];
}

/**
 * Reads a book payload into `into` (its level arrays are reused). Entries are
 * `[action, price, amount]` (full channel) or `[price, amount]` (grouped channel). A `delete`
 * becomes size "0"; so does any zero amount. Returns a reason when anything is malformed.
 */
export function readBook(data: JsonValue | undefined, fallbackName: string, into: BookUpdate): string | null {
  if (!isJsonObject(data)) return 'field "data": not an object';
  const nameValue = data.get('instrument_name');
  into.instrumentName = typeof nameValue === 'string' ? nameValue : fallbackName;
  const exchTs = intValue(data.get('timestamp'));
  if (Number.isNaN(exchTs)) return 'field "timestamp": not an integer';
  into.exchTs = exchTs;
  const changeId = idToken(data.get('change_id'));
  if (changeId === null) return 'field "change_id": not an integer id';
  into.changeId = changeId;
  const type = data.get('type');
  if (type === 'change') {
    const prev = idToken(data.get('prev_change_id'));
    if (prev === null) return 'field "prev_change_id": not an integer id';
    into.type = 'change';
    into.prevChangeId = prev;
  } else if (type === 'snapshot' || type === undefined) {
    into.type = type === 'snapshot' ? 'snapshot' : 'window';
    into.prevChangeId = '';
  } else {
    return 'field "type": not snapshot|change';
  }
  return readLevels(data.get('bids'), 'bids', into.bids) ?? readLevels(data.get('asks'), 'asks', into.asks);
}

function readLevels(value: JsonValue | undefined, key: string, out: Level[]): string | null {
  out.length = 0;
  if (!Array.isArray(value)) return `field "${key}": not an array`;
  for (let i = 0; i < value.length; i++) {
    const entry = value[i];
    if (!Array.isArray(entry)) return `${key}[${i}]: not an array`;
    let action: JsonValue | undefined = 'new';
    let priceValue: JsonValue | undefined;
    let amountValue: JsonValue | undefined;
    if (entry.length === 3) {
      action = entry[0];
      priceValue = entry[1];
      amountValue = entry[2];
    } else if (entry.length === 2) {
      priceValue = entry[0];
      amountValue = entry[1];
    } else {
      return `${key}[${i}]: expected [action, price, amount]`;
    }
    if (action !== 'new' && action !== 'change' && action !== 'delete') return `${key}[${i}]: unknown action`;
    const price = typeof priceValue === 'string' ? normalizeDecimal(priceValue) : null;
    if (price === null || price.charCodeAt(0) === 45) return `${key}[${i}]: price not a decimal`;
    const amount = typeof amountValue === 'string' ? normalizeDecimal(amountValue) : null;
    if (amount === null || amount.charCodeAt(0) === 45) return `${key}[${i}]: amount not a decimal`;
    out.push([price, action === 'delete' ? '0' : amount]);
  }
  return null;
}

/** `ticker.BTC-PERPETUAL.100ms` -> `BTC-PERPETUAL`; '' when the channel has no instrument part. */
export function channelInstrument(channel: string): string {
  const first = channel.indexOf('.');
  if (first < 0) return '';
  const second = channel.indexOf('.', first + 1);
  return second < 0 ? channel.slice(first + 1) : channel.slice(first + 1, second);
}

/** `ticker.BTC-PERPETUAL.100ms` -> `ticker`. */
export function channelKind(channel: string): string {
  const first = channel.indexOf('.');
  return first < 0 ? channel : channel.slice(0, first);
}
