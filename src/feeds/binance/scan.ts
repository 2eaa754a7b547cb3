/**
 * The fast decoder: reads Binance market-data frames straight from the raw text, without
 * JSON.parse, into a DecodedFrame.
 *
 * It handles the high-rate payloads (trade, aggTrade, bookTicker, depthUpdate, markPriceUpdate),
 * raw or inside the combined-stream envelope `{"stream":...,"data":{...}}`, with keys in any order
 * and JSON whitespace anywhere. It is deliberately narrow: anything it is not sure about makes it
 * DECLINE (return false) and the caller hands the frame to the JSON decoder (json.ts), which is
 * the reference for what is valid. The scanner never rejects and never guesses, so it cannot emit
 * an event the JSON path would not emit; test/unit/feeds/binance-fastpath.test.ts checks this on
 * generated and mutated frames.
 *
 * Declined, among others: escape sequences (a string ends at the next `"`, so an escaped quote
 * leaves a trailing backslash in the value, and no value the scanner accepts may contain one:
 * decimals, symbols, event types and stream names are all checked), keys it does not know (new
 * venue fields), duplicate keys, numbers that are not plain integers (fractions, exponents, leading
 * zeros, more than 16 digits, above 2^53), decimals sent as JSON numbers, nested objects, data
 * arrays, and anything after the closing brace but whitespace.
 *
 * Spot trades in Binance's own layout take a dedicated lane (`tradeLane`): the literal parts are
 * compared as short slices (native, measured faster here than JS character loops), the values read
 * in place; any other layout goes through the generic key-by-key scan.
 *
 * Exactness: prices and sizes are the string contents as sent, normalized by decimal.ts;
 * integers are accumulated digit by digit and accepted only while exact (<= 2^53 - 1).
 */
import type { Level } from '../../risk/events.js';
import { normalizeDecimal } from '../decimal.js';
import { type DecodedFrame, venueTimeMs } from './frame.js';
import type { BinanceSymbols } from './symbols.js';

/* Slots for the payload keys the scanner knows. */
const S_e = 0;
const S_E = 1;
const S_s = 2;
const S_t = 3;
const S_p = 4;
const S_q = 5;
const S_T = 6;
const S_m = 7;
const S_M = 8;
const S_b = 9;
const S_a = 10;
const S_B = 11;
const S_A = 12;
const S_U = 13;
const S_u = 14;
const S_pu = 15;
const S_f = 16;
const S_l = 17;
const S_nq = 18;
const S_i = 19;
const S_P = 20;
const S_r = 21;
const SLOT_COUNT = 22;

const bit = (slot: number): number => 1 << slot;

/** Single-character key -> slot, -1 when unknown. */
const SINGLE_KEY_SLOT: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  const keys: Array<[string, number]> = [
    ['e', S_e], ['E', S_E], ['s', S_s], ['t', S_t], ['p', S_p], ['q', S_q], ['T', S_T], ['m', S_m],
    ['M', S_M], ['b', S_b], ['a', S_a], ['B', S_B], ['A', S_A], ['U', S_U], ['u', S_u], ['f', S_f],
    ['l', S_l], ['i', S_i], ['P', S_P], ['r', S_r],
  ];
  for (const [key, slot] of keys) table[key.charCodeAt(0)] = slot;
  return table;
})();


/* Allowed and required keys per payload. */
const TRADE_REQUIRED = bit(S_e) | bit(S_s) | bit(S_t) | bit(S_p) | bit(S_q) | bit(S_m);
/** `b`/`a` (buyer/seller order ids) are legacy fields, still in older captures. */
const TRADE_ALLOWED = TRADE_REQUIRED | bit(S_E) | bit(S_T) | bit(S_M) | bit(S_b) | bit(S_a);
const AGG_TRADE_REQUIRED = bit(S_e) | bit(S_s) | bit(S_a) | bit(S_p) | bit(S_q) | bit(S_m);
const AGG_TRADE_ALLOWED = AGG_TRADE_REQUIRED | bit(S_E) | bit(S_T) | bit(S_M) | bit(S_f) | bit(S_l) | bit(S_nq);
const BOOK_TICKER_REQUIRED = bit(S_u) | bit(S_s) | bit(S_b) | bit(S_B) | bit(S_a) | bit(S_A);
const BOOK_TICKER_ALLOWED = BOOK_TICKER_REQUIRED | bit(S_e) | bit(S_E) | bit(S_T);
const DEPTH_REQUIRED = bit(S_e) | bit(S_s) | bit(S_U) | bit(S_u) | bit(S_b) | bit(S_a);
const DEPTH_ALLOWED = DEPTH_REQUIRED | bit(S_E) | bit(S_T) | bit(S_pu);
const MARK_REQUIRED = bit(S_e) | bit(S_s) | bit(S_p);
const MARK_ALLOWED = MARK_REQUIRED | bit(S_E) | bit(S_i) | bit(S_P) | bit(S_r) | bit(S_T);

