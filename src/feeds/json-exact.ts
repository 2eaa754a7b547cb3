/**
 * The one strict JSON reader of the feeds stage that keeps every number as its exact source token.
 *
 * Why not JSON.parse: venues send prices, sizes, IVs and funding as JSON numbers (Kraken v2,
 * Deribit, sometimes in exponent form: `1.423e-4`, `2.2e3`), and ids and times beyond 2^53.
 * JSON.parse rounds each number to a double and Node 20's reviver cannot see the source text (that
 * arrived with V8 11.4 / Node 21+), so the exact decimal would be lost. Here a number keeps the
 * token the sender wrote (`92284.0`, `1.423e-4`, `0.5660`); callers normalize it with
 * `decimalFromJsonNumberToken` / `normalizeDecimal` (decimal.ts).
 *
 * One grammar, three shapes of result, chosen per reader because the adapters walk their trees
 * differently:
 *   - `maps()`: objects are Maps and numbers are their token strings (Deribit). Maps are cheaper
 *     to build key by key than plain objects and have no prototype; a numeric field sent as a
 *     JSON string reads the same way as one sent as a number.
 *   - `records()`: plain objects and token strings: exactly what `JSON.parse` gives once every
 *     number is quoted (Binance's decoder; the OKX and Bybit parsers when a decimal arrived as a
 *     number), so code written against JSON.parse reads it unchanged.
 *   - `taggedRecords()`: plain objects, numbers as `JsonNumber` (Kraken; Coinbase when a decimal
 *     arrived as a number), for parsers that tell a number from a string holding digits.
 *
 * Grammar is RFC 8259 (no comments, trailing commas, NaN/Infinity or raw control characters; one
 * value per text); a property test checks it accepts exactly what JSON.parse accepts. Nesting is
 * capped so hostile input cannot exhaust the stack. A repeated key keeps the last value and a
 * `__proto__` key is plain data, both as JSON.parse does. A reader is reused per connection (no
 * per-frame closures); errors come back as `undefined` plus `error`, never as a throw.
 */

/** A JSON number kept as the exact token the sender wrote (`taggedRecords()` readers). */
export class JsonNumber {
  constructor(readonly token: string) {}
}

/** What a `maps()` reader returns: Map objects, numbers as their token text. */
export type JsonValue = string | boolean | null | JsonValue[] | JsonObject;
/** Objects are Maps: cheaper to build key by key than plain objects, and no prototype keys. */
export type JsonObject = Map<string, JsonValue>;

/** What a `records()` reader returns: JSON.parse's shape with every number as its token text. */
export type RecordJsonValue = string | boolean | null | RecordJsonValue[] | { [key: string]: RecordJsonValue };

/** What a `taggedRecords()` reader returns: plain objects, numbers as `JsonNumber`. */
export type TaggedJsonValue = string | boolean | null | JsonNumber | TaggedJsonValue[] | TaggedJsonObject;
export interface TaggedJsonObject {
  [key: string]: TaggedJsonValue;
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map;
}

export function isTaggedJsonObject(v: TaggedJsonValue | undefined): v is TaggedJsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** How a reader builds objects and numbers, fixed when it is made. */
interface ResultShape {
  readonly objectsAsMaps: boolean;
  readonly taggedNumbers: boolean;
  readonly maxDepth: number;
}

/** Deribit's frames nest 5 deep at most; 32 leaves room without letting hostile input recurse far. */
const MAP_READER_MAX_DEPTH = 32;
const RECORD_READER_MAX_DEPTH = 64;

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_QUOTE = 34;
const CH_PLUS = 43;
const CH_COMMA = 44;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_ZERO = 48;
const CH_NINE = 57;
const CH_COLON = 58;
const CH_UPPER_E = 69;
const CH_LBRACKET = 91;
const CH_BACKSLASH = 92;
const CH_RBRACKET = 93;
const CH_LOWER_E = 101;
const CH_F = 102;
const CH_N = 110;
const CH_T = 116;
const CH_LBRACE = 123;
const CH_RBRACE = 125;

class JsonSyntaxError extends Error {}

/** Distinct keys remembered (venue frames use a few dozen); beyond it keys are sliced each time. */
const MAX_CACHED_KEYS = 512;

