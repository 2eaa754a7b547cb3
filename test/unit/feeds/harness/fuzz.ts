/**
 * Pieces of the venue robustness properties (seeded fast-check): mutations of fixture frames and
 * the checks that whatever a protocol still emits is well formed.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isDecimalString } from '../../../../src/feeds/decimal.js';
import type { VenueProtocol } from '../../../../src/feeds/types.js';
import type { Venue } from '../../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../../src/risk/events.js';
import { Recorder } from './recorder.js';

/** Arbitrary strings (UTF-16, graphemes, bytes) never throw; each is one dead letter and no event. */
export function expectTextDeadLettered(protocol: VenueProtocol, seed: number): void {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
      const r = new Recorder();
      expect(() => protocol.onMessage(text, 1, r)).not.toThrow();
      expect(r.events).toEqual([]);
      expect(r.dead).toHaveLength(1);
    }),
    { seed, numRuns: 500 },
  );
}

/** Arbitrary JSON values never throw; each is one dead letter and no event. */
export function expectJsonDeadLettered(protocol: VenueProtocol, seed: number): void {
  fc.assert(
    fc.property(fc.json(), (text) => {
      const r = new Recorder();
      expect(() => protocol.onMessage(text, 1, r)).not.toThrow();
      expect(r.events).toEqual([]);
      expect(r.dead).toHaveLength(1);
    }),
    { seed, numRuns: 1000 },
  );
}

/** Replaces the value at a path of a JSON tree (each step picks a child by index, modulo). */
export function mutateAt(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const next = mutateAt(child, path.slice(1), replacement);
  if (Array.isArray(value)) return value.map((v, i) => (i === key ? next : v));
  return { ...(value as Record<string, unknown>), [key]: next };
}

/** Replaces the value at a key of `data` (or its first element, or the envelope) with `value`. */
export function mutateLeaf(raw: string, pick: number, value: unknown): string {
  const message = JSON.parse(raw) as Record<string, unknown>;
  const data = message['data'];
  const first = Array.isArray(data) ? (data[0] as Record<string, unknown> | undefined) : (data as Record<string, unknown> | undefined);
  const target: Record<string, unknown> = first ?? message;
  const keys = Object.keys(target);
  if (keys.length === 0) return raw;
  target[keys[pick % keys.length]!] = value;
  return JSON.stringify(message);
}

/** Applies `[at, insert, remove]` edits in order, each position modulo the current length + 1. */
export function applyEdits(text: string, edits: readonly (readonly [number, string, number])[]): string {
  let out = text;
  for (const [at, insert, remove] of edits) {
    const i = at % (out.length + 1);
    out = out.slice(0, i) + insert + out.slice(i + remove);
  }
  return out;
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Asserts each event is the venue's, with a finite time and decimal strings (trade, book, quote). */
export function expectWellFormed(events: readonly MarketEvent[], venue: Venue): void {
  for (const e of events) {
    expect(e.venue).toBe(venue);
    expect(e.instrument.startsWith(`${venue}:`)).toBe(true);
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

const PLAIN_UNSIGNED = /^\d+(\.\d+)?$/;
const PLAIN_SIGNED = /^-?\d+(\.\d+)?$/;

export interface PlainEventRules {
  /** Canonical id prefix, e.g. `okx:`. */
  prefix: string;
  /** Whether the venue emits `option` events (otherwise one is never well formed). */
  options: boolean;
}

/**
 * True when an event has the venue's id prefix, a non-negative safe-integer time and plain
 * decimals (no exponent, no sign where a value cannot be negative).
 */
export function isPlainWellFormed(event: MarketEvent, rules: PlainEventRules): boolean {
  if (!event.instrument.startsWith(rules.prefix) || !Number.isSafeInteger(event.exchTs) || event.exchTs < 0) return false;
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
        rules.options &&
        PLAIN_UNSIGNED.test(event.markPrice) &&
        PLAIN_UNSIGNED.test(event.markIv) &&
        PLAIN_UNSIGNED.test(event.underlyingPrice) &&
        [event.delta, event.gamma, event.vega, event.theta].every((v) => v === undefined || PLAIN_SIGNED.test(v))
      );
  }
}