/* The value type each key must have, per payload (a present key of another type declines). */
const TRADE_STRINGS = bit(S_e) | bit(S_s) | bit(S_p) | bit(S_q) | bit(S_nq);
const TRADE_INTS = bit(S_E) | bit(S_T) | bit(S_t) | bit(S_a) | bit(S_b) | bit(S_f) | bit(S_l);
const TRADE_BOOLS = bit(S_m) | bit(S_M);
const BOOK_TICKER_STRINGS = bit(S_e) | bit(S_s) | bit(S_b) | bit(S_B) | bit(S_a) | bit(S_A);
const BOOK_TICKER_INTS = bit(S_u) | bit(S_E) | bit(S_T);
const DEPTH_STRINGS = bit(S_e) | bit(S_s);
const DEPTH_INTS = bit(S_E) | bit(S_T) | bit(S_U) | bit(S_u) | bit(S_pu);
const DEPTH_LEVELS = bit(S_b) | bit(S_a);
const MARK_STRINGS = bit(S_e) | bit(S_s) | bit(S_p) | bit(S_i) | bit(S_P) | bit(S_r);
const MARK_INTS = bit(S_E) | bit(S_T);

const CH_QUOTE = 34;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_COLON = 58;
const CH_LBRACKET = 91;
const CH_RBRACKET = 93;
const CH_LBRACE = 123;
const CH_RBRACE = 125;
const CH_0 = 48;
const CH_9 = 57;

const ENVELOPE_HEAD = '{"stream":"';
const TRADE_HEAD = '{"e":"trade","E":';
const ENVELOPE_DATA = '","data":{';

/** normalizeDecimal refuses longer inputs; spans beyond it take its path. */
const MAX_DECIMAL_LENGTH = 64;

/** Longest integer token accepted (16 digits covers µs timestamps); exactness is checked too. */
const MAX_INT_DIGITS = 16;

function skipWs(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
  return i;
}

/** A decimal string for a price or size: canonical plain form, non-negative; null otherwise. */
export function nonNegativeDecimal(text: string): string | null {
  const d = normalizeDecimal(text);
  return d === null || d.charCodeAt(0) === CH_MINUS ? null : d;
}

/**
 * The price or size spelled between `from` and `to`, like `nonNegativeDecimal(text.slice(from, to))`
 * but checking the canonical unsigned form (`0.001`, `25.35190000`, `100`) in place first: that
 * form is returned as is by normalizeDecimal, anything else goes through it.
 */
export function decimalSpan(text: string, from: number, to: number): string | null {
  if (to - from > MAX_DECIMAL_LENGTH) return null;
  let i = from;
  let c = text.charCodeAt(i);
  if (c === CH_0) {
    c = text.charCodeAt(++i);
    if (i < to && c !== 46) return nonNegativeDecimal(text.slice(from, to)); // leading zero
  } else if (c > CH_0 && c <= CH_9) {
    do c = text.charCodeAt(++i);
    while (i < to && c >= CH_0 && c <= CH_9);
  } else return nonNegativeDecimal(text.slice(from, to));
  if (i < to) {
    if (c !== 46) return nonNegativeDecimal(text.slice(from, to));
    const fraction = ++i;
    while (i < to) {
      c = text.charCodeAt(i);
      if (c < CH_0 || c > CH_9) return nonNegativeDecimal(text.slice(from, to));
      i++;
    }
    if (i === fraction) return nonNegativeDecimal(text.slice(from, to));
  }
  return text.slice(from, to);
}

/** True when a combined-stream name is a partial book stream (`btcusdt@depth5`, `...@depth20@100ms`). */
export function isPartialDepthStream(stream: string, from: number, to: number): boolean {
  const at = stream.indexOf('@depth', from);
  if (at < 0 || at + 7 > to) return false;
  const c = stream.charCodeAt(at + 6);
  return c >= CH_0 && c <= CH_9;
}

