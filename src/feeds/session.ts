/**
 * The connection lifecycle of one feed connection, for any VenueProtocol: connect (with a timeout),
 * subscribe, route frames, keepalives, a stale-stream watchdog, reconnect with exponential backoff
 * and full jitter, proactive reconnect before the venue's scheduled cut, REST snapshots.
 *
 * What counts as data (STYLE practice 5: heartbeats alone do not prove the stream flows):
 *   A text frame is a DATA frame when, while the protocol handles it (`onMessage`), the protocol
 *   emits at least one MarketEvent that is not a `status` event (trade, quote, book, mark, option).
 *   WebSocket pings/pongs, venue heartbeats, subscription acks, pongs to keepalives and frames that
 *   are dead-lettered are transport liveness only. REST snapshot bodies are not stream data either.
 *   If no data frame arrives for `staleAfterMs` while connected (measured from the open), the
 *   session emits `status: stale` for every instrument and reconnects. Feeds with legitimately
 *   quiet streams need a larger per-feed `staleAfterMs` (config `feeds.overrides`).
 *
 * Backoff: consecutive failed connections wait `random() * min(maxMs, baseMs * 2^attempt)` ms
 * (full jitter). The attempt counter resets when a connection that delivered data stayed open for
 * at least `stableAfterMs`. The proactive max-age reconnect waits 0 ms. `io.reconnect` (venue
 * shutdown notice, fatal desync) uses the backoff: a protocol that asks again and again cannot spin.
 *
 * On every close: timers are cancelled, in-flight snapshot requests are abandoned, `protocol.reset()`
 * is called and `status: disconnected` is emitted for every instrument. `close()` is final.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import WebSocket from 'ws';
import type { Instrument } from '../portfolio/instruments.js';
import type { FeedStatus, MarketEvent } from '../risk/events.js';
import { makeDeadLetter } from './dlq.js';
import { feedSessionMetrics, type FeedSessionMetrics, type ReconnectCause } from './metrics.js';
import type { DeadLetterReason, DeadLetterSink, Emit, ProtocolIO, SessionOptions, SessionState, VenueProtocol } from './types.js';

/** Timer functions, injectable so lifecycle tests can run on a fake clock. Handles are opaque. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemTimers: Timers = Object.freeze({
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn: () => void, ms: number): unknown => setInterval(fn, ms),
  clearInterval: (handle: unknown): void => clearInterval(handle as ReturnType<typeof setInterval>),
});

/** The part of `fetch` the session uses (global fetch satisfies it). */
export type FetchLike = (url: string, init: { signal: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Full-jitter exponential backoff delay in whole ms: random(0, min(maxMs, baseMs * 2^attempt)). */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 52));
  return Math.floor(random() * ceiling);
}

export interface ReconnectInfo {
  cause: ReconnectCause;
  /** The backoff attempt this delay was drawn for (0 for the first reconnect after a healthy run). */
  attempt: number;
  delayMs: number;
  detail: string;
}

export interface FeedSessionDeps {
  protocol: VenueProtocol;
  instruments: readonly Instrument[];
  options: SessionOptions;
  emit: Emit;
  deadLetters: DeadLetterSink;
  logger: Logger;
  /** Wall clock in ms (recvTs, ages). Default Date.now. */
  now?: (() => number) | undefined;
  /** Uniform [0, 1) for backoff jitter. Default Math.random. */
  random?: (() => number) | undefined;
  timers?: Timers | undefined;
  registry?: Registry | undefined;
  /** For REST snapshots. Default global fetch. */
  fetch?: FetchLike | undefined;
  /** A connection open this long with data flowing resets the backoff attempt. Default 30 000 ms. */
  stableAfterMs?: number | undefined;
  /** Watchdog period. Default min(1000, staleAfterMs / 4). */
  watchdogIntervalMs?: number | undefined;
  /** Observability hook: called when a reconnect is scheduled. */
  onReconnectScheduled?: ((info: ReconnectInfo) => void) | undefined;
}

