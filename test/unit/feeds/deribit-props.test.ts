/**
 * Property tests for the Deribit adapter: numbers survive exactly (the reader itself is tested in
 * json-exact.test.ts), and no input (arbitrary text, mutated or truncated fixtures) makes the parser
 * throw; bad input always yields a dead letter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDecimal } from '../../../src/feeds/decimal.js';
import { percentToFraction } from '../../../src/feeds/deribit/mapping.js';
import type { MarketEvent } from '../../../src/risk/events.js';
import { Recorder, fixture, fixtureNames, newProtocol, tickerFrame } from './deribit-helpers.js';

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