export class ExactJsonReader<Value> {
  /** Map objects, numbers as token strings (Deribit). */
  static maps(): ExactJsonReader<JsonValue> {
    return new ExactJsonReader<JsonValue>({ objectsAsMaps: true, taggedNumbers: false, maxDepth: MAP_READER_MAX_DEPTH });
  }

  /** Plain objects, numbers as token strings: JSON.parse's shape, exact (Binance, OKX, Bybit). */
  static records(): ExactJsonReader<RecordJsonValue> {
    return new ExactJsonReader<RecordJsonValue>({ objectsAsMaps: false, taggedNumbers: false, maxDepth: RECORD_READER_MAX_DEPTH });
  }

  /** Plain objects, numbers as `JsonNumber` (Kraken, Coinbase). */
  static taggedRecords(): ExactJsonReader<TaggedJsonValue> {
    return new ExactJsonReader<TaggedJsonValue>({ objectsAsMaps: false, taggedNumbers: true, maxDepth: RECORD_READER_MAX_DEPTH });
  }

  private text = '';
  private pos = 0;
  /**
   * Keys seen before, by a hash of their characters. Reusing the same (internalized) key string
   * instead of slicing a fresh one per frame is what makes building the objects cheap: V8 stores
   * a property under a known key without hashing a new string.
   */
  private readonly keys = new Map<number, string>();
  /** Why the last `read` returned undefined. */
  error = '';

  private constructor(private readonly shape: ResultShape) {}

