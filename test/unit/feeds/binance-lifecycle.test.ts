/**
 * Lifecycle on loopback: FeedSession + the Binance protocols against SimServer + BinanceSimVenue,
 * with REST depth snapshots over HTTP. Reconnect and resubscribe after a drop, server pings
 * answered, stale-stream detection under a stall, serverShutdown, a gap on one instrument
 * rebuilding only it, garbage to the DLQ while the adapter keeps running, and the two USD-M routes.
 * Waits poll for outcomes; nothing asserts on durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { binanceSpotProtocol, binanceSpotSimVenue, binanceUsdmMarketProtocol, binanceUsdmProtocol, binanceUsdmSimVenue } from '../../../src/feeds/binance/index.js';
import type { SimVenueFactory } from '../../../src/feeds/sim/types.js';
import type { VenueProtocolFactory } from '../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../src/portfolio/instruments.js';
import { instrument, registry, SIMULATED, simMarket } from './binance-helpers.js';
import { Loopback, countOf, latestStatus, stopLoopbacks, waitFor } from './harness/loopback.js';
import { statusEventsOf } from './harness/recorder.js';

const BTC = instrument('binance-spot', 'BTCUSDT');
const ETH = instrument('binance-spot', 'ETHUSDT');
const SPOT: readonly Instrument[] = [BTC, ETH];
const PERP = instrument('binance-usdm', 'BTCUSDT');
const DATED = instrument('binance-usdm', 'BTCUSDT_261225');
const USDM: readonly Instrument[] = [PERP, DATED];

afterEach(stopLoopbacks);

/** Sessions (REST snapshots included) against the feed's simulated venue, which pings every `pingMs` when set. */
function start(
  feed: 'binance-spot' | 'binance-usdm',
  connections: ReadonlyArray<{ factory: VenueProtocolFactory; instruments: readonly Instrument[] }>,
  opts: { staleAfterMs?: number; pingMs?: number } = {},
): Promise<Loopback> {
  return Loopback.start({
    server: {
      market: simMarket(600, 21, SIMULATED),
      venues: new Map<FeedId, SimVenueFactory>([[feed, feed === 'binance-spot' ? binanceSpotSimVenue : binanceUsdmSimVenue]]),
      stepMs: 5,
      wsPingIntervalMs: { [feed]: opts.pingMs ?? 0 },
      shutdownGraceMs: 50,
    },
    connections: connections.map((c) => ({ feed, protocol: c.factory({ registry, bookDepth: 5 }), instruments: c.instruments, rest: true })),
    session: { backoff: { baseMs: 10, maxMs: 40 }, staleAfterMs: opts.staleAfterMs ?? 5_000, connectTimeoutMs: 2_000 },
  });
}

const spotOnly = [{ factory: binanceSpotProtocol, instruments: SPOT }];

