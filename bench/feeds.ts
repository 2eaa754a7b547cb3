/**
 * Feed parser throughput: raw text frame -> normalized MarketEvents, per venue adapter and message
 * mix, plus the peers (tardis-dev, ccxt) on the same Binance messages. One process.
 *
 *   npm run bench:feeds [-- --json] [--runs 7] [--warmup 2] [--messages 40000] [--venues binance,okx]
 *
 * Input: every adapter exported from src/feeds/<venue>/index.ts (factories named `<x>Protocol` and
 * `<x>SimVenue`, paired by feed) is fed the frames its own simulator venue sends for the
 * protocol's own subscriptions (Binance also subscribes bookTicker, for a ticker mix), driven by
 * the seeded SimMarket over config/instruments.yaml, each frame decoded from bytes as the session
 * does (`Buffer#toString`: a flat string, not the simulator's concatenation). A recording pass parses every frame once and
 * classifies it by what it produced: `trade` (trade events), `book-delta` (book events), `ticker`
 * (quote, mark or option events only). An adapter that cannot be loaded or recorded is listed as
 * "not available" with the reason.
 *
 * Timing (adapters): per mix and run, a fresh protocol replays (untimed) the recording up to the
 * point where every book is synchronized, then the mix's frames are timed through `onMessage` with
 * a no-op io. Warm-up runs first; the candidates of a mix (Binance: also the JSON decoder path alone)
 * alternate run by run; the median of the timed runs is reported, by wall clock and by process CPU
 * time. Each timed run is verified: the number of events equals the recording pass and sampled
 * events are deep-equal; the recording itself is checked against the simulator (trades against its
 * trade ticks, the last book of each instrument against the market's book).
 *
 * Timing (peers): right after the Binance spot recording, Keel and the peers get the same trade
 * frames in short batches, round-robin with a rotating order, so background load changes hit every
 * candidate of a round alike; the ratio reported is the median of the per-round Keel/peer ratios
 * (and the ratio of the medians). Each candidate's output is checked against the recording.
 *
 * Output: a table on stdout; with --json the last stdout line is one JSON object. Results are also
 * written to bench/results/feeds-<YYYY-MM-DD>.json with the machine (cpu model, cores, node).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { instrumentsSectionSchema } from '../src/config/instruments.js';
import { simSectionSchema } from '../src/config/feeds.js';
import { BinanceProtocol } from '../src/feeds/binance/protocol.js';
import { DEFAULT_CALIBRATION } from '../src/feeds/sim/calibration.js';
import { SimMarket } from '../src/feeds/sim/market.js';
import type { SimClient, SimTick, SimVenue, SimVenueFactory } from '../src/feeds/sim/types.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol, VenueProtocolFactory } from '../src/feeds/types.js';
import { fx } from '../src/portfolio/fixed.js';
import { InstrumentRegistry, type FeedId, type Instrument } from '../src/portfolio/instruments.js';
import type { MarketEvent } from '../src/risk/events.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BOOK_DEPTH = 10;
/** Peer comparison: messages per batch, timed rounds (>= 200k messages per candidate), warm-up. */
const PEER_BATCH = 5_000;
const PEER_ROUNDS = 60;
const PEER_WARMUP_ROUNDS = 10;
const START_MS = 1_780_000_000_000;

/* Settings ---------------------------------------------------------------------------------------- */

interface Settings {
  json: boolean;
  /** Only these venue directories (default: all). */
  venues: readonly string[] | undefined;
  runs: number;
  warmupRuns: number;
  maxMessages: number;
}

