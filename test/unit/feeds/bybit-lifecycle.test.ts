/**
 * Bybit lifecycle on loopback: FeedSessions (spot, linear, inverse) + BybitProtocol against
 * SimServer + BybitSimVenue. Every category syncs; a drop of one feed reconnects and resubscribes
 * it while the other feeds are untouched; a stall is detected as stale; a gap on one symbol resyncs
 * only that symbol while the others keep serving; garbage goes to the DLQ. Bybit books have no
 * checksum, so there is no checksum case. Waits poll for conditions; nothing asserts on time.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { loadConfig } from '../../../src/config/load.js';
import {
  bybitInverseProtocol,
  bybitInverseSimVenue,
  bybitLinearProtocol,
  bybitLinearSimVenue,
  bybitSpotProtocol,
  bybitSpotSimVenue,
} from '../../../src/feeds/bybit/index.js';
import { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import { FeedSession } from '../../../src/feeds/session.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import { SimServer } from '../../../src/feeds/sim/server.js';
import type { SimVenueFactory } from '../../../src/feeds/sim/types.js';
import type { VenueProtocolFactory } from '../../../src/feeds/types.js';
import type { FeedId, Instrument, InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import type { MarketEvent, StatusEvent } from '../../../src/risk/events.js';

const logger = pino({ level: 'silent' });

function loadRegistry(): InstrumentRegistry {
  const result = loadConfig('config');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config.registry;
}
const registry = loadRegistry();
const FEEDS: readonly [FeedId, VenueProtocolFactory, SimVenueFactory][] = [
  ['bybit-spot', bybitSpotProtocol, bybitSpotSimVenue],
  ['bybit-linear', bybitLinearProtocol, bybitLinearSimVenue],
  ['bybit-inverse', bybitInverseProtocol, bybitInverseSimVenue],
];
const universe: Instrument[] = FEEDS.flatMap(([feed]) => registry.forFeed(feed));
const LINEAR_BTC = 'bybit:BTC/USDT:USDT';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Harness {
  server: SimServer;
  sessions: Map<FeedId, FeedSession>;
  events: MarketEvent[];
  letters: MemoryDeadLetterSink;
}

let harness: Harness | undefined;

async function start(staleAfterMs = 2_000): Promise<Harness> {
  const defaults = simSectionSchema.parse({});
  const created = SimMarket.create({
    instruments: universe,
    seed: 8,
    startMs: Date.now(),
    model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
    flow: { ...defaults.flow, messagesPerSecond: 3_000 },
    book: defaults.book,
  });
  if (!created.ok) throw new Error(created.errors.join('\n'));
  const server = new SimServer({
    market: created.market,
    venues: new Map(FEEDS.map(([feed, , venue]) => [feed, venue])),
    logger,
    host: '127.0.0.1',
    port: 0,
  });
  await server.start();
  const events: MarketEvent[] = [];
  const letters = new MemoryDeadLetterSink(10_000);
  const sessions = new Map<FeedId, FeedSession>();
  for (const [feed, protocol] of FEEDS) {
    const session = new FeedSession({
      protocol: protocol({ registry, bookDepth: 10 }),
      instruments: registry.forFeed(feed),
      options: { url: server.url(feed), backoff: { baseMs: 5, maxMs: 20 }, staleAfterMs, maxConnectionAgeMs: 0, connectTimeoutMs: 2_000 },
      emit: (event) => events.push(event),
      deadLetters: letters,
      logger,
    });
    session.start();
    sessions.set(feed, session);
  }
  harness = { server, sessions, events, letters };
  return harness;
}

afterEach(async () => {
  if (harness !== undefined) {
    for (const session of harness.sessions.values()) await session.close();
    await harness.server.stop();
    harness = undefined;
  }
});

const statuses = (events: readonly MarketEvent[], instrument?: string): string[] =>
  events.filter((e): e is StatusEvent => e.type === 'status' && (instrument === undefined || e.instrument === instrument)).map((e) => e.status);

function allSynced(events: readonly MarketEvent[], instruments: readonly Instrument[] = universe): boolean {
  const latest = new Map<string, string>();
  for (const e of events) if (e.type === 'status') latest.set(e.instrument, e.status);
  return instruments.every((i) => latest.get(i.id) === 'ok');
}

const booksOf = (events: readonly MarketEvent[], instrument: string): number => events.filter((e) => e.type === 'book' && e.instrument === instrument).length;

describe('Bybit on loopback', () => {
  it('syncs every category; a drop reconnects and resubscribes that feed only', async () => {
    const { server, sessions, events } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    await waitFor('a linear mark', () => events.some((e) => e.type === 'mark' && e.instrument === LINEAR_BTC));
    await waitFor('a trade', () => events.some((e) => e.type === 'trade'));
    const before = events.length;
    expect(server.inject({ kind: 'drop', feed: 'bybit-linear' })).toEqual({ ok: true });
    await waitFor('linear back in sync', () => sessions.get('bybit-linear')!.state().connects === 2 && allSynced(events));
    expect(statuses(events.slice(before), LINEAR_BTC)).toEqual(['disconnected', 'connected', 'ok']);
    expect(statuses(events.slice(before), 'bybit:BTC/USDT')).toEqual([]);
    expect(statuses(events.slice(before), 'bybit:BTC/USD:BTC')).toEqual([]);
    expect(sessions.get('bybit-spot')!.state().connects).toBe(1);
  });

  it('detects a stalled stream, reports stale, reconnects and resyncs', async () => {
    const { server, sessions, events } = await start(300);
    await waitFor('all books in sync', () => allSynced(events));
    const before = events.length;
    expect(server.inject({ kind: 'stall', feed: 'bybit-linear', ms: 1_500 })).toEqual({ ok: true });
    await waitFor('stale', () => statuses(events.slice(before), LINEAR_BTC).includes('stale'));
    await waitFor('reconnected and synced', () => sessions.get('bybit-linear')!.state().connects >= 2 && allSynced(events));
    expect(statuses(events.slice(before), LINEAR_BTC).slice(0, 2)).toEqual(['stale', 'disconnected']);
  });

  it('a gap on one symbol resyncs only it; the others keep serving', async () => {
    const { server, sessions, events, letters } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    const before = events.length;
    expect(server.inject({ kind: 'gap', feed: 'bybit-linear', instrument: 'BTCUSDT' })).toEqual({ ok: true });
    await waitFor('BTCUSDT resynced', () => statuses(events.slice(before), LINEAR_BTC).join() === 'resyncing,ok');
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'status')).toMatchObject({ instrument: LINEAR_BTC, status: 'resyncing', reason: expect.stringMatching(/^gap: u \d+ after u \d+$/) });
    expect(after.filter((e) => e.type === 'status' && e.instrument !== LINEAR_BTC)).toEqual([]);
    const others = registry.forFeed('bybit-linear').filter((i) => i.id !== LINEAR_BTC);
    await waitFor('others serving', () => others.every((i) => booksOf(events.slice(before), i.id) > 0));
    expect(sessions.get('bybit-linear')!.state().connects).toBe(1);
    expect(letters.letters().filter((l) => l.reason === 'venue_error' || l.reason === 'out_of_sequence')).toEqual([]);
  });

  it('garbage frames go to the dead-letter sink and the adapter keeps running', async () => {
    const { server, sessions, events, letters } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    expect(server.inject({ kind: 'garbage', feed: 'bybit-inverse', frames: 30 })).toEqual({ ok: true });
    await waitFor('30 dead letters', () => letters.size >= 30);
    expect(letters.letters().every((l) => l.feed === 'bybit-inverse' && (l.reason === 'invalid_json' || l.reason === 'unknown_message'))).toBe(true);
    const before = events.length;
    await waitFor('data after the garbage', () => booksOf(events.slice(before), 'bybit:BTC/USD:BTC') > 0);
    expect(sessions.get('bybit-inverse')!.state().connects).toBe(1);
    expect(statuses(events.slice(before))).toEqual([]);
  });
});