export class FastDecoder {
  private readonly start = new Int32Array(SLOT_COUNT);
  private readonly end = new Int32Array(SLOT_COUNT);
  private readonly num = new Float64Array(SLOT_COUNT);
  /** Keys present in the payload, and which of them hold a string, an integer, a boolean, levels. */
  private mask = 0;
  private strings = 0;
  private ints = 0;
  private bools = 0;
  private levels = 0;
  /** Bits of `bools` whose value is true. */
  private trues = 0;
  private bids: Level[] | null = null;
  private asks: Level[] | null = null;
  private streamStart = -1;
  private streamEnd = -1;

  constructor(private readonly symbols: BinanceSymbols) {}

  /** Decodes `raw` into `out`; false when the frame is not one the scanner is sure about. */
  decode(raw: string, out: DecodedFrame): boolean {
    this.mask = this.strings = this.ints = this.bools = this.levels = this.trues = 0;
    this.streamStart = -1;
    let i = 0;
    let end: number;
    if (raw.slice(0, 11) === ENVELOPE_HEAD) {
      // Compact combined-stream envelope, as Binance sends it.
      const close = raw.indexOf('"', 11);
      if (close < 0 || raw.slice(close, close + 10) !== ENVELOPE_DATA) return false;
      this.streamStart = 11;
      this.streamEnd = close;
      if (this.tradeLane(raw, close + 9, true, out)) return true;
      end = this.scanObject(raw, close + 9);
      if (end < 0) return false;
      if (raw.charCodeAt(end) !== CH_RBRACE) {
        end = skipWs(raw, end);
        if (raw.charCodeAt(end) !== CH_RBRACE) return false;
      }
      end++;
      if (end !== raw.length) end = skipWs(raw, end);
    } else {
      if (raw.charCodeAt(i) !== CH_LBRACE) {
        i = skipWs(raw, i);
        if (raw.charCodeAt(i) !== CH_LBRACE) return false;
      }
      const first = skipWs(raw, i + 1);
      if (raw.slice(first, first + 8) === '"stream"') {
        i = skipWs(raw, first + 8);
        if (raw.charCodeAt(i) !== CH_COLON) return false;
        i = skipWs(raw, i + 1);
        if (raw.charCodeAt(i) !== CH_QUOTE) return false;
        const close = raw.indexOf('"', i + 1);
        if (close < 0) return false;
        this.streamStart = i + 1;
        this.streamEnd = close;
        i = skipWs(raw, close + 1);
        if (raw.charCodeAt(i) !== CH_COMMA) return false;
        i = skipWs(raw, i + 1);
        if (raw.slice(i, i + 6) !== '"data"') return false;
        i = skipWs(raw, i + 6);
        if (raw.charCodeAt(i) !== CH_COLON) return false;
        i = skipWs(raw, i + 1);
        if (raw.charCodeAt(i) !== CH_LBRACE) return false;
        end = this.scanObject(raw, i);
        if (end < 0) return false;
        end = skipWs(raw, end);
        if (raw.charCodeAt(end) !== CH_RBRACE) return false;
        end = skipWs(raw, end + 1);
      } else {
        if (i === 0 && this.tradeLane(raw, 0, false, out)) return true;
        end = this.scanObject(raw, i);
        if (end < 0) return false;
        end = skipWs(raw, end);
      }
    }
    if (end !== raw.length) return false;
    if (!this.classify(raw, out)) return false;
    // The stream name is not used beyond partial-depth detection, but JSON.parse would refuse a
    // control character in it: compare with the usual name first, scan it only otherwise.
    return this.streamStart < 0 || this.expectedStream(raw, out) || printable(raw, this.streamStart, this.streamEnd);
  }

  /** True when the envelope names the stream this payload usually comes on (`btcusdt@trade`). */
  private expectedStream(raw: string, out: DecodedFrame): boolean {
    const symbol = out.symbol;
    if (symbol === undefined) return false;
    const streams = symbol.streams;
    const from = this.streamStart;
    const length = this.streamEnd - from;
    switch (out.kind) {
      case 'trade':
        return sameText(raw, from, length, streams.trade) || sameText(raw, from, length, streams.aggTrade);
      case 'depth':
        return sameText(raw, from, length, streams.depth);
      case 'bookTicker':
        return sameText(raw, from, length, streams.bookTicker);
      case 'mark':
        return sameText(raw, from, length, streams.markPrice);
      default:
        return false;
    }
  }

