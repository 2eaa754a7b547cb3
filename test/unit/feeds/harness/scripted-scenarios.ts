/**
 * Lifecycle scenarios that read the same at every venue with a scripted loopback (Kraken,
 * Coinbase): each venue test names the scenario in its own `it` and runs it with its feed and its
 * two instruments. The assertions live here once.
 */
import { expect } from 'vitest';
import type { SimVenueFactory } from '../../../../src/feeds/sim/types.js';
import type { VenueProtocol } from '../../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../../src/portfolio/instruments.js';
import { type ScriptedRun, okCount, startScripted, waitFor } from './loopback.js';
import { statusesOf } from './recorder.js';
import { type ScriptedBooks, scriptedBooks } from './sim.js';

export interface ScriptedScenario {
  feed: FeedId;
  /** A fresh run with both books `ok` once. */
  start(staleAfterMs?: number): Promise<ScriptedRun>;
  btc: Instrument;
  eth: Instrument;
  /** Longest wait for any one condition. */
  waitMs: number;
}

export interface ScriptedScenarioSetup {
  feed: FeedId;
  simVenue: SimVenueFactory;
  /** A fresh client protocol per run. */
  protocol(): VenueProtocol;
  books: ScriptedBooks;
  startMs: number;
  btc: Instrument;
  eth: Instrument;
  waitMs: number;
}

/** A venue's scenario context: each `start` runs a fresh loopback and waits until both books went `ok`. */
export function scriptedScenario(setup: ScriptedScenarioSetup): ScriptedScenario {
  const { feed, simVenue, books, startMs, btc, eth, waitMs } = setup;
  const start = async (staleAfterMs = 60_000): Promise<ScriptedRun> => {
    const h = await startScripted({ feed, simVenue, protocol: setup.protocol(), books, startMs, staleAfterMs });
    await waitFor(() => okCount(h.events, btc.id) === 1 && okCount(h.events, eth.id) === 1, 'condition', waitMs);
    return h;
  };
  return { feed, start, btc, eth, waitMs };
}

/** The two books of a two-pair scenario: 15 levels around 50000 (BTC) and 3000.00 (ETH), sizes n.00000000 / n.50000000. */
const twoPairLevelSize = (side: 'bid' | 'ask', i: number): string => (side === 'bid' ? `${i}.00000000` : `${i}.50000000`);

/**
 * The scripted BTC/USD + ETH/USD loopback both spot venues (Kraken, Coinbase) are tested on; the
 * venue's tick decides BTC's price decimals. Waits may take up to 15 s.
 */
export function twoPairScenario(setup: { feed: FeedId; simVenue: SimVenueFactory; protocol(): VenueProtocol; btc: Instrument; eth: Instrument; btcDecimals: number }): ScriptedScenario {
  const books = scriptedBooks([[setup.btc, 50000, 0.5, setup.btcDecimals], [setup.eth, 3000, 0.05, 2]], 15, twoPairLevelSize);
  return scriptedScenario({ ...setup, books, startMs: Date.parse('2026-11-26T09:00:00Z'), waitMs: 15_000 });
}

/** A dropped connection reconnects and resubscribes; both books come back `ok` and data flows. */
export async function reconnectsAfterDrop(s: ScriptedScenario): Promise<void> {
  const h = await s.start();
  expect(h.server.inject({ kind: 'drop', feed: s.feed })).toEqual({ ok: true });
  await waitFor(() => okCount(h.events, s.btc.id) === 2 && okCount(h.events, s.eth.id) === 2, 'books after reconnect', s.waitMs);
  expect(statusesOf(h.events, s.btc.id)).toEqual(['connected', 'ok', 'disconnected', 'connected', 'ok']);
  expect(h.session.state().connects).toBe(2);
  h.driver.trade(s.btc);
  h.server.advance(1);
  await waitFor(() => h.events.some((e) => e.type === 'trade' && e.instrument === s.btc.id), 'trade after reconnect', s.waitMs);
}

/** Garbage frames are dead-lettered and the adapter keeps running on the same connection. */
export async function garbageGoesToTheDlq(s: ScriptedScenario): Promise<void> {
  const h = await s.start();
  expect(h.server.inject({ kind: 'garbage', feed: s.feed, frames: 9 })).toEqual({ ok: true });
  h.driver.trade(s.btc);
  h.server.advance(1);
  await waitFor(() => h.events.some((e) => e.type === 'trade'), 'trade after garbage', s.waitMs);
  const reasons = h.dlq.letters().map((l) => l.reason);
  expect(reasons).toHaveLength(9);
  expect(new Set(reasons)).toEqual(new Set(['unknown_message', 'invalid_json']));
  expect(h.dlq.letters().every((l) => l.feed === s.feed)).toBe(true);
  expect(h.session.state().connects).toBe(1);
}

/** A stalled stream is stale although venue heartbeats keep arriving; the session reconnects. */
export async function staleDespiteHeartbeats(s: ScriptedScenario): Promise<void> {
  // Longer than the venue heartbeat period (1 s): heartbeats arrive inside the silent window.
  const h = await s.start(2_500);
  expect(h.server.inject({ kind: 'stall', feed: s.feed, ms: 60_000 })).toEqual({ ok: true });
  const framesAtStall = h.session.state().messages;
  const feeder = setInterval(() => {
    h.driver.bookChange(s.btc);
    h.server.advance(1);
  }, 20);
  let framesBeforeStale = 0;
  try {
    await waitFor(() => statusesOf(h.events, s.btc.id).includes('stale'), 'stale', s.waitMs);
    framesBeforeStale = h.session.state().messages;
    await waitFor(() => h.session.state().connects >= 2, 'reconnect', s.waitMs);
  } finally {
    clearInterval(feeder);
  }
  // Frames (venue heartbeats) did arrive during the stall; none of them counted as data.
  expect(framesBeforeStale).toBeGreaterThan(framesAtStall);
  expect(statusesOf(h.events, s.eth.id)).toContain('stale');
  expect(statusesOf(h.events, s.btc.id).slice(0, 4)).toEqual(['connected', 'ok', 'stale', 'disconnected']);
}
