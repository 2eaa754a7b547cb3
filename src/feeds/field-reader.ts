/**
 * Typed reads of fields from a `JSON.parse`d frame, for parsers of venues that send decimals as
 * JSON strings (OKX and Bybit: the rules are the same, only the field names differ). A reader
 * never throws: the first problem of a frame is kept in `problem` as a one-line dead-letter detail,
 * and the failed read returns a neutral value the caller never emits (the whole frame is refused).
 *
 * Exactness: prices and sizes sent as JSON strings are kept verbatim (only normalised to plain
 * notation by `normalizeDecimal`, which returns the input itself when it is already plain). If a
 * decimal field ever arrives as a JSON number (legacy shapes), the reader sets `inexact`; the
 * parser then re-reads the frame with the exact reader (json-exact.ts, `records()`), so the decimal
 * is the number token exactly as sent, never a float64 round trip. Integers (timestamps, sequence
 * ids) are accepted as JSON numbers or digit strings and must be safe integers (< 2^53).
 */
import type { Level } from '../risk/events.js';
import { decimalFromNumber, normalizeDecimal } from './decimal.js';
import { ExactJsonReader } from './json-exact.js';
import type { DeadLetterReason } from './types.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CH_MINUS = 45;

/** A safe integer from a JSON number or a string of digits (optional leading `-`), else NaN. */
export function toSafeInteger(value: unknown): number {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const n = value.length;
  if (n === 0 || n > 17) return Number.NaN;
  let i = value.charCodeAt(0) === CH_MINUS ? 1 : 0;
  if (i === n) return Number.NaN;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return Number.NaN;
  }
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : Number.NaN;
}

export class FieldReader {
  /** First problem found in the current frame (dead-letter detail), or null. */
  problem: string | null = null;
  /** A decimal field held a JSON number: re-read the frame with exact number tokens. */
  inexact = false;

  begin(): void {
    this.problem = null;
    this.inexact = false;
  }

  fail(detail: string): void {
    if (this.problem === null) this.problem = detail;
  }

  get ok(): boolean {
    return this.problem === null;
  }

  /**
   * A decimal value in plain notation, or undefined after recording a problem. `signed` allows a
   * leading minus (funding rates, Greeks); prices and sizes are unsigned.
   */
  decimalValue(value: unknown, key: string, signed: boolean): string | undefined {
    let text: string | null;
    if (typeof value === 'string') text = normalizeDecimal(value);
    else if (typeof value === 'number') {
      this.inexact = true;
      text = decimalFromNumber(value);
    } else {
      this.fail(value === undefined ? `field "${key}": missing` : `field "${key}": not a decimal`);
      return undefined;
    }
    if (text === null) {
      this.fail(`field "${key}": not a decimal`);
      return undefined;
    }
    if (!signed && text.charCodeAt(0) === CH_MINUS) {
      this.fail(`field "${key}": negative`);
      return undefined;
    }
    return text;
  }

  /** Required decimal field. */
  decimal(obj: JsonObject, key: string, signed = false): string {
    return this.decimalValue(obj[key], key, signed) ?? '';
  }