function settingsFrom(argv: readonly string[]): Settings {
  const value = (flag: string, fallback: number): number => {
    const at = argv.indexOf(flag);
    if (at < 0) return fallback;
    const n = Number(argv[at + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer`);
    return n;
  };
  const runs = value('--runs', 7);
  if (runs < 5) throw new Error('--runs must be at least 5 (the median of >= 5 runs is reported)');
  const at = argv.indexOf('--venues');
  const venues = at < 0 ? undefined : (argv[at + 1] ?? '').split(',').filter((v) => v !== '');
  return { json: argv.includes('--json'), venues, runs, warmupRuns: value('--warmup', 2), maxMessages: value('--messages', 40_000) };
}

/* Recording --------------------------------------------------------------------------------------- */

type Mix = 'trade' | 'ticker' | 'book-delta';
const MIXES: readonly Mix[] = ['trade', 'ticker', 'book-delta'];

type Entry = { kind: 'frame'; raw: string; mix: Mix | undefined; events: MarketEvent[] } | { kind: 'snapshot'; instrument: Instrument; body: string };

interface Recording {
  entries: Entry[];
  /** Entries before this index are replayed untimed (books synchronized after them). */
  primeEnd: number;
  ticks: SimTick[];
  market: SimMarket;
  instruments: readonly Instrument[];
  deadLetters: number;
}

class BenchClient implements SimClient {
  readonly id: number;
  readonly url: URL;
  frames: string[] = [];
  constructor(id: number, path: string) {
    this.id = id;
    this.url = new URL(path, 'ws://127.0.0.1:1');
  }
  send(text: string): void {
    this.frames.push(text);
  }
  close(): void {
    this.frames.push('');
  }
}

/** io that records events of the frame being handled and answers the venue like a session. */
class RecordingIO implements ProtocolIO {
  events: MarketEvent[] = [];
  snapshots: Instrument[] = [];
  sent: string[] = [];
  letters = 0;
  readonly emit = (e: MarketEvent): void => {
    this.events.push(e);
  };
  readonly send = (text: string): void => {
    this.sent.push(text);
  };
  readonly deadLetter = (_reason: DeadLetterReason, _detail: string, _raw: string): void => {
    this.letters++;
  };
  readonly requestSnapshot = (ins: Instrument): void => {
    this.snapshots.push(ins);
  };
  readonly reconnect = (): void => undefined;
}

function classify(events: readonly MarketEvent[]): Mix | undefined {
  let ticker = false;
  for (const e of events) {
    if (e.type === 'trade') return 'trade';
    if (e.type === 'book') return 'book-delta';
    if (e.type === 'quote' || e.type === 'mark' || e.type === 'option') ticker = true;
  }
  return ticker ? 'ticker' : undefined;
}

function newMarket(instruments: readonly Instrument[], messagesPerSecond: number): SimMarket {
  const cfg = simSectionSchema.parse({});
  const made = SimMarket.create({
    instruments,
    seed: 20261126,
    startMs: START_MS,
    model: { calibration: DEFAULT_CALIBRATION, jumps: cfg.model.jumps, basis: cfg.model.basis, futuresCarryAnnual: cfg.model.futuresCarryAnnual, iv: cfg.model.iv },
    flow: { messagesPerSecond, mix: cfg.flow.mix, maxBurstMs: cfg.flow.maxBurstMs },
    book: { ...cfg.book, levels: 20 },
  });
  if (!made.ok) throw new Error(`sim market: ${made.errors.join('; ')}`);
  return made.market;
}

/** Extra subscriptions beyond the protocol's own, so the bench sees the venue's ticker stream. */
function extraRequests(protocol: VenueProtocol, instruments: readonly Instrument[]): string[] {
  if (protocol.venue !== 'binance' || protocol.path(instruments) === '/market/stream') return [];
  const params = instruments.map((i) => `${i.spec.venueSymbol.toLowerCase()}@bookTicker`);
  return [JSON.stringify({ method: 'SUBSCRIBE', params, id: 900 })];
}

function record(protocolFactory: VenueProtocolFactory, venueFactory: SimVenueFactory, registry: InstrumentRegistry, feed: FeedId, target: number): Recording {
  const instruments = registry.forFeed(feed);
  if (instruments.length === 0) throw new Error(`no instruments for ${feed} in config/instruments.yaml`);
  const market = newMarket(instruments, 50_000);
  const venue: SimVenue = venueFactory(market);
  const protocol = protocolFactory({ registry, bookDepth: BOOK_DEPTH });
  const client = new BenchClient(1, protocol.path(instruments));
  const io = new RecordingIO();
  venue.onConnect(client);
  const heartbeatMs = venue.heartbeatMs ?? 0;
  let nextHeartbeat = market.now() + heartbeatMs;
  const answerVenue = (): void => {
    for (const text of io.sent.splice(0)) venue.onClientMessage(client, text);
  };
  for (const text of [...protocol.subscribeMessages(instruments), ...extraRequests(protocol, instruments)]) venue.onClientMessage(client, text);
  const entries: Entry[] = [];
  const ticks: SimTick[] = [];
  const counts: Record<Mix, number> = { trade: 0, ticker: 0, 'book-delta': 0 };
  const firstBook = new Map<string, number>();
  const booked = new Set<string>();
  let deadLetters = 0;
  // Bounded: rare mixes get what the budget gives them (the table reports the message count).
  for (let step = 0; step < 400 && entries.length < 6 * target; step++) {
    market.step(100, (tick) => {
      ticks.push(tick);
      venue.onTick(tick);
    });
    if (heartbeatMs > 0 && market.now() >= nextHeartbeat) {
      venue.heartbeat?.(client);
      nextHeartbeat = market.now() + heartbeatMs;
    }
    for (const sent of client.frames.splice(0)) {
      if (sent === '') throw new Error('the simulator closed the connection');
      // As the session hands frames over: decoded from the socket's bytes (a flat string).
      const raw = Buffer.from(sent, 'utf8').toString('utf8');
      io.events = [];
      protocol.onMessage(raw, market.now(), io);
      const mix = classify(io.events);
      entries.push({ kind: 'frame', raw, mix, events: io.events });
      if (mix !== undefined) counts[mix]++;
      for (const e of io.events) {
        if (e.type === 'book') booked.add(e.instrument);
        if (e.type === 'book' && !firstBook.has(e.instrument)) firstBook.set(e.instrument, entries.length);
      }
      for (const ins of io.snapshots.splice(0)) {
        const path = protocol.snapshotPath?.(ins);
        const answer = path === undefined ? undefined : venue.handleRest?.(new URL(`http://127.0.0.1:1${path}`));
        if (answer === undefined || answer.status !== 200) throw new Error(`snapshot for ${ins.id} failed: ${answer?.body ?? 'no REST handler'}`);
        entries.push({ kind: 'snapshot', instrument: ins, body: answer.body });
        io.events = [];
        protocol.onSnapshot?.(ins, answer.body, market.now(), io);
        for (const e of io.events) if (e.type === 'book' && !firstBook.has(e.instrument)) firstBook.set(e.instrument, entries.length);
      }
      answerVenue();
    }
    deadLetters = io.letters;
    const primeEnd = firstBook.size === 0 ? 0 : Math.max(...firstBook.values());
    const enough = MIXES.every((m) => counts[m] === 0 || countAfter(entries, primeEnd, m) >= target);
    if (step >= 20 && enough) break;
  }
  const primeEnd = firstBook.size === 0 ? 0 : Math.max(...firstBook.values());
  return { entries, primeEnd, ticks, market, instruments, deadLetters };
}

