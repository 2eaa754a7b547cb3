/**
 * Simulator pieces for the venue tests: seeded markets with the shipped defaults, a fake client
 * connection, scripted markets whose books the test fixes, and an in-memory loop between a client
 * protocol and a simulator venue (no sockets).
 */
import { expect } from 'vitest';
import { simSectionSchema } from '../../../../src/config/feeds.js';
import { DEFAULT_CALIBRATION } from '../../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../../src/feeds/sim/market.js';
import type { SimMarketDriver } from '../../../../src/feeds/sim/server.js';
import type { SimBook, SimClient, SimMarketView, SimTick, SimVenue } from '../../../../src/feeds/sim/types.js';
import type { VenueProtocol } from '../../../../src/feeds/types.js';
import type { Instrument } from '../../../../src/portfolio/instruments.js';
import type { Level, MarketEvent, TradeEvent } from '../../../../src/risk/events.js';
import { Recorder } from './recorder.js';

type SimDefaults = ReturnType<typeof simSectionSchema.parse>;

export interface SeededMarketOptions {
  seed: number;
  startMs: number;
  /** SimTicks per second over all instruments; default the shipped rate. */
  messagesPerSecond?: number;
  mix?: SimDefaults['flow']['mix'];
  /** Levels per side; default the shipped depth. */
  bookLevels?: number;
}

/** A seeded SimMarket over `instruments` with the shipped model, flow and book defaults. */
export function seededMarket(instruments: readonly Instrument[], options: SeededMarketOptions): SimMarket {
  const defaults = simSectionSchema.parse({});
  const made = SimMarket.create({
    instruments,
    seed: options.seed,
    startMs: options.startMs,
    model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
    flow: { ...defaults.flow, messagesPerSecond: options.messagesPerSecond ?? defaults.flow.messagesPerSecond, mix: options.mix ?? defaults.flow.mix },
    book: { ...defaults.book, levels: options.bookLevels ?? defaults.book.levels },
  });
  if (!made.ok) throw new Error(made.errors.join('\n'));
  return made.market;
}

/** One client connection as a simulator venue sees it; what the venue sends piles up in `frames`. */
export class FakeClient implements SimClient {
  readonly url: URL;
  frames: string[] = [];
  closed: { code: number | undefined; reason: string | undefined } | undefined;

  constructor(
    readonly id: number,
    path = '/',
  ) {
    this.url = new URL(path, 'ws://sim');
  }

  send(text: string): void {
    this.frames.push(text);
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
  }

  /** The frames sent since the last take. */
  take(): string[] {
    const out = this.frames;
    this.frames = [];
    return out;
  }

  /** The frames sent since the last take, parsed. */
  takeJson(): Record<string, unknown>[] {
    return this.take().map((f) => JSON.parse(f) as Record<string, unknown>);
  }
}

/** `levels` levels per side around a mid, `step` apart, with the sizes `size` gives each level (1 = best). */
export function ladder(mid: number, step: number, decimals: number, levels: number, size: (side: 'bid' | 'ask', level: number) => string): SimBook {
  const bids: Level[] = [];
  const asks: Level[] = [];
  for (let i = 1; i <= levels; i++) {
    bids.push([(mid - i * step).toFixed(decimals), size('bid', i)]);
    asks.push([(mid + i * step).toFixed(decimals), size('ask', i)]);
  }
  return { bids, asks };
}

/** The fixed book (a fresh copy per call: venues may keep what they get) and mid of each instrument of a scripted market. */
export type ScriptedBooks = ReadonlyMap<Instrument, { book(): SimBook; readonly mid: string }>;

/** One instrument's ladder: mid, step between levels and price decimals (the mid is printed with them). */
export type LadderSpec = readonly [instrument: Instrument, mid: number, step: number, decimals: number];

/** Scripted books: a `levels`-deep ladder per instrument, sizes from `size`. */
export function scriptedBooks(specs: readonly LadderSpec[], levels: number, size: (side: 'bid' | 'ask', level: number) => string): ScriptedBooks {
  return new Map(specs.map(([instrument, mid, step, decimals]) => [instrument, { book: () => ladder(mid, step, decimals, levels, size), mid: mid.toFixed(decimals) }]));
}

