/**
 * OKX robustness (seeded fast-check): arbitrary text, truncated and mutated fixtures never throw;
 * refused input is dead-lettered, anything accepted is well-formed (exact plain decimals, canonical
 * ids, integer timestamps).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OkxProtocol } from '../../../src/feeds/okx/protocol.js';
import { fixture, fixtureNames } from './harness/fixtures.js';
import { applyEdits, isJson, isPlainWellFormed, mutateLeaf } from './harness/fuzz.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';

const fixtures = fixtureNames('okx')
  .filter((f) => f.endsWith('.json') && !f.includes('testvector') && !f.includes('request'))
  .map((f) => fixture('okx', f).trimEnd());
/** What an accepted frame may emit: OKX events; options are not subscribed. */
const WELL_FORMED = { prefix: 'okx:', options: false };

function run(protocol: OkxProtocol, raw: string): Recorder {
  const io = new Recorder();
  protocol.onMessage(raw, 1, io);
  return io;
}

describe('OKX robustness', () => {
  it('arbitrary text never throws and is dead-lettered', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 10 });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        fc.pre(text !== 'ping' && text !== 'pong');
        const io = run(protocol, text);
        expect(io.reasons()).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 424242, numRuns: 2000 },
    );
  });

  it('arbitrary JSON values never throw and are dead-lettered', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 10 });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const io = run(protocol, JSON.stringify(value) ?? 'null');
        expect(io.reasons()).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 31337, numRuns: 1000 },
    );
  });

  it('truncated fixtures (a strict prefix of an object) are invalid_json', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 10 });
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.double({ min: 0, max: 0.999, noNaN: true }), (raw, cut) => {
        const io = run(protocol, raw.slice(0, Math.floor(raw.length * cut)));
        expect(io.reasons()).toEqual(['invalid_json']);
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('character-level mutations of fixtures never throw; output is a dead letter or well-formed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 5 }),
        (raw, edits) => {
          const text = applyEdits(raw, edits);
          const protocol = new OkxProtocol({ registry, bookDepth: 10 });
          const io = run(protocol, text);
          for (const event of io.events) expect(isPlainWellFormed(event, WELL_FORMED)).toBe(true);
          if (!isJson(text) && text !== 'ping' && text !== 'pong') expect(io.reasons()).toEqual(['invalid_json']);
        },
      ),
      { seed: 99, numRuns: 2000 },
    );
  });

  it('field-level mutations never throw; a non-decimal price or size is refused, never emitted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.jsonValue(), (raw, pick, value) => {
        const protocol = new OkxProtocol({ registry, bookDepth: 10 });
        const io = run(protocol, mutateLeaf(raw, pick, value));
        for (const event of io.events) expect(isPlainWellFormed(event, WELL_FORMED)).toBe(true);
      }),
      { seed: 2024, numRuns: 2000 },
    );
  });

  it('keeps running after garbage: a valid frame after 100 bad ones still parses', () => {
    const protocol = new OkxProtocol({ registry, bookDepth: 10 });
    const io = new Recorder();
    for (let i = 0; i < 100; i++) protocol.onMessage(`{"arg":{"channel":"trades"},"data":[${i}`, 1, io);
    protocol.onMessage(fixtures.find((f) => f.includes('"trades"'))!, 2, io);
    expect(io.reasons()).toHaveLength(100);
    expect(io.events.map((e) => e.type)).toEqual(['trade']);
  });
});
