/**
 * The shared exact JSON reader (src/feeds/json-exact.ts) in its three result shapes: it accepts
 * exactly what JSON.parse accepts with the same structure, refuses what JSON.parse refuses, and
 * keeps every number token verbatim (Map objects for Deribit, JSON.parse's plain objects with token
 * strings for Binance/OKX/Bybit, plain objects with `JsonNumber` for Kraken/Coinbase).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactJsonReader, JsonNumber, type TaggedJsonObject } from '../../../src/feeds/json-exact.js';

/**
 * The reader's value with number tokens turned into JS numbers, to compare with JSON.parse. Token
 * strings count as numbers only at `numberKeys` paths; a `JsonNumber` always does.
 */
function asParsed(v: unknown, numberKeys: ReadonlySet<string>, path = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => asParsed(x, numberKeys, `${path}[${i}]`));
  if (v instanceof JsonNumber) return Number(v.token);
  const entries = v instanceof Map ? [...(v as Map<string, unknown>)] : typeof v === 'object' && v !== null ? Object.entries(v) : undefined;
  if (entries !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) Object.defineProperty(out, k, { value: asParsed(x, numberKeys, `${path}.${k}`), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (typeof v === 'string' && numberKeys.has(path)) return Number(v);
  return v;
}

/** Paths holding numbers in a JSON.parse result. */
function numberPaths(v: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x, i) => numberPaths(x, `${path}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) numberPaths((v as Record<string, unknown>)[k], `${path}.${k}`, out);
  else if (typeof v === 'number') out.add(path);
  return out;
}

const NO_PATHS: ReadonlySet<string> = new Set();

/** Each shape, and whether its numbers are token strings (found by path) or `JsonNumber`s. */
const SHAPES = [
  { name: 'maps()', make: (): ExactJsonReader<unknown> => ExactJsonReader.maps(), numbersAsStrings: true },
  { name: 'records()', make: (): ExactJsonReader<unknown> => ExactJsonReader.records(), numbersAsStrings: true },
  { name: 'taggedRecords()', make: (): ExactJsonReader<unknown> => ExactJsonReader.taggedRecords(), numbersAsStrings: false },
] as const;

const invalidTexts = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
  fc.tuple(fc.json(), fc.nat(), fc.constantFrom(',', '}', ']', '"', '\\', ':', '-', '.', 'e', '0', '\u0001')).map(([j, at, c]) => {
    const i = at % (j.length + 1);
    return j.slice(0, i) + c + j.slice(i);
  }),
);

function parsesWithJsonParse(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe.each(SHAPES.map((shape) => [shape.name, shape] as const))('ExactJsonReader.%s', (_name, { make, numbersAsStrings }) => {
  it('accepts exactly what JSON.parse accepts, with the same structure, on generated JSON', () => {
    const reader = make();
    fc.assert(
      fc.property(fc.json({ depthSize: 'small' }), (text) => {
        const expected: unknown = JSON.parse(text);
        const got = reader.read(text);
        expect(reader.error).toBe('');
        expect(asParsed(got, numbersAsStrings ? numberPaths(expected) : NO_PATHS)).toEqual(expected);
      }),
      { seed: 20261126, numRuns: 400 },
    );
  });

  it('refuses what JSON.parse refuses, on arbitrary and mutated text', () => {
    const reader = make();
    fc.assert(
      fc.property(invalidTexts, (text) => {
        const ok = parsesWithJsonParse(text);
        const got = reader.read(text);
        expect(got !== undefined).toBe(ok);
        if (!ok) expect(reader.error).not.toBe('');
      }),
      { seed: 4242, numRuns: 1500 },
    );
  });
});

describe('ExactJsonReader.maps() (Deribit)', () => {
  it('keeps a number token verbatim; a __proto__ key is plain data', () => {
    const reader = ExactJsonReader.maps();
    const v = reader.read('{"a":1.10e-7,"__proto__":{"x":1},"b":[-0,2E+3],"a":5}');
    expect(v).toEqual(new Map<string, unknown>([['a', '5'], ['__proto__', new Map([['x', '1']])], ['b', ['-0', '2E+3']]]));
    expect(Object.getPrototypeOf(v)).toBe(Map.prototype);
    expect(reader.read('"\\u00e9\\n\\/"')).toBe('é\n/');
    expect(reader.read(`${'['.repeat(40)}${']'.repeat(40)}`)).toBeUndefined();
    expect(reader.error).toContain('nesting too deep');
  });
});

describe('ExactJsonReader.records() (Binance, OKX and Bybit re-reads)', () => {
  it('gives number tokens as strings outside strings and keeps everything else', () => {
    const raw = '{"p":40.0,"q":1.4e-4,"s":"a 12 \\"x\\" 3","n":null,"t":true,"a":[-1,2.50]}';
    const parsed = ExactJsonReader.records().read(raw);
    expect(parsed).toEqual({ p: '40.0', q: '1.4e-4', s: 'a 12 "x" 3', n: null, t: true, a: ['-1', '2.50'] });
  });

  it('reads a frame without numbers exactly as JSON.parse does', () => {
    const raw = '{"channel":"heartbeat"}';
    expect(ExactJsonReader.records().read(raw)).toEqual(JSON.parse(raw));
  });
});

describe('ExactJsonReader.taggedRecords() (Kraken, Coinbase)', () => {
  it('keeps number tokens verbatim, including exponent and trailing zeros', () => {
    const v = ExactJsonReader.taggedRecords().read('{"a":[0.5660,40.0,1.5e-05,-0,12345678901234567890],"b":"x\\u00e9\\n","__proto__":1}') as TaggedJsonObject;
    expect(v).toBeDefined();
    expect((v['a'] as JsonNumber[]).map((n) => n.token)).toEqual(['0.5660', '40.0', '1.5e-05', '-0', '12345678901234567890']);
    expect(v['b']).toBe('x\u00e9\n');
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect((v['__proto__'] as JsonNumber).token).toBe('1');
  });

  it('refuses what JSON.parse refuses', () => {
    const reader = ExactJsonReader.taggedRecords();
    for (const bad of ['', '{', '{"a":01}', '{"a":1.}', '[1,]', '{"a":NaN}', '"\u0001"', '{"a":1} x', '['.repeat(100) + ']'.repeat(100), "{'a':1}"]) {
      expect(reader.read(bad), bad).toBeUndefined();
    }
  });
});