function countAfter(entries: readonly Entry[], from: number, mix: Mix): number {
  let n = 0;
  for (let k = from; k < entries.length; k++) {
    const e = entries[k]!;
    if (e.kind === 'frame' && e.mix === mix) n++;
  }
  return n;
}

/* Checks of the recording against the simulator --------------------------------------------------- */

const sameDecimal = (a: string, b: string): boolean => {
  try {
    return fx(a) === fx(b);
  } catch {
    return false;
  }
};

/** Trades in recording order against the simulator's trade ticks (1:1 where the venue sends one per tick). */
function tradesMatchSim(rec: Recording): boolean | 'n/a' {
  const feeds = new Set(rec.instruments.map((i) => i.id));
  const trades: MarketEvent[] = [];
  for (const e of rec.entries) if (e.kind === 'frame') for (const ev of e.events) if (ev.type === 'trade') trades.push(ev);
  const ticks = rec.ticks.filter((t): t is Extract<SimTick, { kind: 'trade' }> => t.kind === 'trade' && feeds.has(t.instrument.id));
  if (trades.length === 0) return 'n/a';
  if (trades.length !== ticks.length) return false;
  return trades.every((ev, k) => {
    const t = ticks[k]!;
    return ev.type === 'trade' && ev.instrument === t.instrument.id && sameDecimal(ev.price, t.price) && sameDecimal(ev.size, t.size) && ev.side === t.side;
  });
}

/** The last book event of each instrument against the market's book at the end of the recording. */
function booksMatchSim(rec: Recording): boolean | 'n/a' {
  const last = new Map<string, Extract<MarketEvent, { type: 'book' }>>();
  for (const e of rec.entries) if (e.kind === 'frame') for (const ev of e.events) if (ev.type === 'book') last.set(ev.instrument, ev);
  if (last.size === 0) return 'n/a';
  for (const ins of rec.instruments) {
    const book = last.get(ins.id);
    if (book === undefined) continue;
    const truth = rec.market.book(ins);
    const want = [truth.bids.slice(0, BOOK_DEPTH), truth.asks.slice(0, BOOK_DEPTH)] as const;
    const got = [book.bids, book.asks] as const;
    for (let s = 0; s < 2; s++) {
      if (got[s]!.length !== want[s]!.length) return false;
      for (let k = 0; k < want[s]!.length; k++) {
        if (!sameDecimal(got[s]![k]![0], want[s]![k]![0]) || !sameDecimal(got[s]![k]![1], want[s]![k]![1])) return false;
      }
    }
  }
  return true;
}

/* Timing ------------------------------------------------------------------------------------------- */

interface RunResult {
  wallMs: number;
  cpuMs: number;
}

interface Candidate {
  name: string;
  messages: number;
  /** Untimed setup of one run. */
  prepare(): void;
  /** The timed body: handles every message once. */
  run(): void;
  /** Checks the run's output; returns a problem or undefined. */
  verify(): string | undefined;
}