describe('binance spot lifecycle on loopback', () => {
  it('syncs both books from REST snapshots, then reconnects after a drop, resubscribes and resyncs', async () => {
    const h = await start('binance-spot', spotOnly, { pingMs: 50 });
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    await waitFor(() => countOf(h.events, 'trade', BTC) > 0 && countOf(h.events, 'book', ETH) > 2, 'trades and books');
    const session = h.sessions[0]!;
    // The server pings (Binance keepalive); ws answers, and the connection stays up.
    await waitFor(() => session.state().lastTransportAt > 0, 'a server ping');
    expect(session.state().connects).toBe(1);

    const mark = h.events.length;
    expect(h.server.inject({ kind: 'drop', feed: 'binance-spot' })).toEqual({ ok: true });
    await waitFor(() => SPOT.every((i) => statusEventsOf(h.events, i.id, mark).some((s) => s.status === 'disconnected')), 'disconnected');
    await waitFor(() => session.state().connects === 2 && SPOT.every((i) => latestStatus(h.events, i, mark) === 'ok'), 'ok after reconnect');
    await waitFor(() => countOf(h.events, 'trade', BTC, mark) > 0 && countOf(h.events, 'book', ETH, mark) > 0, 'data after the resubscribe');
    expect(h.dlq.letters()).toEqual([]);
  });

  it('a gap on one instrument resyncs only it; the other keeps serving on the same connection', async () => {
    const h = await start('binance-spot', spotOnly);
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'gap', feed: 'binance-spot', instrument: 'ETHUSDT' })).toEqual({ ok: true });
    await waitFor(() => statusEventsOf(h.events, ETH.id, mark).some((s) => s.status === 'resyncing'), 'ETH resyncing');
    const resync = statusEventsOf(h.events, ETH.id, mark).find((s) => s.status === 'resyncing')!;
    expect(resync.reason).toMatch(/^gap: book at update id \d+, next event starts at U=\d+$/);
    await waitFor(() => latestStatus(h.events, ETH, mark) === 'ok', 'ETH ok again');
    const okAt = h.events.indexOf(statusEventsOf(h.events, ETH.id, mark).at(-1)!);
    await waitFor(() => countOf(h.events, 'book', ETH, okAt) > 0, 'ETH books after the rebuild');
    await waitFor(() => countOf(h.events, 'book', BTC, mark) > 0, 'BTC books during the resync');
    expect(statusEventsOf(h.events, BTC.id, mark)).toEqual([]);
    expect(h.sessions[0]!.state().connects).toBe(1);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('detects a stalled stream as stale and recovers when data resumes', async () => {
    const h = await start('binance-spot', spotOnly, { staleAfterMs: 300 });
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'stall', feed: 'binance-spot', ms: 900 })).toEqual({ ok: true });
    await waitFor(() => SPOT.every((i) => statusEventsOf(h.events, i.id, mark).some((s) => s.status === 'stale')), 'stale');
    const stale = statusEventsOf(h.events, BTC.id, mark).find((s) => s.status === 'stale')!;
    expect(stale.reason).toMatch(/^no data frame for \d+ ms/);
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i, mark) === 'ok'), 'ok after the stall');
    expect(h.sessions[0]!.state().connects).toBeGreaterThanOrEqual(2);
  });

  it('serverShutdown makes the session reconnect before the venue closes', async () => {
    const h = await start('binance-spot', spotOnly);
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'shutdown', feed: 'binance-spot' })).toEqual({ ok: true });
    await waitFor(() => statusEventsOf(h.events, BTC.id, mark).some((s) => s.status === 'disconnected' && (s.reason ?? '').startsWith('venue: serverShutdown')), 'reconnect on notice');
    await waitFor(() => h.sessions[0]!.state().connects >= 2 && SPOT.every((i) => latestStatus(h.events, i, mark) === 'ok'), 'ok after the shutdown');
  });

  it('sends garbage frames to the DLQ and keeps running', async () => {
    const h = await start('binance-spot', spotOnly);
    await waitFor(() => SPOT.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    const mark = h.events.length;
    expect(h.server.inject({ kind: 'garbage', feed: 'binance-spot', frames: 30 })).toEqual({ ok: true });
    await waitFor(() => h.dlq.letters().length === 30, 'thirty dead letters');
    const reasons = new Set(h.dlq.letters().map((l) => l.reason));
    expect([...reasons].every((r) => r === 'invalid_json' || r === 'unknown_message')).toBe(true);
    expect(h.dlq.letters().every((l) => l.feed === 'binance-spot')).toBe(true);
    await waitFor(() => countOf(h.events, 'book', BTC, mark) > 2 && countOf(h.events, 'book', ETH, mark) > 2, 'books continue');
    expect(h.sessions[0]!.state().connects).toBe(1);
    expect(statusEventsOf(h.events, BTC.id, mark)).toEqual([]);
  });
});

describe('binance usdm lifecycle on loopback (two routed connections)', () => {
  it('/public books and /market marks and trades; a gap on one book resyncs only it', async () => {
    const h = await start('binance-usdm', [
      { factory: binanceUsdmProtocol, instruments: USDM },
      { factory: binanceUsdmMarketProtocol, instruments: USDM },
    ]);
    await waitFor(() => USDM.every((i) => latestStatus(h.events, i) === 'ok'), 'both books ok');
    await waitFor(() => countOf(h.events, 'mark', PERP) > 0 && countOf(h.events, 'mark', DATED) > 0 && countOf(h.events, 'trade', PERP) > 0, 'marks and trades');
    const dated = h.events.find((e) => e.type === 'mark' && e.instrument === DATED.id);
    expect(dated).toMatchObject({ fundingRate: undefined, nextFundingTs: undefined });

    const mark = h.events.length;
    expect(h.server.inject({ kind: 'gap', feed: 'binance-usdm', instrument: 'BTCUSDT' })).toEqual({ ok: true });
    await waitFor(() => statusEventsOf(h.events, PERP.id, mark).some((s) => s.status === 'resyncing'), 'perp resyncing');
    expect(statusEventsOf(h.events, PERP.id, mark)[0]!.reason).toMatch(/^gap: book at update id \d+, next event has pu=\d+$/);
    await waitFor(() => latestStatus(h.events, PERP, mark) === 'ok', 'perp ok again');
    await waitFor(() => countOf(h.events, 'book', DATED, mark) > 0, 'dated future books');
    expect(statusEventsOf(h.events, DATED.id, mark)).toEqual([]);
    expect(h.sessions.map((s) => s.state().connects)).toEqual([1, 1]);
    expect(h.dlq.letters()).toEqual([]);
  });
});
