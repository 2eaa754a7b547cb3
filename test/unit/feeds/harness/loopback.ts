/**
 * Lifecycle tests on loopback: FeedSessions against an in-process SimServer, the events and dead
 * letters they produce, and polling waits. Waits only bound how long a condition may take to
 * become true; no assertion is about elapsed time.
 */
import { pino } from 'pino';
import { MemoryDeadLetterSink } from '../../../../src/feeds/dlq.js';
import { FeedSession } from '../../../../src/feeds/session.js';
import { SimServer, type SimServerOptions } from '../../../../src/feeds/sim/server.js';
import type { SimVenueFactory } from '../../../../src/feeds/sim/types.js';
import type { SessionOptions, VenueProtocol } from '../../../../src/feeds/types.js';
import type { FeedId, Instrument } from '../../../../src/portfolio/instruments.js';
import type { FeedStatus, MarketEvent } from '../../../../src/risk/events.js';
import { statusEventsOf, statusesOf } from './recorder.js';
import { ScriptedDriver, type ScriptedBooks } from './sim.js';

export const silentLogger = pino({ level: 'silent' });

/** Polls `condition` every few ms; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export interface LoopbackConnection {
  feed: FeedId;
  protocol: VenueProtocol;
  instruments: readonly Instrument[];
  /** Give the session the server's REST base (venues that fetch depth snapshots: Binance). */
  rest?: boolean;
}

export interface LoopbackSetup {
  server: Omit<SimServerOptions, 'logger' | 'host' | 'port'>;
  connections: readonly LoopbackConnection[];
  session: Omit<SessionOptions, 'url' | 'restUrl' | 'maxConnectionAgeMs'>;
}

const running: Loopback[] = [];

/** A SimServer on an ephemeral loopback port with one FeedSession per connection, all emitting into one list. */
export class Loopback {
  readonly events: MarketEvent[] = [];
  readonly dlq = new MemoryDeadLetterSink(10_000);
  readonly sessions: FeedSession[] = [];

  private constructor(readonly server: SimServer) {}

  /** Starts the server and every session; `stopLoopbacks` (afterEach) stops them. */
  static async start(setup: LoopbackSetup): Promise<Loopback> {
    const server = new SimServer({ ...setup.server, logger: silentLogger, host: '127.0.0.1', port: 0 });
    await server.start();
    const run = new Loopback(server);
    running.push(run);
    for (const c of setup.connections) {
      const options: SessionOptions = {
        ...setup.session,
        url: server.url(c.feed),
        restUrl: c.rest === true ? server.restUrl(c.feed) : undefined,
        maxConnectionAgeMs: 0,
      };
      run.sessions.push(new FeedSession({ protocol: c.protocol, instruments: c.instruments, options, emit: (e) => run.events.push(e), deadLetters: run.dlq, logger: silentLogger }));
    }
    for (const s of run.sessions) s.start();
    return run;
  }

  /** The first (often the only) session. */
  get session(): FeedSession {
    return this.sessions[0]!;
  }

  /** The session of a feed. */
  sessionOf(feed: FeedId): FeedSession {
    return this.sessions.find((s) => s.state().feed === feed)!;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) await s.close();
    await this.server.stop();
  }
}

/** Stops every loopback started since the last call (afterEach). */
export async function stopLoopbacks(): Promise<void> {
  for (const run of running.splice(0)) await run.stop();
}

/** The latest status of an instrument among `events` (from `from` on). */
export function latestStatus(events: readonly MarketEvent[], instrument: Instrument, from = 0): FeedStatus | undefined {
  return statusEventsOf(events, instrument.id, from).at(-1)?.status;
}

/** Every instrument's latest status is `ok` (its book is in sync, or every channel acked). */
export function allOk(events: readonly MarketEvent[], instruments: readonly Instrument[]): boolean {
  const latest = new Map<string, string>();
  for (const e of events) if (e.type === 'status') latest.set(e.instrument, e.status);
  return instruments.every((i) => latest.get(i.id) === 'ok');
}

/** Events of a type for an instrument (from `from` on). */
export function countOf(events: readonly MarketEvent[], type: MarketEvent['type'], instrument: Instrument, from = 0): number {
  let n = 0;
  for (let i = from; i < events.length; i++) if (events[i]!.type === type && events[i]!.instrument === instrument.id) n++;
  return n;
}

/** One session against a scripted market: the test queues ticks on `driver` and releases them with `server.advance`. */
export interface ScriptedRun {
  server: SimServer;
  driver: ScriptedDriver;
  session: FeedSession;
  events: MarketEvent[];
  dlq: MemoryDeadLetterSink;
}

export interface ScriptedSetup {
  feed: FeedId;
  simVenue: SimVenueFactory;
  protocol: VenueProtocol;
  books: ScriptedBooks;
  startMs: number;
  staleAfterMs: number;
}

/** Starts a scripted venue (no autonomous driving) and one session on it, with short backoffs. */
export async function startScripted(setup: ScriptedSetup): Promise<ScriptedRun> {
  const driver = new ScriptedDriver(setup.books, setup.startMs);
  const run = await Loopback.start({
    server: { market: driver, venues: new Map([[setup.feed, setup.simVenue]]), autoDrive: false, shutdownGraceMs: 20 },
    connections: [{ feed: setup.feed, protocol: setup.protocol, instruments: driver.instruments }],
    session: { backoff: { baseMs: 20, maxMs: 100 }, staleAfterMs: setup.staleAfterMs, connectTimeoutMs: 5_000 },
  });
  return { server: run.server, driver, session: run.session, events: run.events, dlq: run.dlq };
}

/** How many times an instrument has gone `ok`. */
export function okCount(events: readonly MarketEvent[], instrument: string): number {
  return statusesOf(events, instrument).filter((s) => s === 'ok').length;
}
