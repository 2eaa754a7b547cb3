/**
 * Lifecycle on loopback: FeedSession + DeribitProtocol against SimServer + DeribitSimVenue.
 * Reconnect with resubscribe after a drop, heartbeats answered (and the venue's 4000 close when
 * they are not), stale-stream detection under a stall, a gap on one instrument rebuilding only it,
 * garbage frames to the DLQ while the adapter keeps running. Waits poll for outcomes; nothing
 * asserts on durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeribitProtocol } from '../../../src/feeds/deribit/protocol.js';
import { DeribitSimVenue } from '../../../src/feeds/deribit/sim.js';
import type { SimVenueFactory } from '../../../src/feeds/sim/types.js';
import type { ProtocolIO, VenueProtocol } from '../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../src/portfolio/instruments.js';
import type { StatusEvent } from '../../../src/risk/events.js';
import { instrument, newMarket, registry } from './deribit-helpers.js';
import { Loopback, allOk, countOf, stopLoopbacks, waitFor } from './harness/loopback.js';
import { statusEventsOf } from './harness/recorder.js';

const BTC = instrument('BTC-PERPETUAL');
const ETH = instrument('ETH-PERPETUAL');
const OPTION = instrument('BTC-25DEC26-90000-C');
const INSTRUMENTS: readonly Instrument[] = [BTC, ETH, OPTION];
/** One heartbeat "second" of the simulated venue: the interval of 10 becomes 200 ms. */
const HEARTBEAT_UNIT_MS = 20;
/** Loopback waits here may take up to 8 s. */
const WAIT_MS = 8_000;

afterEach(stopLoopbacks);

function start(opts: { staleAfterMs?: number; protocol?: VenueProtocol } = {}): Promise<Loopback> {
  return Loopback.start({
    server: {
      market: newMarket(3, INSTRUMENTS, 300),
      venues: new Map<FeedId, SimVenueFactory>([['deribit', (m) => new DeribitSimVenue(m, { heartbeatUnitMs: HEARTBEAT_UNIT_MS })]]),
      stepMs: 5,
    },
    connections: [{ feed: 'deribit', protocol: opts.protocol ?? new DeribitProtocol({ registry, bookDepth: 5 }), instruments: INSTRUMENTS }],
    session: { backoff: { baseMs: 10, maxMs: 40 }, staleAfterMs: opts.staleAfterMs ?? 5_000, connectTimeoutMs: 2_000 },
  });
}

