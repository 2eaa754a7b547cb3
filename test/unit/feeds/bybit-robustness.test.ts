/**
 * Bybit robustness (seeded fast-check), on every category connection: arbitrary text, truncated and mutated fixtures never throw;
 * refused input is dead-lettered, anything accepted is well-formed (exact plain decimals, canonical
 * ids, integer timestamps).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BybitProtocol } from '../../../src/feeds/bybit/protocol.js';
import type { BybitCategory } from '../../../src/feeds/bybit/symbols.js';
import { fixture, fixtureNames } from './harness/fixtures.js';
import { applyEdits, isJson, isPlainWellFormed, mutateLeaf } from './harness/fuzz.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixtures = fixtureNames('bybit')
  .filter((f) => f.endsWith('.json') && !f.includes('request'))
  .map((f) => fixture('bybit', f).trimEnd());
/** What an accepted frame may emit: Bybit has option tickers. */
const WELL_FORMED = { prefix: 'bybit:', options: true };

const CATEGORIES: readonly BybitCategory[] = ['spot', 'linear', 'inverse', 'option'];
/** One protocol per category, shared across runs: state carried between runs is part of the test. */
const protocols = new Map(CATEGORIES.map((c) => [c, new BybitProtocol(c, { registry, bookDepth: 10 })]));
const protocolFor = (category: BybitCategory): BybitProtocol => protocols.get(category)!;

function run(protocol: BybitProtocol, raw: string): Recorder {
  const io = new Recorder();
  protocol.onMessage(raw, 1, io);
  return io;
}

describe('Bybit robustness', () => {
  it('arbitrary text never throws and is dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.string({ unit: 'grapheme', maxLength: 200 }), (category, text) => {
        const io = run(protocolFor(category), text);
        expect(io.reasons()).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 424242, numRuns: 1000 },
    );
  });

  it('arbitrary JSON values never throw and are dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.jsonValue(), (category, value) => {
        const io = run(protocolFor(category), JSON.stringify(value) ?? 'null');
        expect(io.reasons()).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 31337, numRuns: 1000 },
    );
  });

  it('truncated fixtures (a strict prefix of an object) are invalid_json', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.constantFrom(...fixtures), fc.double({ min: 0, max: 0.999, noNaN: true }), (category, raw, cut) => {
        const io = run(protocolFor(category), raw.slice(0, Math.floor(raw.length * cut)));
        expect(io.reasons()).toEqual(['invalid_json']);
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('character-level mutations of fixtures never throw; output is a dead letter or well-formed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CATEGORIES),
        fc.constantFrom(...fixtures),
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 5 }),
        (category, raw, edits) => {
          const text = applyEdits(raw, edits);
          const io = run(protocolFor(category), text);
          for (const event of io.events) expect(isPlainWellFormed(event, WELL_FORMED)).toBe(true);
          if (!isJson(text)) expect(io.reasons()).toEqual(['invalid_json']);
        },
      ),
      { seed: 99, numRuns: 2000 },
    );
  });

  it('field-level mutations never throw; a non-decimal price or size is refused, never emitted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.constantFrom(...fixtures), fc.nat(), fc.jsonValue(), (category, raw, pick, value) => {
        const io = run(protocolFor(category), mutateLeaf(raw, pick, value));
        for (const event of io.events) expect(isPlainWellFormed(event, WELL_FORMED)).toBe(true);
      }),
      { seed: 2024, numRuns: 2000 },
    );
  });

  it('keeps running after garbage: a valid frame after 100 bad ones still parses', () => {
    const protocol = protocolFor('linear');
    const io = new Recorder();
    for (let i = 0; i < 100; i++) protocol.onMessage(`{"topic":"publicTrade.BTCUSDT","data":[${i}`, 1, io);
    protocol.onMessage(fixtures.find((f) => f.includes('publicTrade.BTCUSDT'))!, 2, io);
    expect(io.reasons()).toHaveLength(100);
    expect(io.events.map((e) => e.type)).toEqual(['trade']);
  });
});