  /**
   * The layout Binance sends spot trades in, `{"e":"trade","E":..,"s":..,"t":..,"p":..,"q":..,
   * "T":..,"m":..,"M":..}` compact, checked segment by segment (literals compared natively) with
   * the values read in place. Anything else returns false with nothing written, and the generic
   * scan takes the frame. `at` is the payload's `{`; `enveloped` means a `}` closes the envelope.
   */
  private tradeLane(s: string, at: number, enveloped: boolean, out: DecodedFrame): boolean {
    if (s.slice(at, at + 17) !== TRADE_HEAD) return false;
    let i = this.integer(s, at + 17);
    if (i < 0) return false;
    const eventTime = this.lastInt;
    if (s.slice(i, i + 6) !== ',"s":"') return false;
    const symbolStart = i + 6;
    const symbolEnd = s.indexOf('"', symbolStart);
    if (symbolEnd < 0 || s.slice(symbolEnd, symbolEnd + 6) !== '","t":') return false;
    const idStart = symbolEnd + 6;
    i = this.integer(s, idStart);
    if (i < 0 || s.slice(i, i + 6) !== ',"p":"') return false;
    const idEnd = i;
    const priceStart = i + 6;
    const priceEnd = s.indexOf('"', priceStart);
    if (priceEnd < 0 || s.slice(priceEnd, priceEnd + 7) !== '","q":"') return false;
    const sizeStart = priceEnd + 7;
    const sizeEnd = s.indexOf('"', sizeStart);
    if (sizeEnd < 0 || s.slice(sizeEnd, sizeEnd + 6) !== '","T":') return false;
    i = this.integer(s, sizeEnd + 6);
    if (i < 0 || s.slice(i, i + 5) !== ',"m":') return false;
    const tradeTime = this.lastInt;
    i += 5;
    let buyerIsMaker: boolean;
    if (s.slice(i, i + 4) === 'true') {
      buyerIsMaker = true;
      i += 4;
    } else if (s.slice(i, i + 5) === 'false') {
      buyerIsMaker = false;
      i += 5;
    } else return false;
    const tail = s.slice(i);
    if (tail !== (enveloped ? ',"M":true}}' : ',"M":true}') && tail !== (enveloped ? ',"M":false}}' : ',"M":false}')) return false;
    const symbol = this.symbols.resolveSpan(s, symbolStart, symbolEnd);
    if (symbol === undefined) return false;
    const price = decimalSpan(s, priceStart, priceEnd);
    if (price === null) return false;
    const size = decimalSpan(s, sizeStart, sizeEnd);
    if (size === null) return false;
    if (enveloped && !sameText(s, this.streamStart, this.streamEnd - this.streamStart, symbol.streams.trade) && !printable(s, this.streamStart, this.streamEnd)) return false;
    out.kind = 'trade';
    out.symbol = symbol;
    out.tradeId = s.slice(idStart, idEnd);
    out.price = price;
    out.size = size;
    out.buyerIsMaker = buyerIsMaker;
    out.eventTime = venueTimeMs(eventTime);
    out.engineTime = venueTimeMs(tradeTime);
    return true;
  }

  /** The value of the integer `integer` read last (a field, so a read allocates nothing). */
  private lastInt = 0;

  /**
   * Reads a plain JSON integer (no sign, no leading zero, at most 16 digits, exact) at `i`; returns
   * the index after it, or -1.
   */
  private integer(s: string, i: number): number {
    let c = s.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return -1;
    let value = c - CH_0;
    let j = i + 1;
    c = s.charCodeAt(j);
    if (value === 0 && c >= CH_0 && c <= CH_9) return -1;
    while (c >= CH_0 && c <= CH_9) {
      value = value * 10 + (c - CH_0);
      c = s.charCodeAt(++j);
    }
    if (c === 46 || c === 101 || c === 69 || j - i > MAX_INT_DIGITS || value > Number.MAX_SAFE_INTEGER) return -1;
    this.lastInt = value;
    return j;
  }

