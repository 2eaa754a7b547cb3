/**
 * Lifecycle on loopback: FeedSession + the Kraken protocol against SimServer + the Kraken SimVenue.
 * The market is scripted (ticks are queued by the test and released with `server.advance`), so
 * every assertion is about values and order, never about timing; waits only bound how long a
 * condition may take to become true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { krakenProtocol, krakenSimVenue } from '../../../src/feeds/kraken/index.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent } from '../../../src/risk/events.js';
import { type ScriptedRun as Harness, okCount, stopLoopbacks, waitFor } from './harness/loopback.js';
import { booksOf as booksIn, statusesOf as statusesIn } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';
import { garbageGoesToTheDlq, reconnectsAfterDrop, staleDespiteHeartbeats, twoPairScenario } from './harness/scripted-scenarios.js';

const registry = InstrumentRegistry.of([spotSpec('kraken', 'BTC/USD', 'BTC', 'USD', '0.1', '0.00000001'), spotSpec('kraken', 'ETH/USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const BTC_ID = 'kraken:BTC/USD';
const ETH_ID = 'kraken:ETH/USD';

/** Both books `ok` once per start. */
const SCENARIO = twoPairScenario({ feed: 'kraken', simVenue: krakenSimVenue, protocol: () => krakenProtocol({ registry, bookDepth: 10 }), btc: BTC, eth: ETH, btcDecimals: 1 });
const harness = SCENARIO.start;
const WAIT_MS = SCENARIO.waitMs;

afterEach(stopLoopbacks);

const statusesOf = (h: Harness, id: string): string[] => statusesIn(h.events, id);
const booksOf = (h: Harness, id: string): BookEvent[] => booksIn(h.events, id);

describe('kraken lifecycle on loopback', () => {
  it('subscribes on connect and streams verified books and trades', async () => {
    const h = await harness();
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok']);
    h.driver.bookChange(BTC);
    const id = h.driver.trade(ETH);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade'), 'trade', WAIT_MS);
    expect(h.events.find((e) => e.type === 'trade')).toMatchObject({ instrument: ETH_ID, tradeId: String(id), price: '3000.05', size: '0.01000000', side: 'buy' });
    await waitFor(() => booksOf(h, BTC_ID).length >= 2, 'BTC update', WAIT_MS);
    expect(booksOf(h, BTC_ID).at(-1)!.bids[0]).toEqual(['49999.5', '2.00000000']);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('reconnects after a drop and resubscribes: both books come back ok', () => reconnectsAfterDrop(SCENARIO));

  it('a gap on BTC resyncs only BTC (resubscribe, fresh snapshot) while ETH keeps serving', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'gap', feed: 'kraken', instrument: 'BTC/USD' })).toEqual({ ok: true });
    h.driver.bookChange(BTC, 0); // lost
    h.server.advance(1);
    h.driver.bookChange(BTC, 1); // applied on top of a book missing the first change: checksum fails
    h.server.advance(1);
    await waitFor(() => statusesOf(h, BTC_ID).includes('resyncing'), 'BTC resyncing', WAIT_MS);
    const resyncAt = h.events.findIndex((e) => e.type === 'status' && e.instrument === BTC_ID && e.status === 'resyncing');
    h.driver.bookChange(ETH);
    h.server.advance(1);
    await waitFor(() => okCount(h.events, BTC_ID) === 2, 'BTC rebuilt', WAIT_MS);
    await waitFor(() => h.events.slice(resyncAt).some((e) => e.type === 'book' && e.instrument === ETH_ID), 'ETH serving', WAIT_MS);
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok']);
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok', 'resyncing', 'ok']);
    // The rebuilt book holds both changes, the lost one included.
    expect(booksOf(h, BTC_ID).at(-1)!.bids.slice(0, 2)).toEqual([
      ['49999.5', '2.00000000'],
      ['49999.0', '3.00000000'],
    ]);
    expect(h.session.state().connects).toBe(1);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('a checksum mismatch on ETH triggers a rebuild of ETH only', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'checksum', feed: 'kraken', instrument: 'ETH/USD' })).toEqual({ ok: true });
    h.driver.bookChange(ETH);
    h.server.advance(1);
    await waitFor(() => okCount(h.events, ETH_ID) === 2, 'ETH rebuilt', WAIT_MS);
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok', 'resyncing', 'ok']);
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok']);
    expect(booksOf(h, ETH_ID).at(-1)!.bids[0]).toEqual(['2999.95', '2.00000000']);
  });

  it('garbage frames go to the DLQ and the adapter keeps running on the same connection', () => garbageGoesToTheDlq(SCENARIO));

  it('a stalled stream is detected as stale although heartbeats keep arriving, and the session reconnects', () => staleDespiteHeartbeats(SCENARIO));

  it('a maintenance notice halts every instrument; after the close the session reconnects and books are ok again', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'shutdown', feed: 'kraken' })).toEqual({ ok: true });
    await waitFor(() => okCount(h.events, BTC_ID) === 2 && okCount(h.events, ETH_ID) === 2, 'books after the maintenance reconnect', WAIT_MS);
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok', 'halted', 'disconnected', 'connected', 'ok']);
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok', 'halted', 'disconnected', 'connected', 'ok']);
  });
});
