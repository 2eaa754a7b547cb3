import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import { parseCoinbaseFrame } from '../../../src/feeds/coinbase/parser.js';
import { CoinbaseProducts } from '../../../src/feeds/coinbase/symbols.js';
import type { VenueProtocol } from '../../../src/feeds/types.js';
import { fixture as sharedFixture } from './harness/fixtures.js';
import { expectJsonDeadLettered, expectTextDeadLettered, expectWellFormed, mutateAt } from './harness/fuzz.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixture = (name: string): string => sharedFixture('coinbase', name);
const DATA_FIXTURES = [
  'exchange-match-1.json',
  'exchange-match-2.json',
  'exchange-last_match-1.json',
  'exchange-ticker-1.json',
  'exchange-ticker-2.json',
  'exchange-level2-snapshot-1.json',
  'exchange-l2update-1.json',
  'exchange-l2update-2.json',
  'advanced-l2_data-1.json',
  'advanced-l2_data-2.json',
  'advanced-market_trades-1.json',
  'advanced-market_trades-2.json',
  'advanced-ticker-1.json',
];

/** BTC-USD's book synchronized and a trade-id baseline, so update and match mutations hit live state. */
function primed(): VenueProtocol {
  const p = createCoinbaseProtocol({ registry, bookDepth: 10 });
  const r = new Recorder();
  p.onMessage(fixture('exchange-level2-snapshot-1.json'), 0, r);
  p.onMessage('{"type":"last_match","trade_id":9,"side":"buy","size":"1","price":"400","product_id":"BTC-USD","sequence":1,"time":"2014-11-07T08:19:27Z"}', 0, r);
  return p;
}

describe('coinbase robustness (fast-check)', () => {
  it('arbitrary strings never throw and each yields exactly one dead letter', () => expectTextDeadLettered(primed(), 21));

  it('arbitrary JSON values never throw and are refused with a dead letter', () => expectJsonDeadLettered(primed(), 22));

  it('fixtures truncated or with one character replaced never throw; invalid frames are dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATA_FIXTURES), fc.nat(), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (name, cut, at, ch) => {
        const text = fixture(name);
        const i = at % text.length;
        for (const variant of [text.slice(0, cut % text.length), text.slice(0, i) + ch + text.slice(i + 1)]) {
          const r = new Recorder();
          expect(() => primed().onMessage(variant, 1, r)).not.toThrow();
          expectWellFormed(r.events, 'coinbase');
          const frame = parseCoinbaseFrame(variant, 1, new CoinbaseProducts(registry));
          if (frame.kind === 'invalid' || frame.kind === 'venue_error') expect(r.dead).toHaveLength(1);
        }
      }),
      { seed: 23, numRuns: 400 },
    );
  });

  it('fixtures with any one value replaced never throw: events stay well formed, or a dead letter / resync follows', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATA_FIXTURES), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue(), (name, path, replacement) => {
        const mutated = JSON.stringify(mutateAt(JSON.parse(fixture(name)), path, replacement));
        const r = new Recorder();
        expect(() => primed().onMessage(mutated, 1, r)).not.toThrow();
        expectWellFormed(r.events, 'coinbase');
        const frame = parseCoinbaseFrame(mutated, 1, new CoinbaseProducts(registry));
        if (frame.kind === 'invalid' || frame.kind === 'venue_error') expect(r.dead).toHaveLength(1);
        const quiet = frame.kind === 'control' || frame.kind === 'advanced' || (frame.kind === 'events' && frame.events.length === 0);
        if (!quiet) expect(r.events.length + r.dead.length + r.sent.length).toBeGreaterThan(0);
      }),
      { seed: 24, numRuns: 800 },
    );
  });
});