  /**
   * Scans a flat object starting at `{`; returns the index after `}`, or -1 to decline. Binance
   * sends compact JSON, so whitespace is looked for only where a delimiter was expected.
   */
  private scanObject(s: string, from: number): number {
    let i = from + 1;
    let c = s.charCodeAt(i);
    if (c <= 32) c = s.charCodeAt((i = skipWs(s, i)));
    if (c === CH_RBRACE) return i + 1;
    let mask = 0;
    for (;;) {
      if (c !== CH_QUOTE) return -1;
      const k1 = s.charCodeAt(i + 1);
      let slot: number;
      if (s.charCodeAt(i + 2) === CH_QUOTE) {
        slot = k1 < 128 ? SINGLE_KEY_SLOT[k1]! : -1;
        i += 3;
      } else if (s.charCodeAt(i + 3) === CH_QUOTE) {
        const k2 = s.charCodeAt(i + 2);
        slot = k1 === 112 && k2 === 117 ? S_pu : k1 === 110 && k2 === 113 ? S_nq : -1; // "pu", "nq"
        i += 4;
      } else return -1;
      if (slot < 0) return -1;
      const b = 1 << slot;
      if ((mask & b) !== 0) return -1; // duplicate key: JSON.parse keeps the last one
      mask |= b;
      c = s.charCodeAt(i);
      if (c !== CH_COLON) {
        if (c > 32) return -1;
        i = skipWs(s, i);
        if (s.charCodeAt(i) !== CH_COLON) return -1;
      }
      c = s.charCodeAt(++i);
      if (c <= 32) c = s.charCodeAt((i = skipWs(s, i)));
      if (c === CH_QUOTE) {
        const close = s.indexOf('"', i + 1);
        if (close < 0) return -1;
        this.start[slot] = i + 1;
        this.end[slot] = close;
        this.strings |= b;
        i = close + 1;
      } else if (c >= CH_0 && c <= CH_9) {
        let value = c - CH_0;
        let j = i + 1;
        let d = s.charCodeAt(j);
        if (c === CH_0 && d >= CH_0 && d <= CH_9) return -1; // leading zero: not JSON
        while (d >= CH_0 && d <= CH_9) {
          value = value * 10 + (d - CH_0);
          d = s.charCodeAt(++j);
        }
        // A fraction or exponent, or more digits than certainly exact: leave it to JSON.parse.
        if (d === 46 || d === 101 || d === 69 || j - i > MAX_INT_DIGITS || value > Number.MAX_SAFE_INTEGER) return -1;
        this.start[slot] = i;
        this.end[slot] = j;
        this.num[slot] = value;
        this.ints |= b;
        i = j;
      } else if (c === 116) {
        if (s.charCodeAt(i + 1) !== 114 || s.charCodeAt(i + 2) !== 117 || s.charCodeAt(i + 3) !== 101) return -1; // rue
        this.bools |= b;
        this.trues |= b;
        i += 4;
      } else if (c === 102) {
        if (s.charCodeAt(i + 1) !== 97 || s.charCodeAt(i + 2) !== 108 || s.charCodeAt(i + 3) !== 115 || s.charCodeAt(i + 4) !== 101) return -1; // alse
        this.bools |= b;
        i += 5;
      } else if (c === CH_LBRACKET && (slot === S_b || slot === S_a)) {
        i = this.scanLevels(s, i, slot === S_b);
        if (i < 0) return -1;
        this.levels |= b;
      } else return -1;
      c = s.charCodeAt(i);
      if (c <= 32) c = s.charCodeAt((i = skipWs(s, i)));
      if (c === CH_COMMA) {
        c = s.charCodeAt(++i);
        if (c <= 32) c = s.charCodeAt((i = skipWs(s, i)));
        continue;
      }
      this.mask = mask;
      return c === CH_RBRACE ? i + 1 : -1;
    }
  }

