/**
 * A strict JSON reader that keeps every number as its exact source token.
 *
 * Why not JSON.parse: Kraken v2 sends prices and quantities as JSON numbers. JSON.parse turns
 * `0.1` into the nearest double, and Node 20's reviver does not expose the source text (that
 * arrived with V8 11.4 / Node 21+), so the exact decimal is lost. This reader returns a
 * `JsonNumber` holding the token verbatim (`0.5660`, `1.5e-05`, `40.0`); callers normalize it.
 *
 * Grammar is RFC 8259: no comments, no trailing commas, no NaN/Infinity, no control characters in
 * strings, one value per text. Nesting is capped (MAX_DEPTH) so hostile input cannot exhaust the
 * stack. Errors are returned, never thrown to the caller.
 */

/** A JSON number, kept as the exact token the sender wrote. */
export class JsonNumber {
  constructor(readonly token: string) {}
}

export type JsonValue = string | boolean | null | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export type JsonReadResult = { ok: true; value: JsonValue } | { ok: false; error: string };

const MAX_DEPTH = 64;

/** Parses one JSON text; numbers come back as `JsonNumber`. Never throws. */
export function readJson(text: string): JsonReadResult {
  const reader = new Reader(text);
  try {
    reader.skipWhitespace();
    const value = reader.value(0);
    reader.skipWhitespace();
    if (reader.pos !== text.length) return { ok: false, error: `unexpected data at offset ${reader.pos}` };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, error: err.message };
    // Anything else (e.g. a RangeError from a giant string) is still bad input, not a crash.
    return { ok: false, error: err instanceof Error ? err.message : 'unreadable JSON' };
  }
}

/** Narrowing helpers for callers walking a JsonValue. */
export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

class JsonSyntaxError extends Error {}

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.pos}`);
  }

  skipWhitespace(): void {
    const s = this.text;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      // space, \t, \n, \r
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
    this.pos = i;
  }

  value(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 123 /* { */:
        return this.object(depth + 1);
      case 91 /* [ */:
        return this.array(depth + 1);
      case 34 /* " */:
        return this.string();
      case 116 /* t */:
        return this.literal('true', true);
      case 102 /* f */:
        return this.literal('false', false);
      case 110 /* n */:
        return this.literal('null', null);
      default:
        if (c === 45 /* - */ || (c >= 48 && c <= 57)) return this.number();
        return this.fail(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  literal<T extends boolean | null>(word: string, result: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail('invalid literal');
    this.pos += word.length;
    return result;
  }

  object(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const s = this.text;
    const out: JsonObject = {};
    this.pos++; // {
    this.skipWhitespace();
    if (s.charCodeAt(this.pos) === 125 /* } */) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (s.charCodeAt(this.pos) !== 34) this.fail('expected a key');
      const key = this.string();
      this.skipWhitespace();
      if (s.charCodeAt(this.pos) !== 58 /* : */) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      const v = this.value(depth);
      // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.skipWhitespace();
      const c = s.charCodeAt(this.pos);
      if (c === 44 /* , */) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === 125 /* } */) {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const s = this.text;
    const out: JsonValue[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (s.charCodeAt(this.pos) === 93 /* ] */) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipWhitespace();
      const c = s.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === 93) {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const s = this.text;
    const start = ++this.pos; // past the opening quote
    let i = start;
    // Fast path: no escapes, the common case for symbols, channels and timestamps.
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 92 /* \ */) break;
      if (c < 32 || Number.isNaN(c)) {
        this.pos = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      i++;
    }
    let out = s.slice(start, i);
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.pos = i + 1;
        return out;
      }
      if (Number.isNaN(c) || c < 32) {
        this.pos = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      if (c !== 92) {
        out += s[i];
        i++;
        continue;
      }
      const e = s.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 34: out += '"'; break;
        case 92: out += '\\'; break;
        case 47: out += '/'; break;
        case 98: out += '\b'; break;
        case 102: out += '\f'; break;
        case 110: out += '\n'; break;
        case 114: out += '\r'; break;
        case 116: out += '\t'; break;
        case 117 /* u */: {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = i;
            this.fail('bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.pos = i - 1;
          this.fail('bad escape');
      }
    }
  }

  number(): JsonNumber {
    const s = this.text;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === 45) i++;
    const first = s.charCodeAt(i);
    if (first === 48) {
      i++;
    } else if (first >= 49 && first <= 57) {
      while (isDigit(s.charCodeAt(i))) i++;
    } else {
      this.pos = i;
      this.fail('bad number');
    }
    if (s.charCodeAt(i) === 46 /* . */) {
      i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.pos = i;
        this.fail('bad fraction');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    const e = s.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = s.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (!isDigit(s.charCodeAt(i))) {
        this.pos = i;
        this.fail('bad exponent');
      }
      while (isDigit(s.charCodeAt(i))) i++;
    }
    this.pos = i;
    return new JsonNumber(s.slice(start, i));
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
