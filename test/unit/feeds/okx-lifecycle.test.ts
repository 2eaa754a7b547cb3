/**
 * OKX lifecycle on loopback: FeedSession + OkxProtocol against SimServer + OkxSimVenue. Reconnect
 * with resubscribe after a drop, stale-stream detection on a stall, a gap and a checksum mismatch
 * on one instrument resync only it while the others keep serving, garbage goes to the DLQ, and the
 * venue's service-upgrade notice makes the session reconnect. Waits poll for conditions; nothing
 * asserts on elapsed time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { okxProtocol, okxSimVenue } from '../../../src/feeds/okx/index.js';
import type { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import type { FeedSession } from '../../../src/feeds/session.js';
import type { SimServer } from '../../../src/feeds/sim/server.js';
import type { MarketEvent, StatusEvent } from '../../../src/risk/events.js';
import { Loopback, allOk, stopLoopbacks, waitFor } from './harness/loopback.js';
import { booksOf, statusesOf as statuses } from './harness/recorder.js';
import { shippedRegistry as registry } from './harness/registry.js';
import { seededMarket } from './harness/sim.js';

const instruments = registry.forFeed('okx');
const BTC = 'okx:BTC/USDT';

interface Harness {
  server: SimServer;
  session: FeedSession;
  events: MarketEvent[];
  letters: MemoryDeadLetterSink;
}

async function start(staleAfterMs = 2_000): Promise<Harness> {
  const run = await Loopback.start({
    server: { market: seededMarket(instruments, { seed: 3, startMs: Date.now(), messagesPerSecond: 3_000 }), venues: new Map([['okx', okxSimVenue]]), shutdownGraceMs: 50 },
    connections: [{ feed: 'okx', protocol: okxProtocol({ registry, bookDepth: 5 }), instruments }],
    session: { backoff: { baseMs: 5, maxMs: 20 }, staleAfterMs, connectTimeoutMs: 2_000 },
  });
  return { server: run.server, session: run.session, events: run.events, letters: run.dlq };
}

afterEach(stopLoopbacks);

/** Every instrument's latest status is `ok` (its book is in sync). */
const allSynced = (events: readonly MarketEvent[]): boolean => allOk(events, instruments);

describe('OKX on loopback', () => {
  it('subscribes, syncs every book, and reconnects with resubscribe after a drop', async () => {
    const { server, session, events } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    expect(session.state().connects).toBe(1);
    await waitFor(() => events.some((e) => e.type === 'trade' && e.venue === 'okx'), 'a trade');
    await waitFor(() => events.some((e) => e.type === 'mark' && e.venue === 'okx'), 'a mark');
    const before = events.length;
    expect(server.inject({ kind: 'drop', feed: 'okx' })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), BTC).includes('disconnected'), 'disconnected');
    await waitFor(() => session.state().connects === 2 && allSynced(events), 'second connection synced');
    const after = events.slice(before);
    expect(statuses(after, BTC)).toEqual(['disconnected', 'connected', 'ok']);
    await waitFor(() => booksOf(events.slice(before), BTC).length > 0, 'data after the reconnect');
  });

  it('detects a stalled stream, reports stale, reconnects and resyncs', async () => {
    const { server, session, events } = await start(300);
    await waitFor(() => allSynced(events), 'all books in sync');
    const before = events.length;
    expect(server.inject({ kind: 'stall', feed: 'okx', ms: 1_500 })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), BTC).includes('stale'), 'stale');
    await waitFor(() => session.state().connects >= 2 && allSynced(events), 'reconnected and synced');
    expect(statuses(events.slice(before), BTC).slice(0, 2)).toEqual(['stale', 'disconnected']);
  });

  it('a gap on one instrument resyncs only it; the others keep serving', async () => {
    const { server, session, events, letters } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    const before = events.length;
    expect(server.inject({ kind: 'gap', feed: 'okx', instrument: BTC })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), BTC).join() === 'resyncing,ok', 'BTC resynced');
    const after = events.slice(before);
    const resync = after.find((e): e is StatusEvent => e.type === 'status' && e.status === 'resyncing')!;
    expect(resync.reason).toMatch(/^gap: prevSeqId \d+ != last seqId \d+$/);
    // No other instrument changed status, and they kept publishing books.
    expect(after.filter((e) => e.type === 'status' && e.instrument !== BTC)).toEqual([]);
    await waitFor(() => instruments.filter((i) => i.id !== BTC).every((i) => booksOf(events.slice(before), i.id).length > 0), 'others serving');
    expect(session.state().connects).toBe(1);
    expect(letters.letters().filter((l) => l.reason === 'out_of_sequence')).toEqual([]);
  });

  it('a checksum mismatch on one instrument triggers a rebuild of that book only', async () => {
    const { server, session, events } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    const before = events.length;
    expect(server.inject({ kind: 'checksum', feed: 'okx', instrument: 'ETH-USDT' })).toEqual({ ok: true });
    await waitFor(() => statuses(events.slice(before), 'okx:ETH/USDT').join() === 'resyncing,ok', 'ETH rebuilt');
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'status' && e.status === 'resyncing')).toMatchObject({ instrument: 'okx:ETH/USDT', reason: expect.stringMatching(/^checksum mismatch at seqId \d+$/) });
    expect(after.filter((e) => e.type === 'status' && e.instrument !== 'okx:ETH/USDT')).toEqual([]);
    expect(session.state().connects).toBe(1);
  });

  it('garbage frames go to the dead-letter sink and the adapter keeps running', async () => {
    const { server, session, events, letters } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    expect(server.inject({ kind: 'garbage', feed: 'okx', frames: 30 })).toEqual({ ok: true });
    await waitFor(() => letters.size >= 30, '30 dead letters');
    const reasons = new Set(letters.letters().map((l) => l.reason));
    expect([...reasons].every((r) => r === 'invalid_json' || r === 'unknown_message')).toBe(true);
    const before = events.length;
    await waitFor(() => booksOf(events.slice(before), BTC).length > 0, 'data after the garbage');
    expect(session.state().connects).toBe(1);
    expect(statuses(events.slice(before))).toEqual([]);
  });

  it("the venue's service-upgrade notice (64008) makes the session reconnect", async () => {
    const { server, session, events } = await start();
    await waitFor(() => allSynced(events), 'all books in sync');
    expect(server.inject({ kind: 'shutdown', feed: 'okx' })).toEqual({ ok: true });
    await waitFor(() => session.state().connects === 2 && allSynced(events), 'reconnected and synced');
  });
});