  /** Scans `[["price","size"],...]` into fresh level tuples; -1 to decline. */
  private scanLevels(s: string, from: number, isBids: boolean): number {
    const levels: Level[] = [];
    let i = from + 1;
    if (s.charCodeAt(i) <= 32) i = skipWs(s, i);
    if (s.charCodeAt(i) === CH_RBRACKET) {
      if (isBids) this.bids = levels;
      else this.asks = levels;
      return i + 1;
    }
    for (;;) {
      if (s.charCodeAt(i) !== CH_LBRACKET) return -1;
      if (s.charCodeAt(++i) <= 32) i = skipWs(s, i);
      if (s.charCodeAt(i) !== CH_QUOTE) return -1;
      let close = s.indexOf('"', i + 1);
      if (close < 0) return -1;
      const price = nonNegativeDecimal(s.slice(i + 1, close));
      if (price === null) return -1;
      i = close + 1;
      if (s.charCodeAt(i) <= 32) i = skipWs(s, i);
      if (s.charCodeAt(i) !== CH_COMMA) return -1;
      if (s.charCodeAt(++i) <= 32) i = skipWs(s, i);
      if (s.charCodeAt(i) !== CH_QUOTE) return -1;
      close = s.indexOf('"', i + 1);
      if (close < 0) return -1;
      const size = nonNegativeDecimal(s.slice(i + 1, close));
      if (size === null) return -1;
      i = close + 1;
      if (s.charCodeAt(i) <= 32) i = skipWs(s, i);
      if (s.charCodeAt(i) !== CH_RBRACKET) return -1;
      levels.push([price, size]);
      if (s.charCodeAt(++i) <= 32) i = skipWs(s, i);
      const d = s.charCodeAt(i);
      if (d === CH_COMMA) {
        if (s.charCodeAt(++i) <= 32) i = skipWs(s, i);
        continue;
      }
      if (d !== CH_RBRACKET) return -1;
      if (isBids) this.bids = levels;
      else this.asks = levels;
      return i + 1;
    }
  }

  private classify(raw: string, out: DecodedFrame): boolean {
    const mask = this.mask;
    if ((mask & bit(S_e)) === 0) {
      // Spot bookTicker is the only payload without an event type that the scanner reads.
      return (mask & (bit(S_E) | bit(S_T))) === 0 ? this.bookTicker(raw, out, mask) : false;
    }
    if ((this.strings & bit(S_e)) === 0) return false;
    const from = this.start[S_e]!;
    const length = this.end[S_e]! - from;
    if (sameText(raw, from, length, 'trade')) return this.trade(raw, out, mask, TRADE_REQUIRED, TRADE_ALLOWED, S_t);
    if (sameText(raw, from, length, 'aggTrade')) return this.trade(raw, out, mask, AGG_TRADE_REQUIRED, AGG_TRADE_ALLOWED, S_a);
    if (sameText(raw, from, length, 'depthUpdate')) return this.depth(raw, out, mask);
    if (sameText(raw, from, length, 'bookTicker')) return this.bookTicker(raw, out, mask);
    if (sameText(raw, from, length, 'markPriceUpdate')) return this.mark(raw, out, mask);
    return false;
  }

  /** Required and allowed keys present, each of the type its payload wants. */
  private shape(mask: number, required: number, allowed: number, strings: number, ints: number, bools: number, levels: number): boolean {
    return (
      (mask & required) === required &&
      (mask & ~allowed) === 0 &&
      (mask & strings & ~this.strings) === 0 &&
      (mask & ints & ~this.ints) === 0 &&
      (mask & bools & ~this.bools) === 0 &&
      (mask & levels & ~this.levels) === 0
    );
  }

  private trade(raw: string, out: DecodedFrame, mask: number, required: number, allowed: number, idSlot: number): boolean {
    if (!this.shape(mask, required, allowed, TRADE_STRINGS, TRADE_INTS, TRADE_BOOLS, 0)) return false;
    if ((mask & bit(S_nq)) !== 0 && this.decimal(raw, S_nq) === null) return false;
    const symbol = this.symbols.resolveSpan(raw, this.start[S_s]!, this.end[S_s]!);
    if (symbol === undefined) return false;
    const price = this.decimal(raw, S_p);
    if (price === null) return false;
    const size = this.decimal(raw, S_q);
    if (size === null) return false;
    out.kind = 'trade';
    out.symbol = symbol;
    out.tradeId = raw.slice(this.start[idSlot]!, this.end[idSlot]!);
    out.price = price;
    out.size = size;
    out.buyerIsMaker = (this.trues & bit(S_m)) !== 0;
    out.eventTime = this.time(mask, S_E);
    out.engineTime = this.time(mask, S_T);
    return true;
  }