export interface FeedSessionState extends SessionState {
  /** Current backoff attempt (consecutive unhealthy connections). */
  attempt: number;
  /** When the last data frame arrived (ms); 0 before any. */
  lastDataAt: number;
  /** When the last WebSocket ping or pong arrived (ms); 0 before any. */
  lastTransportAt: number;
  /** Delay of the last scheduled reconnect (ms), -1 before any. */
  lastReconnectDelayMs: number;
  snapshotsInFlight: number;
}

interface SnapshotRequest {
  abort: AbortController | undefined;
  timer: unknown;
}

/** Grace for a clean close handshake before the socket is terminated. */
const CLOSE_GRACE_MS = 1_000;

export class FeedSession {
  private readonly protocol: VenueProtocol;
  private readonly instruments: readonly Instrument[];
  private readonly options: SessionOptions;
  private readonly emitDownstream: Emit;
  private readonly deadLetters: DeadLetterSink;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: Timers;
  private readonly fetchFn: FetchLike | undefined;
  private readonly metrics: FeedSessionMetrics;
  private readonly stableAfterMs: number;
  private readonly watchdogIntervalMs: number;
  private readonly onReconnectScheduled: ((info: ReconnectInfo) => void) | undefined;
  private readonly io: ProtocolIO;

  private ws: WebSocket | null = null;
  private generation = 0;
  private started = false;
  private closed = false;
  private closePromise: Promise<void> | null = null;
  private resolveClose: (() => void) | null = null;

  private status: FeedStatus = 'disconnected';
  private attempt = 0;
  private connects = 0;
  private reconnects = 0;
  private messages = 0;
  private unflushedMessages = 0;
  private openedAt = 0;
  private lastFrameAt = 0;
  private lastDataAt = 0;
  private lastTransportAt = 0;
  private sawData = false;
  private lastReconnectDelayMs = -1;
  /** Set by whoever terminates the socket, read when the close arrives. */
  private closeCause: { cause: ReconnectCause; detail: string } | null = null;

  private inFrame = false;
  private frameHadData = false;
  private frameRecvTs = 0;

  private connectTimer: unknown = undefined;
  private reconnectTimer: unknown = undefined;
  private maxAgeTimer: unknown = undefined;
  private closeGraceTimer: unknown = undefined;
  private watchdogInterval: unknown = undefined;
  private keepaliveInterval: unknown = undefined;
  private readonly snapshots = new Map<number, SnapshotRequest>();

  constructor(deps: FeedSessionDeps) {
    this.protocol = deps.protocol;
    this.instruments = deps.instruments;
    this.options = deps.options;
    this.emitDownstream = deps.emit;
    this.deadLetters = deps.deadLetters;
    this.logger = deps.logger.child({ feed: deps.protocol.feed });
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? systemTimers;
    this.fetchFn = deps.fetch ?? (typeof globalThis.fetch === 'function' ? (globalThis.fetch as FetchLike) : undefined);
    this.metrics = feedSessionMetrics(deps.registry, deps.protocol.feed);
    this.stableAfterMs = deps.stableAfterMs ?? 30_000;
    this.watchdogIntervalMs = Math.max(1, deps.watchdogIntervalMs ?? Math.min(1_000, Math.floor(deps.options.staleAfterMs / 4)));
    this.onReconnectScheduled = deps.onReconnectScheduled;
    this.io = {
      emit: (event) => this.emitFromProtocol(event),
      send: (text) => this.send(text),
      deadLetter: (reason, detail, raw) => this.deadLetter(reason, detail, raw),
      requestSnapshot: (instrument) => this.requestSnapshot(instrument),
      reconnect: (reason) => this.dropConnection('venue', reason),
    };
  }

