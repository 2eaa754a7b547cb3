/**
 * OKX lifecycle on loopback: FeedSession + OkxProtocol against SimServer + OkxSimVenue. Reconnect
 * with resubscribe after a drop, stale-stream detection on a stall, a gap and a checksum mismatch
 * on one instrument resync only it while the others keep serving, garbage goes to the DLQ, and the
 * venue's service-upgrade notice makes the session reconnect. Waits poll for conditions; nothing
 * asserts on elapsed time.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { loadConfig } from '../../../src/config/load.js';
import { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import { okxProtocol, okxSimVenue } from '../../../src/feeds/okx/index.js';
import { FeedSession } from '../../../src/feeds/session.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import { SimServer } from '../../../src/feeds/sim/server.js';
import type { FeedId, InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import type { MarketEvent, StatusEvent } from '../../../src/risk/events.js';

const logger = pino({ level: 'silent' });

function loadRegistry(): InstrumentRegistry {
  const result = loadConfig('config');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config.registry;
}
const registry = loadRegistry();
const instruments = registry.forFeed('okx');
const BTC = 'okx:BTC/USDT';

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Harness {
  server: SimServer;
  session: FeedSession;
  events: MarketEvent[];
  letters: MemoryDeadLetterSink;
}

let harness: Harness | undefined;

async function start(staleAfterMs = 2_000): Promise<Harness> {
  const defaults = simSectionSchema.parse({});
  const created = SimMarket.create({
    instruments,
    seed: 3,
    startMs: Date.now(),
    model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
    flow: { ...defaults.flow, messagesPerSecond: 3_000 },
    book: defaults.book,
  });
  if (!created.ok) throw new Error(created.errors.join('\n'));
  const server = new SimServer({
    market: created.market,
    venues: new Map<FeedId, typeof okxSimVenue>([['okx', okxSimVenue]]),
    logger,
    host: '127.0.0.1',
    port: 0,
    shutdownGraceMs: 50,
  });
  await server.start();
  const events: MarketEvent[] = [];
  const letters = new MemoryDeadLetterSink(10_000);
  const session = new FeedSession({
    protocol: okxProtocol({ registry, bookDepth: 5 }),
    instruments,
    options: { url: server.url('okx'), backoff: { baseMs: 5, maxMs: 20 }, staleAfterMs, maxConnectionAgeMs: 0, connectTimeoutMs: 2_000 },
    emit: (event) => events.push(event),
    deadLetters: letters,
    logger,
  });
  session.start();
  harness = { server, session, events, letters };
  return harness;
}

afterEach(async () => {
  if (harness !== undefined) {
    await harness.session.close();
    await harness.server.stop();
    harness = undefined;
  }
});

const statuses = (events: readonly MarketEvent[], instrument?: string): string[] =>
  events.filter((e): e is StatusEvent => e.type === 'status' && (instrument === undefined || e.instrument === instrument)).map((e) => e.status);

/** Every instrument's latest status is `ok` (its book is in sync). */
function allSynced(events: readonly MarketEvent[]): boolean {
  const latest = new Map<string, string>();
  for (const e of events) if (e.type === 'status') latest.set(e.instrument, e.status);
  return instruments.every((i) => latest.get(i.id) === 'ok');
}

const booksOf = (events: readonly MarketEvent[], instrument: string): number => events.filter((e) => e.type === 'book' && e.instrument === instrument).length;

