import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDecimalString } from '../../../src/feeds/decimal.js';
import { createKrakenProtocol } from '../../../src/feeds/kraken/index.js';
import { parseKrakenFrame } from '../../../src/feeds/kraken/parser.js';
import { KrakenSymbols } from '../../../src/feeds/kraken/symbols.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import { fixture as sharedFixture } from './harness/fixtures.js';
import { expectJsonDeadLettered, expectTextDeadLettered, expectWellFormed, mutateAt } from './harness/fuzz.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixture = (name: string): string => sharedFixture('kraken', name);
const DATA_FIXTURES = ['book-1.json', 'book-2.json', 'trade-1.json', 'trade-2.json', 'ticker-1.json', 'ticker-2.json'];

/** A protocol with MATIC/USD's book already synchronized (so book-2 mutations hit a live book). */
function primed(): VenueProtocol {
  const p = createKrakenProtocol({ registry, bookDepth: 10, precisions: { 'MATIC/USD': { price: 4, qty: 8 } } });
  p.onMessage(fixture('book-1.json'), 0, new Recorder());
  return p;
}

describe('kraken robustness (fast-check)', () => {
  it('arbitrary strings never throw and each yields exactly one dead letter', () => expectTextDeadLettered(primed(), 11));

  it('arbitrary JSON values never throw and are refused with a dead letter', () => expectJsonDeadLettered(primed(), 12));

  it('fixtures truncated or with one character replaced never throw; invalid JSON is dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATA_FIXTURES), fc.nat(), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (name, cut, at, ch) => {
        const text = fixture(name);
        const truncated = text.slice(0, cut % text.length);
        const i = at % text.length;
        const replaced = text.slice(0, i) + ch + text.slice(i + 1);
        for (const variant of [truncated, replaced]) {
          const r = new Recorder();
          const p = primed();
          expect(() => p.onMessage(variant, 1, r)).not.toThrow();
          expectWellFormed(r.events, 'kraken');
          const frame = parseKrakenFrame(variant, 1, new KrakenSymbols(registry));
          if (frame.kind === 'invalid' || frame.kind === 'venue_error') expect(r.dead).toHaveLength(1);
          else expect(r.events.length + r.dead.length + r.sent.length).toBeGreaterThanOrEqual(frame.kind === 'book' ? 1 : 0);
        }
      }),
      { seed: 13, numRuns: 400 },
    );
  });

  it('fixtures with any one value replaced never throw: events stay well formed, or a dead letter / resync follows', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATA_FIXTURES), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue(), (name, path, replacement) => {
        const mutated = JSON.stringify(mutateAt(JSON.parse(fixture(name)), path, replacement));
        const r = new Recorder();
        const p = primed();
        expect(() => p.onMessage(mutated, 1, r)).not.toThrow();
        expectWellFormed(r.events, 'kraken');
        const frame = parseKrakenFrame(mutated, 1, new KrakenSymbols(registry));
        const quiet =
          frame.kind === 'heartbeat' || frame.kind === 'pong' || frame.kind === 'ack' || frame.kind === 'system' || ((frame.kind === 'trades' || frame.kind === 'quotes') && frame.events.length === 0);
        if (!quiet) expect(r.events.length + r.dead.length + r.sent.length).toBeGreaterThan(0);
        if (frame.kind === 'invalid') expect(r.dead).toHaveLength(1);
      }),
      { seed: 14, numRuns: 800 },
    );
  });

  it('number tokens survive exactly, in plain and scientific notation', () => {
    const symbols = new KrakenSymbols(registry);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: -12, max: 6 }), (mantissa, scale, exponent) => {
        const digits = mantissa.toString();
        const plain = scale === 0 ? digits : digits.length > scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : `0.${digits.padStart(scale, '0')}`;
        const sci = `${plain}e${exponent}`;
        for (const token of [plain, sci]) {
          const text = `{"channel":"trade","type":"update","data":[{"symbol":"ALGO/USD","side":"buy","price":${token},"qty":${token},"ord_type":"limit","trade_id":1,"timestamp":"2023-09-25T07:49:37.708706Z"}]}`;
          const frame = parseKrakenFrame(text, 0, symbols);
          if (frame.kind !== 'trades') throw new Error(`${token}: ${JSON.stringify(frame)}`);
          const price = frame.events[0]!.price;
          expect(isDecimalString(price)).toBe(true);
          // Exact: the same rational value as the token (compared as scaled integers).
          const [ip, fp = ''] = price.split('.');
          const got = BigInt(`${ip}${fp}`) * 10n ** BigInt(40 - fp.length);
          const expScale = token === sci ? scale - exponent : scale;
          const want = expScale <= 40 ? mantissa * 10n ** BigInt(40 - expScale) : -1n;
          if (want >= 0n) expect(got).toBe(want);
        }
      }),
      { seed: 15, numRuns: 1000 },
    );
  });
});