describe('deribit lifecycle on loopback', () => {
  it('syncs every instrument, then reconnects after a drop and resubscribes', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'all instruments ok', WAIT_MS);
    await waitFor(() => countOf(h.events, 'book', BTC) > 3 && countOf(h.events, 'option', OPTION) > 0, 'data flowing', WAIT_MS);
    expect(h.session.state().connects).toBe(1);

    const mark = h.events.length;
    expect(h.server.inject({ kind: 'drop', feed: 'deribit' })).toEqual({ ok: true });
    await waitFor(() => INSTRUMENTS.every((i) => statusEventsOf(h.events, i.id, mark).some((s) => s.status === 'disconnected')), 'disconnected', WAIT_MS);
    await waitFor(() => h.session.state().connects === 2 && INSTRUMENTS.every((i) => statusEventsOf(h.events, i.id, mark).at(-1)?.status === 'ok'), 'ok after reconnect', WAIT_MS);
    // Fresh snapshot and data after the resubscribe.
    await waitFor(() => countOf(h.events, 'book', BTC, mark) > 0 && countOf(h.events, 'book', ETH, mark) > 0, 'books after reconnect', WAIT_MS);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('answers test_requests so the venue keeps the socket; an adapter that does not is closed with 4000', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'all instruments ok', WAIT_MS);
    // Several heartbeat intervals (200 ms each) pass with the socket kept.
    const connectedAt = h.session.state().messages;
    await waitFor(() => h.session.state().messages > connectedAt + 50, 'traffic', WAIT_MS);
    await new Promise((r) => setTimeout(r, 10 * HEARTBEAT_UNIT_MS * 4));
    expect(h.session.state().connects).toBe(1);

    // The same protocol with its public/test replies swallowed.
    const inner = new DeribitProtocol({ registry, bookDepth: 5 });
    const mute: VenueProtocol = {
      feed: inner.feed,
      venue: inner.venue,
      keepalive: undefined,
      path: () => inner.path(),
      subscribeMessages: (i) => inner.subscribeMessages(i),
      reset: () => inner.reset(),
      onMessage: (raw: string, recvTs: number, io: ProtocolIO) =>
        inner.onMessage(raw, recvTs, { ...io, send: (t: string) => (t.includes('public/test') ? undefined : io.send(t)) }),
    };
    const m = await start({ protocol: mute });
    await waitFor(
      () => statusEventsOf(m.events, BTC.id).some((s) => s.status === 'disconnected' && (s.reason ?? '').includes('4000 heartbeat close')),
      'venue closes the mute client',
      WAIT_MS,
    );
    await waitFor(() => m.session.state().connects >= 2, 'reconnected', WAIT_MS);
  });

  it('detects a stalled stream as stale and recovers when data resumes', async () => {
    const h = await start({ staleAfterMs: 300 });
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'all instruments ok', WAIT_MS);
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'stall', feed: 'deribit', ms: 900 })).toEqual({ ok: true });
    await waitFor(() => INSTRUMENTS.every((i) => statusEventsOf(h.events, i.id, mark).some((s) => s.status === 'stale')), 'stale', WAIT_MS);
    const staleAt = h.events.findIndex((e, i) => i >= mark && e.type === 'status' && e.status === 'stale');
    expect(h.events[staleAt]).toMatchObject({ type: 'status', status: 'stale' });
    expect((h.events[staleAt] as StatusEvent).reason).toMatch(/^no data frame for \d+ ms/);
    // Acks and snapshots pass a stall (they are not data); tickers do not: wait for ticker data.
    await waitFor(() => countOf(h.events, 'mark', BTC, staleAt) > 0 && countOf(h.events, 'option', OPTION, staleAt) > 0, 'ticker data after the stall', WAIT_MS);
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'ok after the stall', WAIT_MS);
    expect(h.session.state().connects).toBeGreaterThanOrEqual(2);
  });

  it('a gap on one instrument resyncs only it; the other keeps serving on the same connection', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'all instruments ok', WAIT_MS);
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'gap', feed: 'deribit', instrument: 'BTC-PERPETUAL' })).toEqual({ ok: true });
    await waitFor(() => statusEventsOf(h.events, BTC.id, mark).some((s) => s.status === 'resyncing'), 'BTC resyncing', WAIT_MS);
    const resync = statusEventsOf(h.events, BTC.id, mark).find((s) => s.status === 'resyncing')!;
    expect(resync.reason).toMatch(/^gap: prev_change_id \d+ != last change_id \d+$/);
    await waitFor(() => statusEventsOf(h.events, BTC.id, mark).at(-1)?.status === 'ok', 'BTC ok again', WAIT_MS);
    await waitFor(() => countOf(h.events, 'book', BTC, h.events.indexOf(statusEventsOf(h.events, BTC.id, mark).at(-1)!)) > 0, 'BTC books after the rebuild', WAIT_MS);
    // ETH and the option never left ok, and ETH books kept coming; no reconnect happened.
    expect(statusEventsOf(h.events, ETH.id, mark)).toEqual([]);
    expect(statusEventsOf(h.events, OPTION.id, mark)).toEqual([]);
    await waitFor(() => countOf(h.events, 'book', ETH, mark) > 0, 'ETH books', WAIT_MS);
    expect(h.session.state().connects).toBe(1);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('sends garbage frames to the DLQ and keeps running', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events, INSTRUMENTS), 'all instruments ok', WAIT_MS);
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'garbage', feed: 'deribit', frames: 30 })).toEqual({ ok: true });
    await waitFor(() => h.dlq.letters().length === 30, 'thirty dead letters', WAIT_MS);
    const reasons = new Set(h.dlq.letters().map((l) => l.reason));
    expect([...reasons].every((r) => r === 'invalid_json' || r === 'unknown_message')).toBe(true);
    expect(h.dlq.letters().every((l) => l.feed === 'deribit')).toBe(true);
    await waitFor(() => countOf(h.events, 'book', BTC, mark) > 2 && countOf(h.events, 'book', ETH, mark) > 2, 'books continue', WAIT_MS);
    expect(h.session.state().connects).toBe(1);
    expect(statusEventsOf(h.events, BTC.id, mark)).toEqual([]);
  });
});