describe('OKX on loopback', () => {
  beforeEach(() => {
    harness = undefined;
  });

  it('subscribes, syncs every book, and reconnects with resubscribe after a drop', async () => {
    const { server, session, events } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    expect(session.state().connects).toBe(1);
    await waitFor('a trade', () => events.some((e) => e.type === 'trade' && e.venue === 'okx'));
    await waitFor('a mark', () => events.some((e) => e.type === 'mark' && e.venue === 'okx'));
    const before = events.length;
    expect(server.inject({ kind: 'drop', feed: 'okx' })).toEqual({ ok: true });
    await waitFor('disconnected', () => statuses(events.slice(before), BTC).includes('disconnected'));
    await waitFor('second connection synced', () => session.state().connects === 2 && allSynced(events));
    const after = events.slice(before);
    expect(statuses(after, BTC)).toEqual(['disconnected', 'connected', 'ok']);
    await waitFor('data after the reconnect', () => booksOf(events.slice(before), BTC) > 0);
  });

  it('detects a stalled stream, reports stale, reconnects and resyncs', async () => {
    const { server, session, events } = await start(300);
    await waitFor('all books in sync', () => allSynced(events));
    const before = events.length;
    expect(server.inject({ kind: 'stall', feed: 'okx', ms: 1_500 })).toEqual({ ok: true });
    await waitFor('stale', () => statuses(events.slice(before), BTC).includes('stale'));
    await waitFor('reconnected and synced', () => session.state().connects >= 2 && allSynced(events));
    expect(statuses(events.slice(before), BTC).slice(0, 2)).toEqual(['stale', 'disconnected']);
  });

  it('a gap on one instrument resyncs only it; the others keep serving', async () => {
    const { server, session, events, letters } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    const before = events.length;
    expect(server.inject({ kind: 'gap', feed: 'okx', instrument: BTC })).toEqual({ ok: true });
    await waitFor('BTC resynced', () => statuses(events.slice(before), BTC).join() === 'resyncing,ok');
    const after = events.slice(before);
    const resync = after.find((e): e is StatusEvent => e.type === 'status' && e.status === 'resyncing')!;
    expect(resync.reason).toMatch(/^gap: prevSeqId \d+ != last seqId \d+$/);
    // No other instrument changed status, and they kept publishing books.
    expect(after.filter((e) => e.type === 'status' && e.instrument !== BTC)).toEqual([]);
    await waitFor('others serving', () => instruments.filter((i) => i.id !== BTC).every((i) => booksOf(events.slice(before), i.id) > 0));
    expect(session.state().connects).toBe(1);
    expect(letters.letters().filter((l) => l.reason === 'out_of_sequence')).toEqual([]);
  });

  it('a checksum mismatch on one instrument triggers a rebuild of that book only', async () => {
    const { server, session, events } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    const before = events.length;
    expect(server.inject({ kind: 'checksum', feed: 'okx', instrument: 'ETH-USDT' })).toEqual({ ok: true });
    await waitFor('ETH rebuilt', () => statuses(events.slice(before), 'okx:ETH/USDT').join() === 'resyncing,ok');
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'status' && e.status === 'resyncing')).toMatchObject({ instrument: 'okx:ETH/USDT', reason: expect.stringMatching(/^checksum mismatch at seqId \d+$/) });
    expect(after.filter((e) => e.type === 'status' && e.instrument !== 'okx:ETH/USDT')).toEqual([]);
    expect(session.state().connects).toBe(1);
  });

  it('garbage frames go to the dead-letter sink and the adapter keeps running', async () => {
    const { server, session, events, letters } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    expect(server.inject({ kind: 'garbage', feed: 'okx', frames: 30 })).toEqual({ ok: true });
    await waitFor('30 dead letters', () => letters.size >= 30);
    const reasons = new Set(letters.letters().map((l) => l.reason));
    expect([...reasons].every((r) => r === 'invalid_json' || r === 'unknown_message')).toBe(true);
    const before = events.length;
    await waitFor('data after the garbage', () => booksOf(events.slice(before), BTC) > 0);
    expect(session.state().connects).toBe(1);
    expect(statuses(events.slice(before))).toEqual([]);
  });

  it("the venue's service-upgrade notice (64008) makes the session reconnect", async () => {
    const { server, session, events } = await start();
    await waitFor('all books in sync', () => allSynced(events));
    expect(server.inject({ kind: 'shutdown', feed: 'okx' })).toEqual({ ok: true });
    await waitFor('reconnected and synced', () => session.state().connects === 2 && allSynced(events));
  });
});