/** A market that only answers a venue's construction-time questions; ticks are fed by hand. */
export class ScriptedMarket implements SimMarketView {
  readonly instruments: readonly Instrument[];
  t: number;

  constructor(
    private readonly books: ScriptedBooks,
    startMs: number,
  ) {
    this.instruments = [...books.keys()];
    this.t = startMs;
  }

  book(instrument: Instrument): SimBook {
    return this.books.get(instrument)!.book();
  }

  mid(instrument: Instrument): string {
    return this.books.get(instrument)!.mid;
  }

  now(): number {
    return this.t;
  }
}

/**
 * A scripted market for a SimServer: ticks the test queues are released on the next `step`. A
 * size counter makes every book tick a real change.
 */
export class ScriptedDriver extends ScriptedMarket implements SimMarketDriver {
  private readonly queue: SimTick[] = [];
  /** Best-level sizes start at 1: the first change sets 2. */
  private n = 1;
  private readonly tradeIds = new Map<Instrument, number>();

  step(dtMs: number, emit: (tick: SimTick) => void): void {
    this.t += dtMs;
    for (const tick of this.queue.splice(0)) emit(tick);
  }

  /** A size change at the `level`-th bid (inside every window, so it always produces an update). */
  bookChange(instrument: Instrument, level = 0): void {
    const price = this.book(instrument).bids[level]![0];
    this.queue.push({ kind: 'book', instrument, ts: this.t, bids: [[price, `${++this.n}.00000000`]], asks: [] });
  }

  /** A buy at the best ask; returns its trade id. */
  trade(instrument: Instrument): number {
    const id = (this.tradeIds.get(instrument) ?? 0) + 1;
    this.tradeIds.set(instrument, id);
    const price = this.book(instrument).asks[0]![0];
    this.queue.push({ kind: 'trade', instrument, ts: this.t, price, size: '0.01000000', side: 'buy', tradeId: id });
    return id;
  }
}

/** Client protocol <-> sim venue in memory: frames the venue sends are parsed, requests go back. */
export class InMemoryLoop {
  readonly r = new Recorder();

  constructor(
    readonly venue: SimVenue,
    readonly client: FakeClient,
    readonly protocol: VenueProtocol,
  ) {}

  connect(instruments: readonly Instrument[]): void {
    this.venue.onConnect(this.client);
    for (const m of this.protocol.subscribeMessages(instruments)) this.venue.onClientMessage(this.client, m);
    this.pump();
  }

  /** Delivers pending venue frames to the protocol and the protocol's requests to the venue, until quiet. */
  pump(): void {
    for (;;) {
      const frames = this.client.take();
      for (const f of frames) this.protocol.onMessage(f, 1, this.r);
      const sent = this.r.sent.splice(0);
      for (const s of sent) this.venue.onClientMessage(this.client, s);
      if (frames.length === 0 && sent.length === 0) return;
    }
  }

  tick(t: SimTick): void {
    this.venue.onTick(t);
    this.pump();
  }
}

/** Steps `market` `steps` times by `stepMs`, feeding every tick through `loop`; returns the ticks. */
export function driveLoop(loop: InMemoryLoop, market: SimMarket, steps: number, stepMs: number): SimTick[] {
  const ticks: SimTick[] = [];
  for (let step = 0; step < steps; step++) {
    market.step(stepMs, (t) => {
      ticks.push(t);
      loop.tick(t);
    });
  }
  return ticks;
}

/** The trades among `events` are the trade ticks, in order, with the values they carried (and more than `atLeast`). */
export function expectTradesAsTicked(events: readonly MarketEvent[], ticks: readonly SimTick[], atLeast: number): void {
  const tradeTicks = ticks.filter((t) => t.kind === 'trade');
  const trades = events.filter((e): e is TradeEvent => e.type === 'trade');
  expect(tradeTicks.length).toBeGreaterThan(atLeast);
  expect(trades.map((t) => [t.instrument, t.tradeId, t.price, t.size, t.side, t.exchTs])).toEqual(
    tradeTicks.map((t) => (t.kind === 'trade' ? [t.instrument.id, String(t.tradeId), t.price, t.size, t.side, t.ts] : [])),
  );
}
