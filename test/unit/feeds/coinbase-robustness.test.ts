import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createCoinbaseProtocol } from '../../../src/feeds/coinbase/index.js';
import { parseCoinbaseFrame } from '../../../src/feeds/coinbase/parser.js';
import { CoinbaseProducts } from '../../../src/feeds/coinbase/symbols.js';
import { isDecimalString } from '../../../src/feeds/decimal.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';

const FIXTURES = '/work/shared/fixtures/coinbase';
const fixture = (name: string): string => readFileSync(`${FIXTURES}/${name}`, 'utf8');
const registry = InstrumentRegistry.of((parse(readFileSync('config/instruments.yaml', 'utf8')) as { instruments: InstrumentSpec[] }).instruments);
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

interface Rec {
  events: MarketEvent[];
  sent: string[];
  dead: DeadLetterReason[];
  io: ProtocolIO;
}
function rec(): Rec {
  const r: Rec = {
    events: [],
    sent: [],
    dead: [],
    io: {
      emit: (e) => r.events.push(e),
      send: (t) => r.sent.push(t),
      deadLetter: (reason) => r.dead.push(reason),
      requestSnapshot: () => undefined,
      reconnect: () => undefined,
    },
  };
  return r;
}

/** BTC-USD's book synchronized and a trade-id baseline, so update and match mutations hit live state. */
function primed(): VenueProtocol {
  const p = createCoinbaseProtocol({ registry, bookDepth: 10 });
  const r = rec();
  p.onMessage(fixture('exchange-level2-snapshot-1.json'), 0, r.io);
  p.onMessage('{"type":"last_match","trade_id":9,"side":"buy","size":"1","price":"400","product_id":"BTC-USD","sequence":1,"time":"2014-11-07T08:19:27Z"}', 0, r.io);
  return p;
}

function assertWellFormed(events: readonly MarketEvent[]): void {
  for (const e of events) {
    expect(e.venue).toBe('coinbase');
    expect(e.instrument.startsWith('coinbase:')).toBe(true);
    expect(Number.isFinite(e.exchTs)).toBe(true);
    if (e.type === 'trade') {
      expect(isDecimalString(e.price) && isDecimalString(e.size)).toBe(true);
      expect(['buy', 'sell']).toContain(e.side);
    } else if (e.type === 'book') {
      for (const [p, q] of [...e.bids, ...e.asks]) expect(isDecimalString(p) && isDecimalString(q)).toBe(true);
    } else if (e.type === 'quote') {
      for (const v of [e.bid, e.bidSize, e.ask, e.askSize]) expect(v === null || isDecimalString(v)).toBe(true);
    }
  }
}

function mutateAt(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const next = mutateAt(child, path.slice(1), replacement);
  if (Array.isArray(value)) return value.map((v, i) => (i === key ? next : v));
  return { ...(value as Record<string, unknown>), [key]: next };
}

describe('coinbase robustness (fast-check)', () => {
  it('arbitrary strings never throw and each yields exactly one dead letter', () => {
    const p = primed();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
        const r = rec();
        expect(() => p.onMessage(text, 1, r.io)).not.toThrow();
        expect(r.events).toEqual([]);
        expect(r.dead).toHaveLength(1);
      }),
      { seed: 21, numRuns: 500 },
    );
  });

  it('arbitrary JSON values never throw and are refused with a dead letter', () => {
    const p = primed();
    fc.assert(
      fc.property(fc.json(), (text) => {
        const r = rec();
        expect(() => p.onMessage(text, 1, r.io)).not.toThrow();
        expect(r.events).toEqual([]);
        expect(r.dead).toHaveLength(1);
      }),
      { seed: 22, numRuns: 1000 },
    );
  });

  it('fixtures truncated or with one character replaced never throw; invalid frames are dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DATA_FIXTURES), fc.nat(), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (name, cut, at, ch) => {
        const text = fixture(name);
        const i = at % text.length;
        for (const variant of [text.slice(0, cut % text.length), text.slice(0, i) + ch + text.slice(i + 1)]) {
          const r = rec();
          expect(() => primed().onMessage(variant, 1, r.io)).not.toThrow();
          assertWellFormed(r.events);
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
        const r = rec();
        expect(() => primed().onMessage(mutated, 1, r.io)).not.toThrow();
        assertWellFormed(r.events);
        const frame = parseCoinbaseFrame(mutated, 1, new CoinbaseProducts(registry));
        if (frame.kind === 'invalid' || frame.kind === 'venue_error') expect(r.dead).toHaveLength(1);
        const quiet = frame.kind === 'control' || frame.kind === 'advanced' || (frame.kind === 'events' && frame.events.length === 0);
        if (!quiet) expect(r.events.length + r.dead.length + r.sent.length).toBeGreaterThan(0);
      }),
      { seed: 24, numRuns: 800 },
    );
  });
});
