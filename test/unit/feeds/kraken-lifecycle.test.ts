/**
 * Lifecycle on loopback: FeedSession + the Kraken protocol against SimServer + the Kraken SimVenue.
 * The market is scripted (ticks are queued by the test and released with `server.advance`), so
 * every assertion is about values and order, never about timing; waits only bound how long a
 * condition may take to become true.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDeadLetterSink } from '../../../src/feeds/dlq.js';
import { krakenProtocol, krakenSimVenue } from '../../../src/feeds/kraken/index.js';
import { FeedSession } from '../../../src/feeds/session.js';
import { SimServer, type SimMarketDriver } from '../../../src/feeds/sim/server.js';
import type { SimBook, SimTick } from '../../../src/feeds/sim/types.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { BookEvent, Level, MarketEvent, StatusEvent } from '../../../src/risk/events.js';

const logger = pino({ level: 'silent' });
const registry = InstrumentRegistry.of([
  { venue: 'kraken', venueSymbol: 'BTC/USD', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USD', settle: 'USD', underlying: 'BTC', contractSize: '1', tickSize: '0.1', lotSize: '0.00000001' },
  { venue: 'kraken', venueSymbol: 'ETH/USD', kind: 'spot', settlementType: 'linear', base: 'ETH', quote: 'USD', settle: 'USD', underlying: 'ETH', contractSize: '1', tickSize: '0.01', lotSize: '0.00000001' },
]);
const [BTC, ETH] = registry.all as [Instrument, Instrument];
const BTC_ID = 'kraken:BTC/USD';
const ETH_ID = 'kraken:ETH/USD';

function ladder(mid: number, step: number, decimals: number): SimBook {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 1; i <= 15; i++) {
    bids.push([(mid - i * step).toFixed(decimals), `${i}.00000000`]);
    asks.push([(mid + i * step).toFixed(decimals), `${i}.50000000`]);
  }
  return { bids, asks };
}

/** Releases queued ticks on `step`; a size counter makes every book tick a real change. */
class ScriptedDriver implements SimMarketDriver {
  readonly instruments = registry.all;
  private readonly queue: SimTick[] = [];
  private t = Date.parse('2026-11-26T09:00:00Z');
  /** Best-level sizes start at 1: the first change sets 2. */
  private n = 1;
  private tradeIds = new Map<Instrument, number>();
  book(instrument: Instrument): SimBook {
    return instrument === BTC ? ladder(50000, 0.5, 1) : ladder(3000, 0.05, 2);
  }
  mid(instrument: Instrument): string {
    return instrument === BTC ? '50000.0' : '3000.00';
  }
  now(): number {
    return this.t;
  }
  step(dtMs: number, emit: (tick: SimTick) => void): void {
    this.t += dtMs;
    for (const tick of this.queue.splice(0)) emit(tick);
  }
  /** A size change at the `level`-th bid (inside every window, so it always produces an update). */
  bookChange(instrument: Instrument, level = 0): void {
    const price = this.book(instrument).bids[level]![0];
    this.queue.push({ kind: 'book', instrument, ts: this.t, bids: [[price, `${++this.n}.00000000`]], asks: [] });
  }
  trade(instrument: Instrument): number {
    const id = (this.tradeIds.get(instrument) ?? 0) + 1;
    this.tradeIds.set(instrument, id);
    const price = this.book(instrument).asks[0]![0];
    this.queue.push({ kind: 'trade', instrument, ts: this.t, price, size: '0.01000000', side: 'buy', tradeId: id });
    return id;
  }
}

interface Harness {
  server: SimServer;
  driver: ScriptedDriver;
  session: FeedSession;
  events: MarketEvent[];
  dlq: MemoryDeadLetterSink;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.session.close();
    await h.server.stop();
  }
});

async function harness(staleAfterMs = 60_000): Promise<Harness> {
  const driver = new ScriptedDriver();
  const server = new SimServer({ market: driver, venues: new Map([['kraken', krakenSimVenue]]), logger, host: '127.0.0.1', port: 0, autoDrive: false, shutdownGraceMs: 20 });
  await server.start();
  const events: MarketEvent[] = [];
  const dlq = new MemoryDeadLetterSink(10_000);
  const session = new FeedSession({
    protocol: krakenProtocol({ registry, bookDepth: 10 }),
    instruments: registry.forFeed('kraken'),
    options: { url: server.url('kraken'), backoff: { baseMs: 20, maxMs: 100 }, staleAfterMs, maxConnectionAgeMs: 0, connectTimeoutMs: 5_000 },
    emit: (e) => events.push(e),
    deadLetters: dlq,
    logger,
  });
  const h = { server, driver, session, events, dlq };
  open.push(h);
  session.start();
  await waitFor(() => okCount(h, BTC_ID) === 1 && okCount(h, ETH_ID) === 1);
  return h;
}

async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const statusesOf = (h: Harness, id: string): string[] => h.events.filter((e): e is StatusEvent => e.type === 'status' && e.instrument === id).map((e) => e.status);
const okCount = (h: Harness, id: string): number => statusesOf(h, id).filter((s) => s === 'ok').length;
const booksOf = (h: Harness, id: string): BookEvent[] => h.events.filter((e): e is BookEvent => e.type === 'book' && e.instrument === id);