  /** Optional decimal field: absent, null or "" mean "not sent" (undefined). */
  optDecimal(obj: JsonObject, key: string, signed = false): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null || value === '') return undefined;
    return this.decimalValue(value, key, signed);
  }

  /** Required non-empty string field. */
  string(obj: JsonObject, key: string): string {
    const value = obj[key];
    if (typeof value === 'string' && value.length > 0) return value;
    this.fail(value === undefined ? `field "${key}": missing` : `field "${key}": not a non-empty string`);
    return '';
  }

  /** Required integer (JSON number or digit string). */
  int(obj: JsonObject, key: string): number {
    const parsed = toSafeInteger(obj[key]);
    if (Number.isNaN(parsed)) {
      this.fail(obj[key] === undefined ? `field "${key}": missing` : `field "${key}": not a safe integer`);
      return 0;
    }
    return parsed;
  }

  /** Optional integer: absent, null or "" give undefined. */
  optInt(obj: JsonObject, key: string): number | undefined {
    const value = obj[key];
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = toSafeInteger(value);
    if (Number.isNaN(parsed)) {
      this.fail(`field "${key}": not a safe integer`);
      return undefined;
    }
    return parsed;
  }

  /** Required epoch-milliseconds timestamp (non-negative integer). */
  ms(obj: JsonObject, key: string): number {
    const t = this.int(obj, key);
    if (t < 0) this.fail(`field "${key}": negative timestamp`);
    return t;
  }

  /** Optional epoch-milliseconds timestamp; absent, null, "" or "0" give undefined. */
  optMs(obj: JsonObject, key: string): number | undefined {
    const t = this.optInt(obj, key);
    if (t === undefined || t === 0) return undefined;
    if (t < 0) {
      this.fail(`field "${key}": negative timestamp`);
      return undefined;
    }
    return t;
  }

  /**
   * Price levels `[[price, size, ...extra], ...]` (OKX adds two more strings, Bybit none): unsigned
   * decimals, extras ignored. Returns a fresh array of [price, size] tuples.
   */
  levels(obj: JsonObject, key: string): Level[] {
    const value = obj[key];
    if (!Array.isArray(value)) {
      this.fail(value === undefined ? `field "${key}": missing` : `field "${key}": not an array`);
      return [];
    }
    const out: Level[] = new Array<Level>(value.length);
    for (let i = 0; i < value.length; i++) {
      const entry: unknown = value[i];
      if (!Array.isArray(entry) || entry.length < 2) {
        this.fail(`field "${key}[${i}]": not a [price, size] level`);
        return [];
      }
      const price = this.decimalValue(entry[0], `${key}[${i}][0]`, false);
      const size = this.decimalValue(entry[1], `${key}[${i}][1]`, false);
      if (price === undefined || size === undefined) return [];
      out[i] = [price, size];
    }
    return out;
  }

  /** An array field (levels, data); records a problem and returns an empty array otherwise. */
  array(obj: JsonObject, key: string): readonly unknown[] {
    const value = obj[key];
    if (Array.isArray(value)) return value;
    this.fail(value === undefined ? `field "${key}": missing` : `field "${key}": not an array`);
    return EMPTY;
  }
}

const EMPTY: readonly unknown[] = Object.freeze([]);

/** Why a frame could not be read as a JSON object: the dead letter it becomes. */
export interface FrameRefusal {
  readonly reason: DeadLetterReason;
  readonly detail: string;
}

const EMPTY_FRAME: FrameRefusal = Object.freeze({ reason: 'invalid_json', detail: 'empty frame' });
const NOT_JSON: FrameRefusal = Object.freeze({ reason: 'invalid_json', detail: 'not JSON' });
const NOT_AN_OBJECT: FrameRefusal = Object.freeze({ reason: 'unknown_message', detail: 'not a JSON object' });
const NOT_RE_READABLE: FrameRefusal = Object.freeze({ reason: 'invalid_json', detail: 'number tokens not re-readable' });

/**
 * Frames as JSON objects for a FieldReader: `JSON.parse` first (exact for decimals sent as
 * strings, and native speed), and, once a read set `inexact`, the same frame again with every
 * number kept as its token (json-exact.ts). Never throws: a frame that is not a JSON object
 * returns undefined with `refusal` set.
 */
export class JsonFrameReader {
  private readonly exact = ExactJsonReader.records();
  /** Why the last read returned undefined. */
  refusal: FrameRefusal = NOT_JSON;

  object(raw: string): JsonObject | undefined {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return this.refuse(raw.length === 0 ? EMPTY_FRAME : NOT_JSON);
    }
    return isObject(message) ? message : this.refuse(NOT_AN_OBJECT);
  }

  /** The frame again, every number as its exact token (a decimal came as a JSON number). */
  exactObject(raw: string): JsonObject | undefined {
    const message = this.exact.read(raw);
    if (message === undefined) return this.refuse(NOT_RE_READABLE);
    return isObject(message) ? message : this.refuse(NOT_AN_OBJECT);
  }

  private refuse(refusal: FrameRefusal): undefined {
    this.refusal = refusal;
    return undefined;
  }
}