  private bookTicker(raw: string, out: DecodedFrame, mask: number): boolean {
    if (!this.shape(mask, BOOK_TICKER_REQUIRED, BOOK_TICKER_ALLOWED, BOOK_TICKER_STRINGS, BOOK_TICKER_INTS, 0, 0)) return false;
    const symbol = this.symbols.resolveSpan(raw, this.start[S_s]!, this.end[S_s]!);
    if (symbol === undefined) return false;
    const bid = this.decimal(raw, S_b);
    const bidSize = this.decimal(raw, S_B);
    const ask = this.decimal(raw, S_a);
    const askSize = this.decimal(raw, S_A);
    if (bid === null || bidSize === null || ask === null || askSize === null) return false;
    out.kind = 'bookTicker';
    out.symbol = symbol;
    out.bid = bid;
    out.bidSize = bidSize;
    out.ask = ask;
    out.askSize = askSize;
    out.finalUpdateId = this.num[S_u]!;
    out.eventTime = this.time(mask, S_E);
    out.engineTime = this.time(mask, S_T);
    return true;
  }

  private depth(raw: string, out: DecodedFrame, mask: number): boolean {
    if (!this.shape(mask, DEPTH_REQUIRED, DEPTH_ALLOWED, DEPTH_STRINGS, DEPTH_INTS, 0, DEPTH_LEVELS)) return false;
    const symbol = this.symbols.resolveSpan(raw, this.start[S_s]!, this.end[S_s]!);
    if (symbol === undefined) return false;
    const partial = this.streamStart >= 0 && isPartialDepthStream(raw, this.streamStart, this.streamEnd);
    out.kind = partial ? 'partialDepth' : 'depth';
    out.symbol = symbol;
    out.firstUpdateId = this.num[S_U]!;
    out.finalUpdateId = this.num[S_u]!;
    out.prevFinalUpdateId = (mask & bit(S_pu)) !== 0 ? this.num[S_pu]! : -1;
    out.bids = this.bids!;
    out.asks = this.asks!;
    out.eventTime = this.time(mask, S_E);
    out.engineTime = this.time(mask, S_T);
    return true;
  }

  private mark(raw: string, out: DecodedFrame, mask: number): boolean {
    if (!this.shape(mask, MARK_REQUIRED, MARK_ALLOWED, MARK_STRINGS, MARK_INTS, 0, 0)) return false;
    const symbol = this.symbols.resolveSpan(raw, this.start[S_s]!, this.end[S_s]!);
    if (symbol === undefined) return false;
    const markPrice = this.decimal(raw, S_p);
    if (markPrice === null) return false;
    let indexPrice: string | undefined;
    if ((mask & bit(S_i)) !== 0 && this.end[S_i]! > this.start[S_i]!) {
      const d = this.decimal(raw, S_i);
      if (d === null) return false;
      indexPrice = d;
    }
    if ((mask & bit(S_P)) !== 0 && this.end[S_P]! > this.start[S_P]! && this.decimal(raw, S_P) === null) return false;
    let fundingRate: string | undefined;
    if ((mask & bit(S_r)) !== 0 && this.end[S_r]! > this.start[S_r]!) {
      const d = normalizeDecimal(raw.slice(this.start[S_r]!, this.end[S_r]!));
      if (d === null) return false;
      fundingRate = d;
    }
    const nextFunding = this.time(mask, S_T);
    out.kind = 'mark';
    out.symbol = symbol;
    out.markPrice = markPrice;
    out.indexPrice = indexPrice;
    // No funding schedule (T absent or 0, e.g. delivery futures): the rate field means nothing.
    out.fundingRate = nextFunding > 0 ? fundingRate : undefined;
    out.nextFundingTime = nextFunding;
    out.eventTime = this.time(mask, S_E);
    out.engineTime = 0;
    return true;
  }

  private time(mask: number, slot: number): number {
    return (mask & bit(slot)) === 0 ? 0 : venueTimeMs(this.num[slot]!);
  }

  private decimal(raw: string, slot: number): string | null {
    return decimalSpan(raw, this.start[slot]!, this.end[slot]!);
  }
}

/**
 * True when `raw[from..from+length)` is `text`. Slicing and comparing (native) measured faster
 * here than comparing character by character in JS, despite the short-lived slice.
 */
function sameText(raw: string, from: number, length: number, text: string): boolean {
  return text.length === length && raw.slice(from, from + length) === text;
}

/**
 * True when the span holds only printable ASCII other than the backslash: what JSON.parse accepts
 * unescaped, narrowed (an escape sequence is left to JSON.parse).
 */
function printable(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 32 || c > 126 || c === 92) return false;
  }
  return true;
}