  /** Starts connecting. Idempotent; a closed session stays closed; no instruments, no connection. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.instruments.length === 0) {
      // Nothing would ever flow: connecting would only cycle through the stale watchdog.
      this.logger.warn('no instruments for this feed; not connecting');
      return;
    }
    this.connect();
  }

  /** Closes the connection and stops every timer; no reconnect afterwards. Idempotent. */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.abandonSnapshots();
    const ws = this.ws;
    if (ws === null) {
      this.closePromise = Promise.resolve();
      return this.closePromise;
    }
    this.closePromise = new Promise<void>((resolve) => {
      this.resolveClose = resolve;
    });
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, 'client closing');
      this.closeGraceTimer = this.timers.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    } else {
      ws.terminate();
    }
    return this.closePromise;
  }

  state(): FeedSessionState {
    return {
      feed: this.protocol.feed,
      status: this.status,
      connects: this.connects,
      reconnects: this.reconnects,
      lastMessageAt: this.lastFrameAt,
      messages: this.messages,
      attempt: this.attempt,
      lastDataAt: this.lastDataAt,
      lastTransportAt: this.lastTransportAt,
      lastReconnectDelayMs: this.lastReconnectDelayMs,
      snapshotsInFlight: this.snapshots.size,
    };
  }

  /* ------------------------------------------------------------------------------------------ */

  private connect(): void {
    if (this.closed) return;
    this.generation++;
    let url: string;
    try {
      url = this.options.url + this.protocol.path(this.instruments);
    } catch (e) {
      this.logger.error({ err: e }, 'protocol.path failed; not connecting');
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { autoPong: true });
    } catch (e) {
      // An invalid URL: retrying cannot help, but keep the contract (never throw, keep trying).
      this.logger.error({ err: e, url }, 'cannot open WebSocket');
      this.scheduleReconnect({ cause: 'error', detail: (e as Error).message });
      return;
    }
    this.ws = ws;
    this.logger.debug({ url }, 'connecting');
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.ws === ws && ws.readyState === WebSocket.CONNECTING) {
        this.closeCause = { cause: 'connect_timeout', detail: `no open within ${this.options.connectTimeoutMs} ms` };
        ws.terminate();
      }
    }, this.options.connectTimeoutMs);
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => this.onFrame(ws, data, isBinary));
    ws.on('ping', () => {
      if (this.ws === ws) this.lastTransportAt = this.now();
    });
    ws.on('pong', () => {
      if (this.ws === ws) this.lastTransportAt = this.now();
    });
    ws.on('error', (err) => {
      if (this.ws !== ws) return;
      this.logger.warn({ err: err.message }, 'websocket error');
      this.closeCause ??= { cause: 'error', detail: err.message };
    });
    ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
  }

  private onOpen(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.timers.clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.closed) return;
    const t = this.now();
    this.connects++;
    this.openedAt = t;
    this.lastDataAt = 0;
    this.sawData = false;
    this.status = 'connected';
    this.metrics.connected(true);
    this.logger.info({ connects: this.connects, instruments: this.instruments.length }, 'connected');
    this.emitStatus('connected', undefined, t);
    let subscribe: string[] = [];
    try {
      subscribe = this.protocol.subscribeMessages(this.instruments);
    } catch (e) {
      this.logger.error({ err: e }, 'protocol.subscribeMessages failed');
    }
    for (const text of subscribe) ws.send(text);
    this.watchdogInterval = this.timers.setInterval(() => this.watchdog(), this.watchdogIntervalMs);
    const keepalive = this.protocol.keepalive;
    if (keepalive !== undefined && keepalive.intervalMs > 0) {
      this.keepaliveInterval = this.timers.setInterval(() => {
        if (this.ws === ws && ws.readyState === WebSocket.OPEN) ws.send(keepalive.message());
      }, keepalive.intervalMs);
    }
    if (this.options.maxConnectionAgeMs > 0) {
      this.maxAgeTimer = this.timers.setTimeout(
        () => this.dropConnection('max_age', `connection age ${this.options.maxConnectionAgeMs} ms reached`),
        this.options.maxConnectionAgeMs,
      );
    }
  }

  private onFrame(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (this.ws !== ws || this.closed) return;
    const recvTs = this.now();
    this.messages++;
    this.unflushedMessages++;
    this.lastFrameAt = recvTs;
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) {
      this.deadLetters.put(makeDeadLetter(this.protocol.feed, 'unknown_message', `binary frame of ${buffer.length} bytes`, buffer.toString('base64'), recvTs));
      return;
    }
    const text = buffer.toString('utf8');
    this.inFrame = true;
    this.frameHadData = false;
    this.frameRecvTs = recvTs;
    try {
      this.protocol.onMessage(text, recvTs, this.io);
    } catch (e) {
      // A protocol must not throw; if one does, keep the frame and the session alive.
      this.deadLetters.put(makeDeadLetter(this.protocol.feed, 'invalid_field', `adapter threw: ${(e as Error).message}`, text, recvTs));
    } finally {
      this.inFrame = false;
    }
    if (this.frameHadData) {
      this.lastDataAt = recvTs;
      this.sawData = true;
      if (this.status === 'connected') this.status = 'ok';
    }
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    const t = this.now();
    const wasOpen = this.openedAt > 0;
    this.clearConnectionTimers();
    this.abandonSnapshots();
    if (wasOpen) this.metrics.connected(false);
    if (wasOpen && this.sawData && t - this.openedAt >= this.stableAfterMs) this.attempt = 0;
    this.openedAt = 0;
    try {
      this.protocol.reset();
    } catch (e) {
      this.logger.error({ err: e }, 'protocol.reset failed');
    }
    const cause = this.closeCause ?? { cause: wasOpen ? 'closed' : 'error', detail: `close code ${code}${reason ? ` ${reason}` : ''}` };
    this.closeCause = null;
    if (this.status !== 'disconnected') {
      this.status = 'disconnected';
      this.emitStatus('disconnected', this.closed ? 'session closed' : `${cause.cause}: ${cause.detail}`, t);
    }
    if (this.closed) {
      this.logger.info('closed');
      this.resolveClose?.();
      this.resolveClose = null;
      return;
    }
    this.logger.warn({ cause: cause.cause, detail: cause.detail, code }, 'disconnected');
    this.scheduleReconnect(cause);
  }

  private scheduleReconnect(cause: { cause: ReconnectCause; detail: string }): void {
    if (this.closed) return;
    const attempt = this.attempt;
    const delayMs =
      cause.cause === 'max_age' ? 0 : fullJitterDelay(attempt, this.options.backoff.baseMs, this.options.backoff.maxMs, this.random);
    if (cause.cause !== 'max_age') this.attempt++;
    this.reconnects++;
    this.lastReconnectDelayMs = delayMs;
    this.metrics.reconnect(cause.cause);
    this.onReconnectScheduled?.({ cause: cause.cause, attempt, delayMs, detail: cause.detail });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }

  /** Terminates the current socket; the close handler reconnects with the given cause. */
  private dropConnection(cause: ReconnectCause, detail: string): void {
    const ws = this.ws;
    if (ws === null || this.closed) return;
    this.closeCause ??= { cause, detail };
    ws.terminate();
  }

  private watchdog(): void {
    this.metrics.addMessages(this.unflushedMessages);
    this.unflushedMessages = 0;
    const ws = this.ws;
    if (ws === null || this.openedAt === 0 || this.closed) return;
    const t = this.now();
    const since = this.lastDataAt > 0 ? this.lastDataAt : this.openedAt;
    const silentMs = t - since;
    if (silentMs <= this.options.staleAfterMs) return;
    const transport = this.lastTransportAt > since ? `, transport alive ${t - this.lastTransportAt} ms ago` : '';
    const detail = `no data frame for ${silentMs} ms${transport}`;
    this.status = 'stale';
    this.metrics.stale();
    this.logger.warn({ silentMs }, 'stale stream');
    this.emitStatus('stale', detail, t);
    this.dropConnection('stale', detail);
  }

  private clearConnectionTimers(): void {
    const timers = this.timers;
    timers.clearTimeout(this.connectTimer);
    timers.clearTimeout(this.maxAgeTimer);
    timers.clearTimeout(this.closeGraceTimer);
    timers.clearInterval(this.watchdogInterval);
    timers.clearInterval(this.keepaliveInterval);
    this.connectTimer = this.maxAgeTimer = this.closeGraceTimer = this.watchdogInterval = this.keepaliveInterval = undefined;
    this.metrics.addMessages(this.unflushedMessages);
    this.unflushedMessages = 0;
  }

  private emitStatus(status: FeedStatus, reason: string | undefined, t: number): void {
    for (const ins of this.instruments) {
      this.safeEmit({ type: 'status', venue: ins.venue, instrument: ins.id, exchTs: 0, recvTs: t, status, reason });
    }
  }

  private emitFromProtocol(event: MarketEvent): void {
    if (this.inFrame && event.type !== 'status') this.frameHadData = true;
    this.safeEmit(event);
  }

  private safeEmit(event: MarketEvent): void {
    try {
      this.emitDownstream(event);
    } catch (e) {
      this.logger.error({ err: e, type: event.type }, 'downstream emit failed');
    }
  }

  private send(text: string): void {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  private deadLetter(reason: DeadLetterReason, detail: string, raw: string): void {
    const recvTs = this.inFrame ? this.frameRecvTs : this.now();
    this.deadLetters.put(makeDeadLetter(this.protocol.feed, reason, detail, raw, recvTs));
  }

  /* REST snapshots ----------------------------------------------------------------------------- */

  private requestSnapshot(instrument: Instrument): void {
    if (this.closed || this.ws === null) return;
    if (this.snapshots.has(instrument.idx)) return; // one request per instrument at a time
    const restUrl = this.options.restUrl;
    if (restUrl === undefined || this.protocol.snapshotPath === undefined || this.fetchFn === undefined) {
      this.logger.error({ instrument: instrument.id }, 'snapshot requested but no restUrl/snapshotPath/fetch configured');
      return;
    }
    const request: SnapshotRequest = { abort: undefined, timer: undefined };
    this.snapshots.set(instrument.idx, request);
    this.fetchSnapshot(instrument, request, this.generation, 0);
  }

  private fetchSnapshot(instrument: Instrument, request: SnapshotRequest, generation: number, attempt: number): void {
    const fetchFn = this.fetchFn;
    const snapshotPath = this.protocol.snapshotPath;
    if (fetchFn === undefined || snapshotPath === undefined) return;
    let url: string;
    try {
      url = (this.options.restUrl ?? '') + snapshotPath.call(this.protocol, instrument);
    } catch (e) {
      this.logger.error({ err: e, instrument: instrument.id }, 'protocol.snapshotPath failed');
      this.snapshots.delete(instrument.idx);
      return;
    }
    const abort = new AbortController();
    request.abort = abort;
    request.timer = this.timers.setTimeout(() => abort.abort(), this.options.connectTimeoutMs);
    const current = (): boolean => !this.closed && this.generation === generation && this.snapshots.get(instrument.idx) === request;
    fetchFn(url, { signal: abort.signal })
      .then(async (res) => ({ res, body: await res.text() }))
      .then(
        ({ res, body }) => {
          this.timers.clearTimeout(request.timer);
          if (!current()) return;
          if (!res.ok) {
            this.retrySnapshot(instrument, request, generation, attempt, `HTTP ${res.status}`);
            return;
          }
          this.snapshots.delete(instrument.idx);
          this.metrics.snapshot('ok');
          try {
            this.protocol.onSnapshot?.(instrument, body, this.now(), this.io);
          } catch (e) {
            this.deadLetters.put(makeDeadLetter(this.protocol.feed, 'invalid_field', `adapter threw on snapshot: ${(e as Error).message}`, body, this.now()));
          }
        },
        (err: unknown) => {
          this.timers.clearTimeout(request.timer);
          if (!current()) return;
          this.retrySnapshot(instrument, request, generation, attempt, err instanceof Error ? err.message : String(err));
        },
      );
  }

  private retrySnapshot(instrument: Instrument, request: SnapshotRequest, generation: number, attempt: number, detail: string): void {
    this.metrics.snapshot('error');
    const delayMs = fullJitterDelay(attempt, this.options.backoff.baseMs, this.options.backoff.maxMs, this.random);
    this.logger.warn({ instrument: instrument.id, detail, attempt, delayMs }, 'snapshot request failed; retrying');
    request.abort = undefined;
    request.timer = this.timers.setTimeout(() => {
      if (!this.closed && this.generation === generation && this.snapshots.get(instrument.idx) === request) {
        this.fetchSnapshot(instrument, request, generation, attempt + 1);
      }
    }, delayMs);
  }

  private abandonSnapshots(): void {
    for (const request of this.snapshots.values()) {
      this.timers.clearTimeout(request.timer);
      request.abort?.abort();
    }
    this.snapshots.clear();
  }
}
