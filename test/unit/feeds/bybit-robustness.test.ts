/**
 * Bybit robustness (seeded fast-check), on every category connection: arbitrary text, truncated and mutated fixtures never throw;
 * refused input is dead-lettered, anything accepted is well-formed (exact plain decimals, canonical
 * ids, integer timestamps).
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { BybitProtocol } from '../../../src/feeds/bybit/protocol.js';
import type { BybitCategory } from '../../../src/feeds/bybit/symbols.js';
import type { DeadLetterReason, ProtocolIO } from '../../../src/feeds/types.js';
import type { InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';

function loadRegistry(): InstrumentRegistry {
  const result = loadConfig('config');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config.registry;
}
const registry = loadRegistry();
const DIR = '/work/shared/fixtures/bybit';
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && !f.includes('request'))
  .map((f) => readFileSync(`${DIR}/${f}`, 'utf8').trimEnd());

class CountingIO implements ProtocolIO {
  events: MarketEvent[] = [];
  letters: DeadLetterReason[] = [];
  emit(event: MarketEvent): void {
    this.events.push(event);
  }
  send(): void {}
  deadLetter(reason: DeadLetterReason): void {
    this.letters.push(reason);
  }
  requestSnapshot(): void {}
  reconnect(): void {}
}

const PLAIN_UNSIGNED = /^\d+(\.\d+)?$/;
const PLAIN_SIGNED = /^-?\d+(\.\d+)?$/;

function wellFormed(event: MarketEvent): boolean {
  if (!event.instrument.startsWith('bybit:') || !Number.isSafeInteger(event.exchTs) || event.exchTs < 0) return false;
  switch (event.type) {
    case 'trade':
      return PLAIN_UNSIGNED.test(event.price) && PLAIN_UNSIGNED.test(event.size) && (event.side === 'buy' || event.side === 'sell') && event.tradeId.length > 0;
    case 'quote':
      return [event.bid, event.bidSize, event.ask, event.askSize].every((v) => v === null || PLAIN_UNSIGNED.test(v));
    case 'book':
      return [...event.bids, ...event.asks].every(([p, s]) => PLAIN_UNSIGNED.test(p) && PLAIN_UNSIGNED.test(s));
    case 'mark':
      return (
        (event.markPrice === undefined || PLAIN_UNSIGNED.test(event.markPrice)) &&
        (event.indexPrice === undefined || PLAIN_UNSIGNED.test(event.indexPrice)) &&
        (event.fundingRate === undefined || PLAIN_SIGNED.test(event.fundingRate)) &&
        (event.nextFundingTs === undefined || Number.isSafeInteger(event.nextFundingTs))
      );
    case 'status':
      return true;
    case 'option':
      return (
        PLAIN_UNSIGNED.test(event.markPrice) &&
        PLAIN_UNSIGNED.test(event.markIv) &&
        PLAIN_UNSIGNED.test(event.underlyingPrice) &&
        [event.delta, event.gamma, event.vega, event.theta].every((v) => v === undefined || PLAIN_SIGNED.test(v))
      );
  }
}

const CATEGORIES: readonly BybitCategory[] = ['spot', 'linear', 'inverse', 'option'];
/** One protocol per category, shared across runs: state carried between runs is part of the test. */
const protocols = new Map(CATEGORIES.map((c) => [c, new BybitProtocol(c, { registry, bookDepth: 10 })]));
const protocolFor = (category: BybitCategory): BybitProtocol => protocols.get(category)!;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function run(protocol: BybitProtocol, raw: string): CountingIO {
  const io = new CountingIO();
  protocol.onMessage(raw, 1, io);
  return io;
}

/** Replaces the value at a random key of `data` (or its first element, or the envelope) with `value`. */
function mutateLeaf(raw: string, pick: number, value: unknown): string {
  const message = JSON.parse(raw) as Record<string, unknown>;
  const data = message['data'];
  const first = Array.isArray(data) ? (data[0] as Record<string, unknown> | undefined) : (data as Record<string, unknown> | undefined);
  const target: Record<string, unknown> = first ?? message;
  const keys = Object.keys(target);
  if (keys.length === 0) return raw;
  target[keys[pick % keys.length]!] = value;
  return JSON.stringify(message);
}

describe('Bybit robustness', () => {
  it('arbitrary text never throws and is dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.string({ unit: 'grapheme', maxLength: 200 }), (category, text) => {
        const io = run(protocolFor(category), text);
        expect(io.letters).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 424242, numRuns: 1000 },
    );
  });

  it('arbitrary JSON values never throw and are dead-lettered', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.jsonValue(), (category, value) => {
        const io = run(protocolFor(category), JSON.stringify(value) ?? 'null');
        expect(io.letters).toHaveLength(1);
        expect(io.events).toEqual([]);
      }),
      { seed: 31337, numRuns: 1000 },
    );
  });

  it('truncated fixtures (a strict prefix of an object) are invalid_json', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.constantFrom(...fixtures), fc.double({ min: 0, max: 0.999, noNaN: true }), (category, raw, cut) => {
        const io = run(protocolFor(category), raw.slice(0, Math.floor(raw.length * cut)));
        expect(io.letters).toEqual(['invalid_json']);
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
          let text = raw;
          for (const [at, insert, remove] of edits) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + insert + text.slice(i + remove);
          }
          const io = run(protocolFor(category), text);
          for (const event of io.events) expect(wellFormed(event)).toBe(true);
          if (!isJson(text)) expect(io.letters).toEqual(['invalid_json']);
        },
      ),
      { seed: 99, numRuns: 2000 },
    );
  });

  it('field-level mutations never throw; a non-decimal price or size is refused, never emitted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATEGORIES), fc.constantFrom(...fixtures), fc.nat(), fc.jsonValue(), (category, raw, pick, value) => {
        const io = run(protocolFor(category), mutateLeaf(raw, pick, value));
        for (const event of io.events) expect(wellFormed(event)).toBe(true);
      }),
      { seed: 2024, numRuns: 2000 },
    );
  });

  it('keeps running after garbage: a valid frame after 100 bad ones still parses', () => {
    const protocol = protocolFor('linear');
    const io = new CountingIO();
    for (let i = 0; i < 100; i++) protocol.onMessage(`{"topic":"publicTrade.BTCUSDT","data":[${i}`, 1, io);
    protocol.onMessage(fixtures.find((f) => f.includes('publicTrade.BTCUSDT'))!, 2, io);
    expect(io.letters).toHaveLength(100);
    expect(io.events.map((e) => e.type)).toEqual(['trade']);
  });
});