interface Measured {
  name: string;
  messages: number;
  medianMsgsPerSec: number;
  medianCpuMsgsPerSec: number;
  runsMsgsPerSec: number[];
  runsCpuMsgsPerSec: number[];
  verified: boolean;
  problem?: string | undefined;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs candidates interleaved: warm-up, then `runs` timed rounds with a rotating order. */
function measure(candidates: readonly Candidate[], settings: Settings): Measured[] {
  const results = candidates.map(() => [] as RunResult[]);
  const problems: (string | undefined)[] = candidates.map(() => undefined);
  for (let round = 0; round < settings.warmupRuns + settings.runs; round++) {
    for (let k = 0; k < candidates.length; k++) {
      const idx = (k + round) % candidates.length;
      const c = candidates[idx]!;
      c.prepare();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      c.run();
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      problems[idx] ??= c.verify();
      if (round >= settings.warmupRuns) results[idx]!.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  }
  return candidates.map((c, k) => {
    const rates = results[k]!.map((r) => (c.messages / r.wallMs) * 1000);
    const cpuRates = results[k]!.map((r) => (c.messages / r.cpuMs) * 1000);
    return {
      name: c.name,
      messages: c.messages,
      medianMsgsPerSec: Math.round(median(rates)),
      medianCpuMsgsPerSec: Math.round(median(cpuRates)),
      runsMsgsPerSec: rates.map((r) => Math.round(r)),
      runsCpuMsgsPerSec: cpuRates.map((r) => Math.round(r)),
      verified: problems[k] === undefined,
      problem: problems[k],
    };
  });
}

/** A candidate that can handle any contiguous batch of its (cyclic) message list. */
interface BatchCandidate {
  name: string;
  prepare(): void;
  /** Handles messages `from .. from + count - 1` of the cyclic list. */
  batch(from: number, count: number): void;
  /** Checks everything handled since `prepare`; `handled` is how many messages that was. */
  verify(handled: number): string | undefined;
}

interface BatchMeasured {
  name: string;
  batches: number;
  batchMessages: number;
  /** Median over batches, and total messages / total time. */
  medianCpuMsgsPerSec: number;
  medianMsgsPerSec: number;
  totalCpuMsgsPerSec: number;
  verified: boolean;
  problem?: string | undefined;
  batchCpuMsgsPerSec: number[];
}

/**
 * Round-robin over short batches: each round gives every candidate the same `batch` messages,
 * back to back, in a rotating order. Background load changes between rounds hit every candidate
 * of a round alike, so per-round ratios are comparable even on a busy machine.
 */
function measureBatches(candidates: readonly BatchCandidate[], batch: number, rounds: number, warmupRounds: number): BatchMeasured[] {
  const cpu = candidates.map(() => [] as number[]);
  const wall = candidates.map(() => [] as number[]);
  for (const c of candidates) c.prepare();
  let from = 0;
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (let k = 0; k < candidates.length; k++) {
      const idx = (k + round) % candidates.length;
      const c = candidates[idx]!;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      c.batch(from, batch);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const used = process.cpuUsage(cpu0);
      if (round >= warmupRounds) {
        cpu[idx]!.push((used.user + used.system) / 1000);
        wall[idx]!.push(wallMs);
      }
    }
    from += batch;
  }
  const handled = (warmupRounds + rounds) * batch;
  return candidates.map((c, k) => {
    const cpuRates = cpu[k]!.map((ms) => (batch / ms) * 1000);
    const problem = c.verify(handled);
    return {
      name: c.name,
      batches: rounds,
      batchMessages: batch,
      medianCpuMsgsPerSec: Math.round(median(cpuRates)),
      medianMsgsPerSec: Math.round(median(wall[k]!.map((ms) => (batch / ms) * 1000))),
      totalCpuMsgsPerSec: Math.round((rounds * batch * 1000) / cpu[k]!.reduce((a, b) => a + b, 0)),
      verified: problem === undefined,
      problem,
      batchCpuMsgsPerSec: cpuRates.map((r) => Math.round(r)),
    };
  });
}

/** A no-op io that only counts (the parser's output must not be optimised away). */
class CountingIO implements ProtocolIO {
  count = 0;
  first: MarketEvent | undefined;
  last: MarketEvent | undefined;
  readonly emit = (e: MarketEvent): void => {
    if (this.count === 0) this.first = e;
    this.last = e;
    this.count++;
  };
  readonly send = (): void => undefined;
  readonly deadLetter = (): void => undefined;
  readonly requestSnapshot = (): void => undefined;
  readonly reconnect = (): void => undefined;
}

/** Keel on one mix of a recording: prime a fresh protocol, then time the mix's frames. */
function keelCandidate(name: string, make: () => VenueProtocol, rec: Recording, mix: Mix, maxMessages: number): Candidate {
  const frames: string[] = [];
  const expected: MarketEvent[] = [];
  for (let k = rec.primeEnd; k < rec.entries.length && frames.length < maxMessages; k++) {
    const e = rec.entries[k]!;
    if (e.kind === 'frame' && e.mix === mix) {
      frames.push(e.raw);
      expected.push(...e.events);
    }
  }
  let protocol: VenueProtocol = make();
  let io = new CountingIO();
  return {
    name,
    messages: frames.length,
    prepare(): void {
      protocol = make();
      const setup = new RecordingIO();
      for (let k = 0; k < rec.primeEnd; k++) {
        const e = rec.entries[k]!;
        if (e.kind === 'frame') protocol.onMessage(e.raw, 0, setup);
        else protocol.onSnapshot?.(e.instrument, e.body, 0, setup);
      }
      io = new CountingIO();
    },
    run(): void {
      const p = protocol;
      const sink = io;
      for (let k = 0; k < frames.length; k++) p.onMessage(frames[k]!, 0, sink);
    },
    verify(): string | undefined {
      if (io.count !== expected.length) return `${io.count} events, the recording pass had ${expected.length}`;
      const strip = (e: MarketEvent | undefined): unknown => (e === undefined ? undefined : { ...e, recvTs: 0 });
      if (!isDeepStrictEqual(strip(io.first), strip(expected[0])) || !isDeepStrictEqual(strip(io.last), strip(expected[expected.length - 1]))) {
        return 'sampled events differ from the recording pass';
      }
      return undefined;
    },
  };
}

/* Peers (Binance spot trades) -------------------------------------------------------------------- */

interface TardisMapper {
  canHandle(message: unknown): boolean;
  map(message: unknown, localTimestamp: Date): Iterable<{ price: number; amount: number; id: string; side: string }>;
}

interface CcxtTrade {
  id: string;
  price: number;
  amount: number;
  side: string;
}

interface CcxtExchange {
  setMarkets(markets: unknown[]): unknown;
  market(symbol: string): unknown;
  parseWsTrade(trade: unknown, market: unknown): CcxtTrade;
  client(url: string): { onMessage(message: { data: string }): void };
  urls: { api: { ws: { spot: string } } };
  trades: Record<string, CcxtTrade[] | undefined>;
}

function tradeFramesOf(rec: Recording, maxMessages: number): { frames: string[]; events: Extract<MarketEvent, { type: 'trade' }>[] } {
  const frames: string[] = [];
  const events: Extract<MarketEvent, { type: 'trade' }>[] = [];
  for (let k = rec.primeEnd; k < rec.entries.length && frames.length < maxMessages; k++) {
    const e = rec.entries[k]!;
    if (e.kind === 'frame' && e.mix === 'trade' && e.events.length === 1 && e.events[0]!.type === 'trade') {
      frames.push(e.raw);
      events.push(e.events[0]!);
    }
  }
  return { frames, events };
}

async function peerCandidates(rec: Recording, registry: InstrumentRegistry, factory: VenueProtocolFactory, maxMessages: number): Promise<{ candidates: BatchCandidate[]; unavailable: Record<string, string>; frames: number }> {
  const { frames, events } = tradeFramesOf(rec, maxMessages);
  const n = frames.length;
  const candidates: BatchCandidate[] = [];
  const unavailable: Record<string, string> = {};
  /** The recorded normalized trade of message `i` of the cyclic list. */
  const expectedAt = (i: number): Extract<MarketEvent, { type: 'trade' }> => events[i % n]!;
  const matches = (i: number, price: number, amount: number, id: string): boolean => {
    const e = expectedAt(i);
    return price === Number(e.price) && amount === Number(e.size) && id === e.tradeId;
  };

  // Keel itself, through the protocol (as everywhere in this bench).
  {
    let protocol = factory({ registry, bookDepth: BOOK_DEPTH });
    let io = new CountingIO();
    candidates.push({
      name: 'keel binanceSpotProtocol (raw text -> events)',
      prepare: () => {
        protocol = factory({ registry, bookDepth: BOOK_DEPTH });
        io = new CountingIO();
      },
      batch: (from, count) => {
        const p = protocol;
        const sink = io;
        for (let i = from; i < from + count; i++) p.onMessage(frames[i % n]!, 0, sink);
      },
      verify: (handled) => {
        if (io.count !== handled) return `${io.count} events for ${handled} messages`;
        const strip = (e: MarketEvent | undefined): unknown => (e === undefined ? undefined : { ...e, recvTs: 0 });
        return isDeepStrictEqual(strip(io.last), strip(expectedAt(handled - 1))) ? undefined : 'last event differs from the recording';
      },
    });
  }

  // The ceiling of any JSON.parse-based parser (PEERS-BENCH.md): parse + a hand-written mapping.
  {
    let count = 0;
    let last: { price: string; size: string; tradeId: string } | undefined;
    candidates.push({
      name: 'JSON.parse + hand mapping (baseline)',
      prepare: () => {
        count = 0;
      },
      batch: (from, total) => {
        for (let i = from; i < from + total; i++) {
          const d = (JSON.parse(frames[i % n]!) as { data: { s: string; t: number; p: string; q: string; T: number; m: boolean } }).data;
          last = { price: d.p, size: d.q, tradeId: String(d.t) };
          if (d.s.length > 0 && d.T > 0) count++;
        }
      },
      verify: (handled) => {
        const e = expectedAt(handled - 1);
        return count === handled && last?.tradeId === e.tradeId && last.price === e.price ? undefined : 'output mismatch';
      },
    });
  }

  try {
    const tardis = (await import('tardis-dev')) as unknown as { normalizeTrades(exchange: string, t: Date): TardisMapper };
    const localTimestamp = new Date(START_MS);
    const mapper = tardis.normalizeTrades('binance', localTimestamp);
    let count = 0;
    let last: { price: number; amount: number; id: string } | undefined;
    candidates.push({
      name: 'tardis-dev normalizeTrades (JSON.parse + canHandle + map)',
      prepare: () => {
        count = 0;
      },
      batch: (from, total) => {
        for (let i = from; i < from + total; i++) {
          const message: unknown = JSON.parse(frames[i % n]!);
          if (!mapper.canHandle(message)) continue;
          for (const t of mapper.map(message, localTimestamp)) {
            last = t;
            count++;
          }
        }
      },
      verify: (handled) => (count === handled && last !== undefined && matches(handled - 1, last.price, last.amount, last.id) ? undefined : `tardis: ${count} trades, last ${JSON.stringify(last)}`),
    });
  } catch (e) {
    unavailable['tardis-dev'] = (e as Error).message;
  }

  try {
    const require = createRequire(import.meta.url);
    const ccxt = require('ccxt') as { pro: { binance: new () => CcxtExchange } };
    const ex = new ccxt.pro.binance();
    ex.setMarkets(
      rec.instruments.map((i) => ({
        id: i.spec.venueSymbol,
        symbol: `${i.spec.base}/${i.spec.quote}`,
        base: i.spec.base,
        quote: i.spec.quote,
        baseId: i.spec.base,
        quoteId: i.spec.quote,
        type: 'spot',
        spot: true,
        active: true,
        precision: { price: Number(i.spec.tickSize), amount: Number(i.spec.lotSize) },
        limits: {},
        info: {},
      })),
    );
    const marketOf = new Map(rec.instruments.map((i) => [i.spec.venueSymbol, ex.market(`${i.spec.base}/${i.spec.quote}`)]));
    const parsed = frames.map((f) => (JSON.parse(f) as { data: { s: string } }).data);
    const marketsOfParsed = parsed.map((d) => marketOf.get(d.s));
    let count = 0;
    let last: CcxtTrade | undefined;
    candidates.push({
      name: 'ccxt parseWsTrade (level 1, pre-parsed objects)',
      prepare: () => {
        count = 0;
      },
      batch: (from, total) => {
        for (let i = from; i < from + total; i++) {
          last = ex.parseWsTrade(parsed[i % n], marketsOfParsed[i % n]);
          count++;
        }
      },
      verify: (handled) => (count === handled && last !== undefined && matches(handled - 1, last.price, last.amount, last.id) ? undefined : 'ccxt L1 output mismatch'),
    });
    let countRaw = 0;
    let lastRaw: CcxtTrade | undefined;
    candidates.push({
      name: 'ccxt JSON.parse + parseWsTrade (level 1 from raw text)',
      prepare: () => {
        countRaw = 0;
      },
      batch: (from, total) => {
        for (let i = from; i < from + total; i++) {
          const d = (JSON.parse(frames[i % n]!) as { data: { s: string } }).data;
          lastRaw = ex.parseWsTrade(d, marketOf.get(d.s));
          countRaw++;
        }
      },
      verify: (handled) => (countRaw === handled && lastRaw !== undefined && matches(handled - 1, lastRaw.price, lastRaw.amount, lastRaw.id) ? undefined : 'ccxt L1 raw output mismatch'),
    });
    const client = ex.client(ex.urls.api.ws.spot);
    candidates.push({
      name: 'ccxt client.onMessage (level 3, full receive path)',
      prepare: () => undefined,
      batch: (from, total) => {
        for (let i = from; i < from + total; i++) client.onMessage({ data: frames[i % n]! });
      },
      verify: (handled) => {
        const e = expectedAt(handled - 1);
        const ins = rec.instruments.find((x) => x.id === e.instrument);
        const cache = ins === undefined ? undefined : ex.trades[`${ins.spec.base}/${ins.spec.quote}`];
        const t = cache?.[cache.length - 1];
        return t !== undefined && matches(handled - 1, t.price, t.amount, t.id) ? undefined : 'ccxt L3: last cached trade differs';
      },
    });
  } catch (e) {
    unavailable['ccxt'] = (e as Error).message;
  }
  return { candidates, unavailable, frames: n };
}

/* Discovery --------------------------------------------------------------------------------------- */

interface Adapter {
  venue: string;
  protocolExport: string;
  protocolFactory: VenueProtocolFactory;
  feed: FeedId;
  venueFactory: SimVenueFactory | undefined;
}

interface Unavailable {
  venue: string;
  reason: string;
}

function loadRegistry(): InstrumentRegistry {
  const doc = parseDocument(readFileSync(join(ROOT, 'config/instruments.yaml'), 'utf8'));
  const parsed = instrumentsSectionSchema.safeParse((doc.toJS() as { instruments?: unknown }).instruments);
  if (!parsed.success) throw new Error(`config/instruments.yaml: ${parsed.error.message}`);
  return InstrumentRegistry.of(parsed.data);
}

async function discover(registry: InstrumentRegistry, only: readonly string[] | undefined): Promise<{ adapters: Adapter[]; unavailable: Unavailable[] }> {
  const adapters: Adapter[] = [];
  const unavailable: Unavailable[] = [];
  const feedsDir = join(ROOT, 'src/feeds');
  const dirs = readdirSync(feedsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'sim').map((d) => d.name);
  for (const venue of dirs.filter((d) => only === undefined || only.includes(d)).sort()) {
    const index = join(feedsDir, venue, 'index.ts');
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(index).href)) as Record<string, unknown>;
    } catch (e) {
      unavailable.push({ venue, reason: `not available: cannot load src/feeds/${venue}/index.ts (${(e as Error).message.split('\n')[0]})` });
      continue;
    }
    const venues = new Map<string, SimVenueFactory>();
    let market: SimMarket;
    try {
      market = newMarket(registry.all.filter((i) => i.venue === venue), 10);
    } catch (e) {
      unavailable.push({ venue, reason: `not available: no simulated market for its instruments (${(e as Error).message})` });
      continue;
    }
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || !/^[a-z][A-Za-z0-9]*SimVenue$/.test(name)) continue;
      try {
        venues.set((value as SimVenueFactory)(market).feed, value as SimVenueFactory);
      } catch {
        // not a factory of this shape
      }
    }
    let found = 0;
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || !/^[a-z][A-Za-z0-9]*Protocol$/.test(name) || name.startsWith('create')) continue;
      let feed: FeedId;
      try {
        feed = (value as VenueProtocolFactory)({ registry, bookDepth: BOOK_DEPTH }).feed;
      } catch {
        continue;
      }
      found++;
      adapters.push({ venue, protocolExport: name, protocolFactory: value as VenueProtocolFactory, feed, venueFactory: venues.get(feed) });
    }
    if (found === 0) unavailable.push({ venue, reason: 'not available: no `<name>Protocol` factory exported from index.ts' });
  }
  return { adapters, unavailable };
}

