/**
 * Lifecycle on loopback: FeedSession + DeribitProtocol against SimServer + DeribitSimVenue.
 * Reconnect with resubscribe after a drop, heartbeats answered (and the venue's 4000 close when
 * they are not), stale-stream detection under a stall, a gap on one instrument rebuilding only it,
 * garbage frames to the DLQ while the adapter keeps running. Waits poll for outcomes; nothing
 * asserts on durations.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import { DeribitProtocol } from '../../../src/feeds/deribit/protocol.js';
import { DeribitSimVenue } from '../../../src/feeds/deribit/sim.js';
import { FeedSession } from '../../../src/feeds/session.js';
import { SimServer } from '../../../src/feeds/sim/server.js';
import type { SimVenueFactory } from '../../../src/feeds/sim/types.js';
import type { ProtocolIO, SessionOptions, VenueProtocol } from '../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../src/portfolio/instruments.js';
import type { FeedStatus, MarketEvent, StatusEvent } from '../../../src/risk/events.js';
import { instrument, newMarket, registry } from './deribit-helpers.js';

const logger = pino({ level: 'silent' });
const BTC = instrument('BTC-PERPETUAL');
const ETH = instrument('ETH-PERPETUAL');
const OPTION = instrument('BTC-25DEC26-90000-C');
const INSTRUMENTS: readonly Instrument[] = [BTC, ETH, OPTION];
/** One heartbeat "second" of the simulated venue: the interval of 10 becomes 200 ms. */
const HEARTBEAT_UNIT_MS = 20;

interface Harness {
  server: SimServer;
  session: FeedSession;
  events: MarketEvent[];
  dlq: MemoryDeadLetterSink;
}

const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    await h.session.close();
    await h.server.stop();
  }
});

