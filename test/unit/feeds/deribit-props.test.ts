/**
 * Property tests for the Deribit adapter: the exact JSON reader agrees with JSON.parse, numbers
 * survive exactly, and no input (arbitrary text, mutated or truncated fixtures) makes the parser
 * throw; bad input always yields a dead letter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDecimal } from '../../../src/feeds/decimal.js';
import { ExactJsonReader, type JsonValue } from '../../../src/feeds/deribit/json.js';
import { percentToFraction } from '../../../src/feeds/deribit/mapping.js';
import type { MarketEvent } from '../../../src/risk/events.js';
import { Recorder, fixture, fixtureNames, newProtocol, tickerFrame } from './deribit-helpers.js';

/** The reader's value with number tokens turned into JS numbers, to compare with JSON.parse. */
function asParsed(v: JsonValue | undefined, numberKeys: Set<string>, path = ''): unknown {
  if (Array.isArray(v)) return v.map((x, i) => asParsed(x, numberKeys, `${path}[${i}]`));
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) Object.defineProperty(out, k, { value: asParsed(x, numberKeys, `${path}.${k}`), enumerable: true, writable: true, configurable: true });
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

const DECIMAL_EVENT_FIELDS = ['price', 'size', 'bid', 'bidSize', 'ask', 'askSize', 'markPrice', 'indexPrice', 'fundingRate', 'markIv', 'underlyingPrice', 'bidIv', 'askIv', 'delta', 'gamma', 'vega', 'theta'] as const;

/** Every decimal an event carries is in plain notation. */
function assertPlainDecimals(events: readonly MarketEvent[]): void {
  for (const e of events) {
    const rec = e as unknown as Record<string, unknown>;
    for (const f of DECIMAL_EVENT_FIELDS) {
      const v = rec[f];
      if (typeof v === 'string') expect(v).toMatch(/^-?\d+(\.\d+)?$/);
    }
    if (e.type === 'book') for (const [p, q] of [...e.bids, ...e.asks]) expect(`${p} ${q}`).toMatch(/^\d+(\.\d+)? \d+(\.\d+)?$/);
  }
}

describe('ExactJsonReader', () => {
  it('accepts exactly what JSON.parse accepts, with the same structure, on generated JSON', () => {
    const reader = new ExactJsonReader();
    fc.assert(
      fc.property(fc.json({ depthSize: 'small' }), (text) => {
        const expected: unknown = JSON.parse(text);
        const got = reader.read(text);
        expect(reader.error).toBe('');
        expect(asParsed(got, numberPaths(expected))).toEqual(expected);
      }),
      { seed: 20261126, numRuns: 400 },
    );
  });
  it('refuses what JSON.parse refuses, on arbitrary and mutated text', () => {
    const reader = new ExactJsonReader();
    const texts = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
      fc.tuple(fc.json(), fc.nat(), fc.constantFrom(',', '}', ']', '"', '\\', ':', '-', '.', 'e', '0', '\u0001')).map(([j, at, c]) => {
        const i = at % (j.length + 1);
        return j.slice(0, i) + c + j.slice(i);
      }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        const got = reader.read(text);
        expect(got !== undefined).toBe(ok);
        if (!ok) expect(reader.error).not.toBe('');
      }),
      { seed: 4242, numRuns: 1500 },
    );
  });
  it('keeps a number token verbatim; a __proto__ key is plain data', () => {
    const reader = new ExactJsonReader();
    const v = reader.read('{"a":1.10e-7,"__proto__":{"x":1},"b":[-0,2E+3],"a":5}');
    expect(v).toEqual(new Map<string, unknown>([['a', '5'], ['__proto__', new Map([['x', '1']])], ['b', ['-0', '2E+3']]]));
    expect(Object.getPrototypeOf(v)).toBe(Map.prototype);
    expect(reader.read('"\\u00e9\\n\\/"')).toBe('é\n/');
    expect(reader.read(`${'['.repeat(40)}${']'.repeat(40)}`)).toBeUndefined();
    expect(reader.error).toContain('nesting too deep');
  });
});

