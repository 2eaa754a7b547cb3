/**
 * Lifecycle on loopback: FeedSession + the Coinbase protocol against SimServer + the Coinbase SimVenue.
 * The market is scripted (ticks are queued by the test and released with `server.advance`), so
 * every assertion is about values and order, never about timing; waits only bound how long a
 * condition may take to become true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { coinbaseProtocol, coinbaseSimVenue } from '../../../src/feeds/coinbase/index.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent } from '../../../src/risk/events.js';
import { type ScriptedRun as Harness, okCount, stopLoopbacks, waitFor } from './harness/loopback.js';
import { booksOf as booksIn, statusesOf as statusesIn } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';
import { garbageGoesToTheDlq, reconnectsAfterDrop, staleDespiteHeartbeats, twoPairScenario } from './harness/scripted-scenarios.js';

const registry = InstrumentRegistry.of([spotSpec('coinbase', 'BTC-USD', 'BTC', 'USD', '0.01', '0.00000001'), spotSpec('coinbase', 'ETH-USD', 'ETH', 'USD', '0.01', '0.00000001')]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const BTC_ID = 'coinbase:BTC/USD';
const ETH_ID = 'coinbase:ETH/USD';

/** Both books `ok` once per start. */
const SCENARIO = twoPairScenario({ feed: 'coinbase', simVenue: coinbaseSimVenue, protocol: () => coinbaseProtocol({ registry, bookDepth: 10 }), btc: BTC, eth: ETH, btcDecimals: 2 });
const harness = SCENARIO.start;
const WAIT_MS = SCENARIO.waitMs;

afterEach(stopLoopbacks);

const statusesOf = (h: Harness, id: string): string[] => statusesIn(h.events, id);
const booksOf = (h: Harness, id: string): BookEvent[] => booksIn(h.events, id);

describe('coinbase lifecycle on loopback', () => {
  it('subscribes within the deadline and streams books and trades', async () => {
    const h = await harness();
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok']);
    h.driver.bookChange(BTC);
    const id = h.driver.trade(ETH);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade'), 'trade', WAIT_MS);
    expect(h.events.find((e) => e.type === 'trade')).toMatchObject({ instrument: ETH_ID, tradeId: String(id), price: '3000.05', size: '0.01000000', side: 'buy', exchTs: Date.parse('2026-11-26T09:00:00Z') });
    await waitFor(() => booksOf(h, BTC_ID).length >= 2, 'BTC update', WAIT_MS);
    expect(booksOf(h, BTC_ID).at(-1)!.bids[0]).toEqual(['49999.50', '2.00000000']);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('reconnects after a drop and resubscribes: both books come back ok', () => reconnectsAfterDrop(SCENARIO));

  it('a lost match on BTC (trade_id jump) resyncs only BTC: level2 re-subscribed, fresh snapshot, ETH keeps serving', async () => {
    const h = await harness();
    h.driver.trade(BTC);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade' && e.instrument === BTC_ID), 'first BTC trade', WAIT_MS);
    expect(h.server.inject({ kind: 'gap', feed: 'coinbase', instrument: 'BTC-USD' })).toEqual({ ok: true });
    h.driver.trade(BTC); // lost
    h.driver.bookChange(BTC, 1); // a book change the client does see (level2 is not affected)
    h.server.advance(1);
    h.driver.trade(BTC); // trade_id jumps by 2
    h.server.advance(1);
    await waitFor(() => statusesOf(h, BTC_ID).includes('resyncing'), 'BTC resyncing', WAIT_MS);
    const resyncAt = h.events.findIndex((e) => e.type === 'status' && e.instrument === BTC_ID && e.status === 'resyncing');
    h.driver.bookChange(ETH);
    h.server.advance(1);
    await waitFor(() => okCount(h.events, BTC_ID) === 2, 'BTC rebuilt', WAIT_MS);
    await waitFor(() => h.events.slice(resyncAt).some((e) => e.type === 'book' && e.instrument === ETH_ID), 'ETH serving', WAIT_MS);
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok']);
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok', 'resyncing', 'ok']);
    expect(h.events.filter((e) => e.type === 'trade' && e.instrument === BTC_ID).map((e) => (e.type === 'trade' ? e.tradeId : ''))).toEqual(['1', '3']);
    expect(booksOf(h, BTC_ID).at(-1)!.bids[1]).toEqual(['49999.00', '2.00000000']);
    expect(h.session.state().connects).toBe(1);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('garbage frames go to the DLQ and the adapter keeps running on the same connection', () => garbageGoesToTheDlq(SCENARIO));

  it('a stalled stream is detected as stale although heartbeats keep arriving, and the session reconnects', () => staleDespiteHeartbeats(SCENARIO));
});