async function start(opts: { staleAfterMs?: number; protocol?: VenueProtocol } = {}): Promise<Harness> {
  const market = newMarket(3, INSTRUMENTS, 300);
  const server = new SimServer({
    market,
    venues: new Map<FeedId, SimVenueFactory>([['deribit', (m) => new DeribitSimVenue(m, { heartbeatUnitMs: HEARTBEAT_UNIT_MS })]]),
    logger,
    host: '127.0.0.1',
    port: 0,
    stepMs: 5,
  });
  await server.start();
  const events: MarketEvent[] = [];
  const dlq = new MemoryDeadLetterSink(10_000);
  const options: SessionOptions = {
    url: server.url('deribit'),
    backoff: { baseMs: 10, maxMs: 40 },
    staleAfterMs: opts.staleAfterMs ?? 5_000,
    maxConnectionAgeMs: 0,
    connectTimeoutMs: 2_000,
  };
  const session = new FeedSession({
    protocol: opts.protocol ?? new DeribitProtocol({ registry, bookDepth: 5 }),
    instruments: INSTRUMENTS,
    options,
    emit: (e) => events.push(e),
    deadLetters: dlq,
    logger,
  });
  session.start();
  const h = { server, session, events, dlq };
  running.push(h);
  return h;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function statuses(events: readonly MarketEvent[], ins: Instrument, from = 0): StatusEvent[] {
  return events.slice(from).filter((e): e is StatusEvent => e.type === 'status' && e.instrument === ins.id);
}

function lastStatus(events: readonly MarketEvent[], ins: Instrument): FeedStatus | undefined {
  const s = statuses(events, ins);
  return s[s.length - 1]?.status;
}

function allOk(events: readonly MarketEvent[]): boolean {
  return INSTRUMENTS.every((i) => lastStatus(events, i) === 'ok');
}

function count(events: readonly MarketEvent[], type: MarketEvent['type'], ins: Instrument, from = 0): number {
  let n = 0;
  for (let i = from; i < events.length; i++) if (events[i]!.type === type && events[i]!.instrument === ins.id) n++;
  return n;
}

describe('deribit lifecycle on loopback', () => {
  it('syncs every instrument, then reconnects after a drop and resubscribes', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events), 'all instruments ok');
    await waitFor(() => count(h.events, 'book', BTC) > 3 && count(h.events, 'option', OPTION) > 0, 'data flowing');
    expect(h.session.state().connects).toBe(1);

    const mark = h.events.length;
    expect(h.server.inject({ kind: 'drop', feed: 'deribit' })).toEqual({ ok: true });
    await waitFor(() => INSTRUMENTS.every((i) => statuses(h.events, i, mark).some((s) => s.status === 'disconnected')), 'disconnected');
    await waitFor(() => h.session.state().connects === 2 && INSTRUMENTS.every((i) => statuses(h.events, i, mark).at(-1)?.status === 'ok'), 'ok after reconnect');
    // Fresh snapshot and data after the resubscribe.
    await waitFor(() => count(h.events, 'book', BTC, mark) > 0 && count(h.events, 'book', ETH, mark) > 0, 'books after reconnect');
    expect(h.dlq.letters()).toEqual([]);
  });

  it('answers test_requests so the venue keeps the socket; an adapter that does not is closed with 4000', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events), 'all instruments ok');
    // Several heartbeat intervals (200 ms each) pass with the socket kept.
    const connectedAt = h.session.state().messages;
    await waitFor(() => h.session.state().messages > connectedAt + 50, 'traffic');
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
      () => statuses(m.events, BTC).some((s) => s.status === 'disconnected' && (s.reason ?? '').includes('4000 heartbeat close')),
      'venue closes the mute client',
    );
    await waitFor(() => m.session.state().connects >= 2, 'reconnected');
  });

  it('detects a stalled stream as stale and recovers when data resumes', async () => {
    const h = await start({ staleAfterMs: 300 });
    await waitFor(() => allOk(h.events), 'all instruments ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'stall', feed: 'deribit', ms: 900 })).toEqual({ ok: true });
    await waitFor(() => INSTRUMENTS.every((i) => statuses(h.events, i, mark).some((s) => s.status === 'stale')), 'stale');
    const staleAt = h.events.findIndex((e, i) => i >= mark && e.type === 'status' && e.status === 'stale');
    expect(h.events[staleAt]).toMatchObject({ type: 'status', status: 'stale' });
    expect((h.events[staleAt] as StatusEvent).reason).toMatch(/^no data frame for \d+ ms/);
    // Acks and snapshots pass a stall (they are not data); tickers do not: wait for ticker data.
    await waitFor(() => count(h.events, 'mark', BTC, staleAt) > 0 && count(h.events, 'option', OPTION, staleAt) > 0, 'ticker data after the stall');
    await waitFor(() => allOk(h.events), 'ok after the stall');
    expect(h.session.state().connects).toBeGreaterThanOrEqual(2);
  });

  it('a gap on one instrument resyncs only it; the other keeps serving on the same connection', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events), 'all instruments ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'gap', feed: 'deribit', instrument: 'BTC-PERPETUAL' })).toEqual({ ok: true });
    await waitFor(() => statuses(h.events, BTC, mark).some((s) => s.status === 'resyncing'), 'BTC resyncing');
    const resync = statuses(h.events, BTC, mark).find((s) => s.status === 'resyncing')!;
    expect(resync.reason).toMatch(/^gap: prev_change_id \d+ != last change_id \d+$/);
    await waitFor(() => statuses(h.events, BTC, mark).at(-1)?.status === 'ok', 'BTC ok again');
    await waitFor(() => count(h.events, 'book', BTC, h.events.indexOf(statuses(h.events, BTC, mark).at(-1)!)) > 0, 'BTC books after the rebuild');
    // ETH and the option never left ok, and ETH books kept coming; no reconnect happened.
    expect(statuses(h.events, ETH, mark)).toEqual([]);
    expect(statuses(h.events, OPTION, mark)).toEqual([]);
    await waitFor(() => count(h.events, 'book', ETH, mark) > 0, 'ETH books');
    expect(h.session.state().connects).toBe(1);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('sends garbage frames to the DLQ and keeps running', async () => {
    const h = await start();
    await waitFor(() => allOk(h.events), 'all instruments ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'garbage', feed: 'deribit', frames: 30 })).toEqual({ ok: true });
    await waitFor(() => h.dlq.letters().length === 30, 'thirty dead letters');
    const reasons = new Set(h.dlq.letters().map((l) => l.reason));
    expect([...reasons].every((r) => r === 'invalid_json' || r === 'unknown_message')).toBe(true);
    expect(h.dlq.letters().every((l) => l.feed === 'deribit')).toBe(true);
    await waitFor(() => count(h.events, 'book', BTC, mark) > 2 && count(h.events, 'book', ETH, mark) > 2, 'books continue');
    expect(h.session.state().connects).toBe(1);
    expect(statuses(h.events, BTC, mark)).toEqual([]);
  });
});