/* Main -------------------------------------------------------------------------------------------- */

interface PeerReport {
  measured: BatchMeasured[];
  unavailable: Record<string, string>;
  ratios: Record<string, number>;
  ratiosOfMedians: Record<string, number>;
  fastestRawTextPeer: string | undefined;
  batchMessages: number;
  rounds: number;
  distinctFrames: number;
}

async function comparePeers(rec: Recording, registry: InstrumentRegistry, factory: VenueProtocolFactory, settings: Settings): Promise<PeerReport> {
  const { candidates, unavailable, frames } = await peerCandidates(rec, registry, factory, settings.maxMessages);
  const rounds = Math.max(PEER_ROUNDS, settings.runs);
  const measured = measureBatches(candidates, PEER_BATCH, rounds, PEER_WARMUP_ROUNDS);
  const keel = measured[0]!;
  const ratios: Record<string, number> = {};
  const ratiosOfMedians: Record<string, number> = {};
  for (const m of measured.slice(1)) {
    ratios[m.name] = Number(median(m.batchCpuMsgsPerSec.map((r, k) => keel.batchCpuMsgsPerSec[k]! / r)).toFixed(2));
    ratiosOfMedians[m.name] = Number((keel.medianCpuMsgsPerSec / m.medianCpuMsgsPerSec).toFixed(2));
  }
  const rawPeers = measured.slice(1).filter((m) => !m.name.startsWith('JSON.parse') && !m.name.includes('pre-parsed'));
  const fastest = rawPeers.reduce<BatchMeasured | undefined>((best, m) => (best === undefined || m.medianCpuMsgsPerSec > best.medianCpuMsgsPerSec ? m : best), undefined);
  if (fastest !== undefined) {
    ratios['fastest raw-text peer'] = ratios[fastest.name]!;
    ratiosOfMedians['fastest raw-text peer'] = ratiosOfMedians[fastest.name]!;
  }
  return { measured, unavailable, ratios, ratiosOfMedians, fastestRawTextPeer: fastest?.name, batchMessages: PEER_BATCH, rounds, distinctFrames: frames };
}