describe('kraken lifecycle on loopback', () => {
  it('subscribes on connect and streams verified books and trades', async () => {
    const h = await harness();
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok']);
    h.driver.bookChange(BTC);
    const id = h.driver.trade(ETH);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade'), 'trade');
    expect(h.events.find((e) => e.type === 'trade')).toMatchObject({ instrument: ETH_ID, tradeId: String(id), price: '3000.05', size: '0.01000000', side: 'buy' });
    await waitFor(() => booksOf(h, BTC_ID).length >= 2, 'BTC update');
    expect(booksOf(h, BTC_ID).at(-1)!.bids[0]).toEqual(['49999.5', '2.00000000']);
    expect(h.dlq.letters()).toEqual([]);
  });

  it('reconnects after a drop and resubscribes: both books come back ok', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'drop', feed: 'kraken' })).toEqual({ ok: true });
    await waitFor(() => okCount(h, BTC_ID) === 2 && okCount(h, ETH_ID) === 2, 'books after reconnect');
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok', 'disconnected', 'connected', 'ok']);
    expect(h.session.state().connects).toBe(2);
    h.driver.trade(BTC);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade' && e.instrument === BTC_ID), 'trade after reconnect');
  });

  it('a gap on BTC resyncs only BTC (resubscribe, fresh snapshot) while ETH keeps serving', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'gap', feed: 'kraken', instrument: 'BTC/USD' })).toEqual({ ok: true });
    h.driver.bookChange(BTC, 0); // lost
    h.server.advance(1);
    h.driver.bookChange(BTC, 1); // applied on top of a book missing the first change: checksum fails
    h.server.advance(1);
    await waitFor(() => statusesOf(h, BTC_ID).includes('resyncing'), 'BTC resyncing');
    const resyncAt = h.events.findIndex((e) => e.type === 'status' && e.instrument === BTC_ID && e.status === 'resyncing');
    h.driver.bookChange(ETH);
    h.server.advance(1);
    await waitFor(() => okCount(h, BTC_ID) === 2, 'BTC rebuilt');
    await waitFor(() => h.events.slice(resyncAt).some((e) => e.type === 'book' && e.instrument === ETH_ID), 'ETH serving');
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
    await waitFor(() => okCount(h, ETH_ID) === 2, 'ETH rebuilt');
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok', 'resyncing', 'ok']);
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok']);
    expect(booksOf(h, ETH_ID).at(-1)!.bids[0]).toEqual(['2999.95', '2.00000000']);
  });

  it('garbage frames go to the DLQ and the adapter keeps running on the same connection', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'garbage', feed: 'kraken', frames: 9 })).toEqual({ ok: true });
    h.driver.trade(BTC);
    h.server.advance(1);
    await waitFor(() => h.events.some((e) => e.type === 'trade'), 'trade after garbage');
    const reasons = h.dlq.letters().map((l) => l.reason);
    expect(reasons).toHaveLength(9);
    expect(new Set(reasons)).toEqual(new Set(['unknown_message', 'invalid_json']));
    expect(h.dlq.letters().every((l) => l.feed === 'kraken')).toBe(true);
    expect(h.session.state().connects).toBe(1);
  });

  it('a stalled stream is detected as stale although heartbeats keep arriving, and the session reconnects', async () => {
    // Longer than the venue heartbeat period (1 s): heartbeats arrive inside the silent window.
    const h = await harness(2_500);
    expect(h.server.inject({ kind: 'stall', feed: 'kraken', ms: 60_000 })).toEqual({ ok: true });
    const framesAtStall = h.session.state().messages;
    const feeder = setInterval(() => {
      h.driver.bookChange(BTC);
      h.server.advance(1);
    }, 20);
    let framesBeforeStale = 0;
    try {
      await waitFor(() => statusesOf(h, BTC_ID).includes('stale'), 'stale');
      framesBeforeStale = h.session.state().messages;
      await waitFor(() => h.session.state().connects >= 2, 'reconnect');
    } finally {
      clearInterval(feeder);
    }
    // Frames (venue heartbeats) did arrive during the stall; none of them counted as data.
    expect(framesBeforeStale).toBeGreaterThan(framesAtStall);
    expect(statusesOf(h, ETH_ID)).toContain('stale');
    expect(statusesOf(h, BTC_ID).slice(0, 4)).toEqual(['connected', 'ok', 'stale', 'disconnected']);
  });

  it('a maintenance notice halts every instrument; after the close the session reconnects and books are ok again', async () => {
    const h = await harness();
    expect(h.server.inject({ kind: 'shutdown', feed: 'kraken' })).toEqual({ ok: true });
    await waitFor(() => okCount(h, BTC_ID) === 2 && okCount(h, ETH_ID) === 2, 'books after the maintenance reconnect');
    expect(statusesOf(h, BTC_ID)).toEqual(['connected', 'ok', 'halted', 'disconnected', 'connected', 'ok']);
    expect(statusesOf(h, ETH_ID)).toEqual(['connected', 'ok', 'halted', 'disconnected', 'connected', 'ok']);
  });
});
