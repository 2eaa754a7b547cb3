/**
 * Bybit lifecycle on loopback: FeedSessions (spot, linear, inverse) + BybitProtocol against
 * SimServer + BybitSimVenue. Every category syncs; a drop of one feed reconnects and resubscribes
 * it while the other feeds are untouched; a stall is detected as stale; a gap on one symbol resyncs
 * only that symbol while the others keep serving; garbage goes to the DLQ. Bybit books have no
 * checksum, so there is no checksum case. Waits poll for conditions; nothing asserts on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  bybitInverseProtocol,
  bybitInverseSimVenue,
  bybitLinearProtocol,
  bybitLinearSimVenue,
  bybitSpotProtocol,
  bybitSpotSimVenue,
} from '../../../src/feeds/bybit/index.js';
import type { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import type { FeedSession } from '../../../src/feeds/session.js';
import type { SimServer } from '../../../src/feeds/sim/server.js';
import type { SimVenueFactory } from '../../../src/feeds/sim/types.js';
import type { VenueProtocolFactory } from '../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';
import { Loopback, allOk, stopLoopbacks, waitFor } from './harness/loopback.js';
import { booksOf, statusesOf as statuses } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';
import { seededMarket } from './harness/sim.js';

const FEEDS: readonly [FeedId, VenueProtocolFactory, SimVenueFactory][] = [
  ['bybit-spot', bybitSpotProtocol, bybitSpotSimVenue],
  ['bybit-linear', bybitLinearProtocol, bybitLinearSimVenue],
  ['bybit-inverse', bybitInverseProtocol, bybitInverseSimVenue],
];
const universe: Instrument[] = FEEDS.flatMap(([feed]) => registry.forFeed(feed));
const LINEAR_BTC = 'bybit:BTC/USDT:USDT';

interface Harness {
  server: SimServer;
  sessions: Map<FeedId, FeedSession>;
  events: MarketEvent[];
  letters: MemoryDeadLetterSink;
}

async function start(staleAfterMs = 2_000): Promise<Harness> {
  const run = await Loopback.start({
    server: { market: seededMarket(universe, { seed: 8, startMs: Date.now(), messagesPerSecond: 3_000 }), venues: new Map(FEEDS.map(([feed, , venue]) => [feed, venue])) },
    connections: FEEDS.map(([feed, protocol]) => ({ feed, protocol: protocol({ registry, bookDepth: 10 }), instruments: registry.forFeed(feed) })),
    session: { backoff: { baseMs: 5, maxMs: 20 }, staleAfterMs, connectTimeoutMs: 2_000 },
  });
  const sessions = new Map(FEEDS.map(([feed], k) => [feed, run.sessions[k]!] as const));
  return { server: run.server, sessions, events: run.events, letters: run.dlq };
}

afterEach(stopLoopbacks);

const allSynced = (events: readonly MarketEvent[], instruments: readonly Instrument[] = universe): boolean => allOk(events, instruments);

describe('Bybit on loopback', () => {
  it('syncs every category; a drop reconnects and resubscribes that feed only', async () => {
    const { server, sessions, events } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    await waitFor(() => events.some((e) => e.type === 'mark' && e.instrument === LINEAR_BTC), 'a linear mark');
    await waitFor(() => events.some((e) => e.type === 'trade'), 'a trade');
    const before = events.length;
    expect(server.inject({ kind: 'drop', feed: 'bybit-linear' })).toEqual({ ok: true });
    await waitFor(() => sessions.get('bybit-linear')!.state().connects === 2 && allSynced(events), 'linear back in sync');
    expect(statuses(events.slice(before), LINEAR_BTC)).toEqual(['disconnected', 'connected', 'ok']);
    expect(statuses(events.slice(before), 'bybit:BTC/USDT')).toEqual([]);
    expect(statuses(events.slice(before), 'bybit:BTC/USD:BTC')).toEqual([]);
    expect(sessions.get('bybit-spot')!.state().connects).toBe(1);
  });

  it('detects a stalled stream, reports stale, reconnects and resyncs', async () => {
    const { server, sessions, events } = await start(300);
    await waitFor(() => allSynced(events), 'all books in sync');
    const before = events.length;
    expect(server.inject({ kind: 'stall', feed: 'bybit-linear', ms: 1_500 })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), LINEAR_BTC).includes('stale'), 'stale');
    await waitFor(() => sessions.get('bybit-linear')!.state().connects >= 2 && allSynced(events), 'reconnected and synced');
    expect(statuses(events.slice(before), LINEAR_BTC).slice(0, 2)).toEqual(['stale', 'disconnected']);
  });

  it('a gap on one symbol resyncs only it; the others keep serving', async () => {
    const { server, sessions, events, letters } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    const before = events.length;
    expect(server.inject({ kind: 'gap', feed: 'bybit-linear', instrument: 'BTCUSDT' })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), LINEAR_BTC).join() === 'resyncing,ok', 'BTCUSDT resynced');
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'status')).toMatchObject({ instrument: LINEAR_BTC, status: 'resyncing', reason: expect.stringMatching(/^gap: u \d+ after u \d+$/) });
    expect(after.filter((e) => e.type === 'status' && e.instrument !== LINEAR_BTC)).toEqual([]);
    const others = registry.forFeed('bybit-linear').filter((i) => i.id !== LINEAR_BTC);
    await waitFor(() => others.every((i) => booksOf(events.slice(before), i.id).length > 0), 'others serving');
    expect(sessions.get('bybit-linear')!.state().connects).toBe(1);
    expect(letters.letters().filter((l) => l.reason === 'venue_error' || l.reason === 'out_of_sequence')).toEqual([]);
  });

  it('garbage frames go to the dead-letter sink and the adapter keeps running', async () => {
    const { server, sessions, events, letters } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    expect(server.inject({ kind: 'garbage', feed: 'bybit-inverse', frames: 30 })).toEqual({ ok: true });
    await waitFor(() => letters.size >= 30, '30 dead letters');
    expect(letters.letters().every((l) => l.feed === 'bybit-inverse' && (l.reason === 'invalid_json' || l.reason === 'unknown_message'))).toBe(true);
    const before = events.length;
    await waitFor(() => booksOf(events.slice(before), 'bybit:BTC/USD:BTC').length > 0, 'data after the garbage');
    expect(sessions.get('bybit-inverse')!.state().connects).toBe(1);
    expect(statuses(events.slice(before))).toEqual([]);
  });
});