interface MixResult {
  keel: Measured;
  /** Keel with the JSON decoder path only (Binance: shows what the raw-text scanner buys). */
  keelJsonPath?: Measured | undefined;
}

interface AdapterResult {
  venue: string;
  feed: FeedId;
  protocol: string;
  status: 'ok' | 'not available';
  reason?: string | undefined;
  recordedFrames?: number | undefined;
  recordingDeadLetters?: number | undefined;
  tradesMatchSim?: boolean | 'n/a' | undefined;
  booksMatchSim?: boolean | 'n/a' | undefined;
  mixes: Partial<Record<Mix, MixResult>>;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`;
}

async function main(): Promise<void> {
  const settings = settingsFrom(process.argv.slice(2));
  const loadBefore = loadavg();
  const registry = loadRegistry();
  const { adapters, unavailable } = await discover(registry, settings.venues);
  const results: AdapterResult[] = [];
  // Peers on the same Binance spot trade frames: short batches, round-robin (see measureBatches).
  // Measured right after that recording, while the heap holds nothing else.
  let peers: PeerReport | undefined;

  for (const a of adapters) {
    process.stderr.write(`bench:feeds ${a.venue} ${a.protocolExport}...\n`);
    const base = { venue: a.venue, feed: a.feed, protocol: a.protocolExport, mixes: {} };
    if (a.venueFactory === undefined) {
      results.push({ ...base, status: 'not available', reason: `no simulator venue exported for ${a.feed}` });
      continue;
    }
    let rec: Recording;
    try {
      rec = record(a.protocolFactory, a.venueFactory, registry, a.feed, settings.maxMessages);
    } catch (e) {
      results.push({ ...base, status: 'not available', reason: `recording failed: ${(e as Error).message}` });
      continue;
    }
    const make = (): VenueProtocol => a.protocolFactory({ registry, bookDepth: BOOK_DEPTH });
    const result: AdapterResult = {
      ...base,
      status: 'ok',
      recordedFrames: rec.entries.length,
      recordingDeadLetters: rec.deadLetters,
      tradesMatchSim: tradesMatchSim(rec),
      booksMatchSim: booksMatchSim(rec),
    };
    for (const mix of MIXES) {
      if (countAfter(rec.entries, rec.primeEnd, mix) === 0) continue;
      const candidates = [keelCandidate(`${a.protocolExport} ${mix}`, make, rec, mix, settings.maxMessages)];
      if (a.venue === 'binance') {
        const route = (make() as BinanceProtocol).route;
        candidates.push(keelCandidate(`${a.protocolExport} ${mix} (JSON decoder path only)`, () => new BinanceProtocol({ registry, bookDepth: BOOK_DEPTH, route, fastPath: false }), rec, mix, settings.maxMessages));
      }
      const [keel, json] = measure(candidates, settings);
      result.mixes[mix] = { keel: keel!, keelJsonPath: json };
    }
    results.push(result);
    if (a.protocolExport === 'binanceSpotProtocol' && countAfter(rec.entries, rec.primeEnd, 'trade') > 0) {
      process.stderr.write('bench:feeds peers on binance-spot trades...\n');
      peers = await comparePeers(rec, registry, a.protocolFactory, settings);
    }
  }
  for (const u of unavailable) results.push({ venue: u.venue, feed: u.venue as FeedId, protocol: '-', status: 'not available', reason: u.reason, mixes: {} });

  const loadAfter = loadavg();
  const cpuList = cpus();
  const machine = {
    cpu: cpuList[0]?.model ?? 'unknown',
    cores: cpuList.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1mBefore: Number(loadBefore[0]!.toFixed(2)),
    loadAverage1mAfter: Number(loadAfter[0]!.toFixed(2)),
  };
  const date = new Date().toISOString().slice(0, 10);
  const report = {
    bench: 'feeds',
    date,
    machine,
    settings: { runs: settings.runs, warmupRuns: settings.warmupRuns, maxMessagesPerMix: settings.maxMessages, bookDepth: BOOK_DEPTH },
    note: 'msgs/s: median over runs; "cpu" rates divide by process CPU time, plain rates by wall time. Peer ratios ("ratios"): median over rounds of keel/peer CPU rates measured back to back in the same round; "ratiosOfMedians": keel median / peer median.',
    adapters: results,
    peers: peers === undefined ? undefined : { input: 'binance-spot @trade frames in the combined-stream envelope (same frames for every candidate)', ...peers },
  };

  const lines: string[] = [];
  lines.push(`feeds bench ${date}  ${machine.cpu} x${machine.cores}  node ${machine.node}  load ${machine.loadAverage1mBefore} -> ${machine.loadAverage1mAfter}`);
  lines.push(`runs ${settings.runs} (+${settings.warmupRuns} warm-up), <= ${settings.maxMessages} messages per mix, median reported; cpu = per CPU-second`);
  for (const r of results) {
    if (r.status !== 'ok') {
      lines.push(`${`${r.venue} ${r.protocol}`.padEnd(40)} ${r.reason}`);
      continue;
    }
    lines.push(`${r.venue} ${r.protocol} (${r.feed})  trades=sim:${String(r.tradesMatchSim)} books=sim:${String(r.booksMatchSim)}`);
    for (const mix of MIXES) {
      const m = r.mixes[mix];
      if (m === undefined) {
        lines.push(`  ${mix.padEnd(11)} no such messages on this connection`);
        continue;
      }
      const k = m.keel;
      const json = m.keelJsonPath === undefined ? '' : `   JSON path only: ${fmt(m.keelJsonPath.medianCpuMsgsPerSec)} cpu`;
      lines.push(`  ${mix.padEnd(11)} ${String(k.messages).padStart(6)} msgs  ${fmt(k.medianMsgsPerSec).padStart(10)} wall  ${fmt(k.medianCpuMsgsPerSec).padStart(10)} cpu  ${k.verified ? 'verified' : `NOT VERIFIED: ${k.problem}`}${json}`);
    }
  }
  if (peers !== undefined) {
    lines.push(`peers on the same binance-spot trade frames: ${peers.rounds} rounds x ${peers.batchMessages} messages, round-robin (${peers.distinctFrames} distinct frames):`);
    for (const m of peers.measured) {
      const ratio = peers.ratios[m.name];
      const ratioText = ratio === undefined ? '' : `  keel/peer ${ratio}x paired (${peers.ratiosOfMedians[m.name]}x of medians)`;
      lines.push(`  ${m.name.padEnd(58)} ${fmt(m.medianMsgsPerSec).padStart(10)} wall ${fmt(m.medianCpuMsgsPerSec).padStart(10)} cpu  ${m.verified ? 'verified' : `NOT VERIFIED: ${m.problem}`}${ratioText}`);
    }
    lines.push(`  keel / fastest raw-text peer (${peers.fastestRawTextPeer ?? 'n/a'}): ${peers.ratios['fastest raw-text peer'] ?? 'n/a'}x paired, ${peers.ratiosOfMedians['fastest raw-text peer'] ?? 'n/a'}x of medians`);
    for (const [name, why] of Object.entries(peers.unavailable)) lines.push(`  ${name}: not available (${why})`);
  }
  for (const l of lines) process.stdout.write(`${l}\n`);

  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `feeds-${date}.json`), `${JSON.stringify(report, null, 2)}\n`);
  if (settings.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:feeds failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