  /** Parses one JSON text; undefined (with `error` set) when it is not valid JSON. Never throws. */
  read(text: string): Value | undefined {
    this.text = text;
    this.pos = 0;
    this.error = '';
    try {
      this.skipWhitespace();
      const value = this.value(0);
      this.skipWhitespace();
      if (this.pos !== text.length) this.fail('unexpected data after the value');
      // The shape flags decided how every node was built, so the tree is a `Value`.
      return value as Value;
    } catch (err) {
      // JsonSyntaxError, or a RangeError from a pathological input: bad input either way.
      this.error = err instanceof Error ? err.message : 'unreadable JSON';
      return undefined;
    } finally {
      this.text = '';
    }
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.pos}`);
  }

  private skipWhitespace(): void {
    const s = this.text;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c !== CH_SPACE && c !== CH_LF && c !== CH_CR && c !== CH_TAB) break;
      i++;
    }
    this.pos = i;
  }

  private value(depth: number): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === CH_QUOTE) return this.string();
    if (c === CH_LBRACE) return this.object(depth + 1);
    if (c === CH_LBRACKET) return this.array(depth + 1);
    if (c === CH_MINUS || (c >= CH_ZERO && c <= CH_NINE)) {
      const token = this.number();
      return this.shape.taggedNumbers ? new JsonNumber(token) : token;
    }
    if (c === CH_T) return this.literal('true', true);
    if (c === CH_F) return this.literal('false', false);
    if (c === CH_N) return this.literal('null', null);
    return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
  }

  private literal<T extends boolean | null>(word: string, result: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return result;
  }

  /** A JSON object as a Map or a plain record, per the reader's shape. */
  private object(depth: number): Map<string, unknown> | Record<string, unknown> {
    if (depth > this.shape.maxDepth) this.fail('nesting too deep');
    const out: Map<string, unknown> | Record<string, unknown> = this.shape.objectsAsMaps ? new Map<string, unknown>() : {};
    const s = this.text;
    this.pos++; // {
    this.skipWhitespace();
    if (s.charCodeAt(this.pos) === CH_RBRACE) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (s.charCodeAt(this.pos) !== CH_QUOTE) this.fail('expected a key');
      const key = this.key();
      this.skipWhitespace();
      if (s.charCodeAt(this.pos) !== CH_COLON) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      putMember(out, key, this.value(depth));
      this.skipWhitespace();
      const c = s.charCodeAt(this.pos);
      if (c === CH_COMMA) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === CH_RBRACE) {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or '}'");
    }
  }

  private array(depth: number): unknown[] {
    if (depth > this.shape.maxDepth) this.fail('nesting too deep');
    const s = this.text;
    const out: unknown[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (s.charCodeAt(this.pos) === CH_RBRACKET) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipWhitespace();
      const c = s.charCodeAt(this.pos);
      if (c === CH_COMMA) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === CH_RBRACKET) {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  /** RFC 8259 number syntax; returns the token text verbatim. */
  private number(): string {
    const s = this.text;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === CH_MINUS) i++;
    let c = s.charCodeAt(i);
    if (c === CH_ZERO) i++;
    else if (c >= CH_ZERO + 1 && c <= CH_NINE) {
      i++;
      while (isDigit(s.charCodeAt(i))) i++;
    } else {
      this.pos = i;
      this.fail('invalid number');
    }
    if (s.charCodeAt(i) === CH_DOT) {
      i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.pos = i;
        this.fail('invalid number fraction');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    c = s.charCodeAt(i);
    if (c === CH_LOWER_E || c === CH_UPPER_E) {
      i++;
      c = s.charCodeAt(i);
      if (c === CH_PLUS || c === CH_MINUS) i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.pos = i;
        this.fail('invalid number exponent');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.pos = i;
    return s.slice(start, i);
  }

  /** A key: like `string`, but plain keys come from the cache. */
  private key(): string {
    const s = this.text;
    const n = s.length;
    const start = this.pos + 1;
    let i = start;
    let hash = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === CH_QUOTE) break;
      if (c === CH_BACKSLASH || c < CH_SPACE) return this.string();
      hash = (Math.imul(hash, 31) + c) | 0;
      i++;
    }
    if (i >= n) return this.string();
    const len = i - start;
    const cached = this.keys.get(hash);
    this.pos = i + 1;
    if (cached !== undefined && cached.length === len && sameChars(s, start, cached)) return cached;
    const fresh = s.slice(start, i);
    if (this.keys.size < MAX_CACHED_KEYS) this.keys.set(hash, fresh);
    return fresh;
  }

  private string(): string {
    const s = this.text;
    const n = s.length;
    const start = this.pos + 1;
    let i = start;
    // Fast path: no escapes, the common case for keys and venue words.
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === CH_QUOTE) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === CH_BACKSLASH) break;
      if (c < CH_SPACE) {
        this.pos = i;
        this.fail('control character in string');
      }
      i++;
    }
    if (i >= n) {
      this.pos = n;
      this.fail('unterminated string');
    }
    return this.escapedString(start, i);
  }

  private escapedString(start: number, firstEscape: number): string {
    const s = this.text;
    const n = s.length;
    let out = s.slice(start, firstEscape);
    let i = firstEscape;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === CH_QUOTE) {
        this.pos = i + 1;
        return out;
      }
      if (c < CH_SPACE) {
        this.pos = i;
        this.fail('control character in string');
      }
      if (c !== CH_BACKSLASH) {
        const runStart = i;
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d === CH_QUOTE || d === CH_BACKSLASH || d < CH_SPACE) break;
          i++;
        }
        out += s.slice(runStart, i);
        continue;
      }
      const e = s.charCodeAt(i + 1);
      switch (e) {
        case CH_QUOTE:
          out += '"';
          break;
        case CH_BACKSLASH:
          out += '\\';
          break;
        case 47: // /
          out += '/';
          break;
        case 98: // b
          out += '\b';
          break;
        case CH_F:
          out += '\f';
          break;
        case CH_N:
          out += '\n';
          break;
        case 114: // r
          out += '\r';
          break;
        case CH_T:
          out += '\t';
          break;
        case 117: {
          // uXXXX
          let code = 0;
          for (let k = 2; k < 6; k++) {
            const h = hexValue(s.charCodeAt(i + k));
            if (h < 0) {
              this.pos = i;
              this.fail('invalid \\u escape');
            }
            code = code * 16 + h;
          }
          out += String.fromCharCode(code);
          i += 6;
          continue;
        }
        default:
          this.pos = i;
          this.fail('invalid escape');
      }
      i += 2;
    }
    this.pos = n;
    return this.fail('unterminated string');
  }
}

/** Stores one member; a repeated key keeps the last value, as JSON.parse does. */
function putMember(out: Map<string, unknown> | Record<string, unknown>, key: string, value: unknown): void {
  if (out instanceof Map) out.set(key, value);
  // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
  else if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** `text` holds `word` at `at` (a plain loop: cheaper than startsWith with a position here). */
function sameChars(text: string, at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (text.charCodeAt(at + k) !== word.charCodeAt(k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= CH_ZERO && c <= CH_NINE;
}

function hexValue(c: number): number {
  if (c >= CH_ZERO && c <= CH_NINE) return c - CH_ZERO;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