describe('deribit exact numbers (property)', () => {
  const token = fc
    .tuple(fc.boolean(), fc.bigInt({ min: 1n, max: 10n ** 18n }), fc.integer({ min: 0, max: 12 }), fc.option(fc.integer({ min: -12, max: 12 }), { nil: undefined }))
    .map(([neg, digits, scale, exp]) => {
      let s = digits.toString();
      if (scale > 0) {
        s = s.padStart(scale + 1, '0');
        s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      }
      return `${neg ? '-' : ''}${s}${exp === undefined ? '' : `e${exp}`}`;
    });

  it('a mark price token comes out as its exact plain decimal', () => {
    const p = newProtocol();
    fc.assert(
      fc.property(token, (t) => {
        const io = new Recorder();
        p.onMessage(tickerFrame('BTC-PERPETUAL', { timestamp: 1, mark_price: t }), 1, io);
        expect(io.letters).toEqual([]);
        const mark = io.ofType('mark')[0]!;
        expect(mark.markPrice).toBe(normalizeDecimal(t));
      }),
      { seed: 99, numRuns: 500 },
    );
  });

  it('percent -> fraction is exact: fraction x 100 gives the percent back', () => {
    fc.assert(
      fc.property(token, (t) => {
        const plain = normalizeDecimal(t)!;
        const fraction = percentToFraction(t)!;
        expect(canonValue(normalizeDecimal(`${fraction}e2`)!)).toBe(canonValue(plain));
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

function canonValue(d: string): string {
  let s = d.startsWith('-') ? d.slice(1) : d;
  const neg = d.startsWith('-');
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  s = s.replace(/^0+(?=\d)/, '');
  return neg && s !== '0' ? `-${s}` : s;
}

describe('deribit parser robustness', () => {
  const fixtures = fixtureNames().map((n) => fixture(n));

  it('never throws on arbitrary text and dead-letters it', () => {
    const p = newProtocol();
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const io = new Recorder();
        expect(() => p.onMessage(text, 1, io)).not.toThrow();
        expect(io.letters.length).toBeGreaterThanOrEqual(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 1234, numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON and dead-letters anything that is not a Deribit frame', () => {
    const p = newProtocol();
    fc.assert(
      // Objects with "result"/"method" keys can be legitimate control frames (no output): excluded.
      fc.property(fc.json().filter((t) => !/"(result|method)"/.test(t)), (text) => {
        const io = new Recorder();
        expect(() => p.onMessage(text, 1, io)).not.toThrow();
        expect(io.letters.length + io.events.length).toBeGreaterThanOrEqual(1);
      }),
      { seed: 5678, numRuns: 1000 },
    );
  });

  it('dead-letters every truncation of every fixture as invalid_json', () => {
    const p = newProtocol();
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.nat(), (raw, cut) => {
        const text = raw.trimEnd();
        const prefix = text.slice(0, cut % text.length);
        const io = new Recorder();
        expect(() => p.onMessage(prefix, 1, io)).not.toThrow();
        expect(io.letters.map((l) => l.reason)).toEqual(['invalid_json']);
        expect(io.events).toEqual([]);
      }),
      { seed: 31337, numRuns: 1000 },
    );
  });

  it('never throws on mutated fixtures; output is either a dead letter or well-formed events', () => {
    const p = newProtocol();
    const mutation = fc.tuple(fc.constantFrom(...fixtures), fc.nat(), fc.nat(), fc.constantFrom('x', '0', '9', '-', '.', 'e', '"', ',', '{', ']', 'null', '1e400', '"expired"', ''));
    fc.assert(
      fc.property(mutation, ([raw, at, len, insert]) => {
        const i = at % raw.length;
        const text = raw.slice(0, i) + insert + raw.slice(i + (len % 4));
        const io = new Recorder();
        expect(() => p.onMessage(text, 1, io)).not.toThrow();
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        if (!valid) expect(io.letters.map((l) => l.reason)).toContain('invalid_json');
        assertPlainDecimals(io.events);
      }),
      { seed: 8080, numRuns: 3000 },
    );
  });
});
