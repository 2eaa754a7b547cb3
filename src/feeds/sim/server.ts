/**
 * The exchange simulator's server: one node:http server on one port serving every simulated venue.
 *
 * Routing by path prefix `/<feedId>`:
 *   ws://host:port/<feedId><venue path>    WebSocket, handed to that feed's SimVenue
 *   http://host:port/<feedId><venue path>  REST GET, to `venue.handleRest` (404 when undefined)
 * The venue sees URLs with the prefix removed (`SimClient.url.pathname` is `/ws/api/v2`,
 * `/stream`...), so a live base URL `wss://stream.binance.com:9443` and the simulator base
 * `ws://127.0.0.1:8765/binance-spot` take the same protocol path.
 *
 * Control endpoints: `POST /_sim/fault` (JSON SimFault) injects a fault; `GET /_sim/stats` reports
 * clients and frames per feed.
 *
 * Driver: every `stepMs` the market advances by the real time elapsed and generates what is due
 * (the market caps one step's burst), and each tick goes to the venue of its instrument's feed.
 * Client sockets are corked for the step, so a step's frames to one client leave in one write.
 * Data frames a venue sends while handling a tick are "data"; frames sent from `onConnect`,
 * `onClientMessage` and `heartbeat` (acks, pongs, snapshots, heartbeats) are "control".
 *
 * Faults: drop (terminate the feed's sockets), stall (withhold the feed's data frames for `ms`;
 * sockets, WebSocket pings and venue heartbeats continue, and the venue keeps sequencing, so the
 * client sees a gap when data resumes), garbage (N non-protocol frames: random binary bytes,
 * truncated JSON, random text), gap / checksum (the venue's own injectors), shutdown (the venue's
 * notice, then a close with 1001 after `shutdownGraceMs`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { FEED_IDS, type FeedId, type Instrument } from '../../portfolio/instruments.js';
import { simServerMetrics, type SimServerMetrics } from '../metrics.js';
import { systemTimers, type Timers } from '../session.js';
import { SeededRandom } from './random.js';
import type { SimClient, SimFault, SimMarketView, SimTick, SimVenue, SimVenueFactory } from './types.js';

/** What the server needs from the market model (SimMarket implements it). */
export interface SimMarketDriver extends SimMarketView {
  /** Advances the virtual clock by `dtMs` and emits the ticks due in that interval. */
  step(dtMs: number, emit: (tick: SimTick) => void): void;
}

export interface SimServerOptions {
  market: SimMarketDriver;
  venues: ReadonlyMap<FeedId, SimVenueFactory>;
  logger: Logger;
  host: string;
  /** 0 = an ephemeral port (read `port` after `start`). */
  port: number;
  /** Driver period in ms (1-5 keeps batches small at high rates). Default 2. */
  stepMs?: number | undefined;
  /** WebSocket-level ping interval per feed in ms; absent or 0 = this venue's server does not ping. */
  wsPingIntervalMs?: Partial<Record<FeedId, number>> | undefined;
  /** A client with more than this many bytes queued is dropped (slow consumer). Default 64 MiB. */
  maxBufferedBytes?: number | undefined;
  /** Delay between a venue's shutdown notice and the close. Default 500 ms. */
  shutdownGraceMs?: number | undefined;
  /** Source of garbage bytes. Default seeded with 1. */
  random?: SeededRandom | undefined;
  registry?: Registry | undefined;
  /** Monotonic clock in ms for the driver and stalls. Default performance.now. */
  now?: (() => number) | undefined;
  timers?: Timers | undefined;
  /** Drive the market on a timer (default). False: only `advance()` steps it (tests, benches). */
  autoDrive?: boolean | undefined;
}

export type FaultResult = { ok: true } | { ok: false; error: string };

export interface SimFeedStats {
  clients: number;
  /** Frames sent (data and control). */
  sent: number;
  /** Data frames withheld by a stall or lost to a dropped slow client. */
  withheld: number;
  stalled: boolean;
}

export interface SimServerStats {
  uptimeMs: number;
  ticks: number;
  feeds: Partial<Record<FeedId, SimFeedStats>>;
}

const FAULT_BODY_LIMIT = 64 * 1024;

export const simFaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('drop'), feed: z.enum(FEED_IDS) }),
  z.strictObject({ kind: z.literal('stall'), feed: z.enum(FEED_IDS), ms: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('garbage'), feed: z.enum(FEED_IDS), frames: z.number().int().positive().max(10_000) }),
  z.strictObject({ kind: z.literal('gap'), feed: z.enum(FEED_IDS), instrument: z.string().min(1) }),
  z.strictObject({ kind: z.literal('checksum'), feed: z.enum(FEED_IDS), instrument: z.string().min(1) }),
  z.strictObject({ kind: z.literal('shutdown'), feed: z.enum(FEED_IDS) }),
]) satisfies z.ZodType<SimFault>;

class Client implements SimClient {
  constructor(
    readonly id: number,
    readonly url: URL,
    readonly ws: WebSocket,
    /** The upgraded TCP socket, corked during a driver step so a step's frames leave in one write. */
    readonly socket: Duplex,
    private readonly host: FeedHost,
    private readonly server: SimServer,
  ) {}

  send(text: string): void {
    this.server.deliver(this, this.host, text);
  }

  close(code?: number, reason?: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }
}

interface FeedHost {
  readonly feed: FeedId;
  readonly venue: SimVenue;
  readonly clients: Set<Client>;
  stalledUntil: number;
  stalled: boolean;
  sent: number;
  withheld: number;
  unflushedSent: number;
  unflushedWithheld: number;
  pingTimer: unknown;
  heartbeatTimer: unknown;
}

export class SimServer {
  private readonly market: SimMarketDriver;
  private readonly logger: Logger;
  private readonly options: SimServerOptions;
  private readonly hosts = new Map<FeedId, FeedHost>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly random: SeededRandom;
  private readonly metrics: SimServerMetrics;
  private readonly stepMs: number;
  private readonly maxBufferedBytes: number;
  private readonly shutdownGraceMs: number;
  private readonly pendingTimers = new Set<unknown>();

  private boundPort = 0;
  private nextClientId = 1;
  private driverTimer: unknown = undefined;
  private statsTimer: unknown = undefined;
  private lastStepAt = 0;
  private startedAt = 0;
  private tickCount = 0;
  /** True while ticks are being fanned out: frames sent now are data frames. */
  private inTick = false;
  private stopping: Promise<void> | null = null;
  private readonly fanOut = (tick: SimTick): void => this.onTick(tick);

  constructor(options: SimServerOptions) {
    this.options = options;
    this.market = options.market;
    this.logger = options.logger.child({ component: 'sim' });
    this.now = options.now ?? (() => performance.now());
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? new SeededRandom(1, 0xbad);
    this.metrics = simServerMetrics(options.registry);
    this.stepMs = Math.max(1, options.stepMs ?? 2);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.shutdownGraceMs = options.shutdownGraceMs ?? 500;
    for (const [feed, factory] of options.venues) {
      const venue = factory(this.market);
      this.hosts.set(feed, {
        feed,
        venue,
        clients: new Set(),
        stalledUntil: 0,
        stalled: false,
        sent: 0,
        withheld: 0,
        unflushedSent: 0,
        unflushedWithheld: 0,
        pingTimer: undefined,
        heartbeatTimer: undefined,
      });
    }
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 1024 * 1024 });
    this.http = createServer((req, res) => this.onRequest(req, res));
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Listens and starts the driver; resolves with the bound port. */
  async start(): Promise<{ port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    this.boundPort = (this.http.address() as AddressInfo).port;
    this.startedAt = this.now();
    this.lastStepAt = this.startedAt;
    for (const host of this.hosts.values()) this.startFeedTimers(host);
    if (this.options.autoDrive !== false) this.driverTimer = this.timers.setInterval(() => this.drive(), this.stepMs);
    this.statsTimer = this.timers.setInterval(() => this.flushMetrics(), 1_000);
    this.logger.info({ port: this.boundPort, host: this.options.host, feeds: [...this.hosts.keys()] }, 'simulator listening');
    return { port: this.boundPort };
  }

  get port(): number {
    return this.boundPort;
  }

  /** WebSocket base URL of a feed, to which the protocol path is appended. */
  url(feed: FeedId): string {
    return `ws://${this.options.host}:${this.boundPort}/${feed}`;
  }

  /** REST base URL of a feed. */
  restUrl(feed: FeedId): string {
    return `http://${this.options.host}:${this.boundPort}/${feed}`;
  }

  /** Advances the market by `dtMs` and fans the ticks out (what the driver does each period). */
  advance(dtMs: number): void {
    const t = this.now();
    const corked: Duplex[] = this.corked;
    for (const host of this.hosts.values()) {
      host.stalled = t < host.stalledUntil;
      for (const client of host.clients) {
        if (client.socket.writable) {
          client.socket.cork();
          corked.push(client.socket);
        }
      }
    }
    this.inTick = true;
    try {
      this.market.step(dtMs, this.fanOut);
    } catch (e) {
      this.logger.error({ err: e }, 'market step failed');
    } finally {
      this.inTick = false;
      for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
      corked.length = 0;
    }
  }

  private readonly corked: Duplex[] = [];

  inject(fault: SimFault): FaultResult {
    const parsed = simFaultSchema.safeParse(fault);
    if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
    const f = parsed.data;
    const host = this.hosts.get(f.feed);
    if (host === undefined) return { ok: false, error: `no simulated venue for feed ${f.feed}` };
    this.metrics.fault(f.feed, f.kind);
    this.logger.info({ fault: f }, 'fault injected');
    switch (f.kind) {
      case 'drop':
        for (const client of host.clients) client.ws.terminate();
        return { ok: true };
      case 'stall':
        host.stalledUntil = Math.max(host.stalledUntil, this.now() + f.ms);
        host.stalled = true;
        return { ok: true };
      case 'garbage':
        for (const client of host.clients) this.sendGarbage(client, host, f.frames);
        return { ok: true };
      case 'gap':
      case 'checksum': {
        const instrument = this.findInstrument(f.feed, f.instrument);
        if (instrument === undefined) return { ok: false, error: `no instrument ${f.instrument} on feed ${f.feed}` };
        if (f.kind === 'gap') {
          return this.guard(host, 'injectGap', () => host.venue.injectGap(instrument));
        }
        const inject = host.venue.injectChecksumMismatch;
        if (inject === undefined) return { ok: false, error: `feed ${f.feed} has no checksum to corrupt` };
        return this.guard(host, 'injectChecksumMismatch', () => inject.call(host.venue, instrument));
      }
      case 'shutdown': {
        for (const client of host.clients) {
          const announce = host.venue.announceShutdown;
          if (announce !== undefined) this.guard(host, 'announceShutdown', () => announce.call(host.venue, client));
        }
        const clients = [...host.clients];
        this.later(() => {
          for (const client of clients) client.close(1001, 'server shutdown');
        }, this.shutdownGraceMs);
        return { ok: true };
      }
    }
  }

  stats(): SimServerStats {
    const feeds: Partial<Record<FeedId, SimFeedStats>> = {};
    const t = this.now();
    for (const host of this.hosts.values()) {
      feeds[host.feed] = { clients: host.clients.size, sent: host.sent, withheld: host.withheld, stalled: t < host.stalledUntil };
    }
    return { uptimeMs: this.startedAt === 0 ? 0 : t - this.startedAt, ticks: this.tickCount, feeds };
  }

  /** Closes every socket and the port. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.timers.clearInterval(this.driverTimer);
    this.timers.clearInterval(this.statsTimer);
    for (const handle of this.pendingTimers) this.timers.clearTimeout(handle);
    this.pendingTimers.clear();
    for (const host of this.hosts.values()) {
      this.timers.clearInterval(host.pingTimer);
      this.timers.clearInterval(host.heartbeatTimer);
      for (const client of host.clients) client.ws.terminate();
    }
    this.flushMetrics();
    this.stopping = new Promise<void>((resolve) => {
      this.wss.close();
      if (!this.http.listening) {
        resolve();
        return;
      }
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    void this.stopping.then(() => this.logger.info('simulator stopped'));
    return this.stopping;
  }

  /* Frames ------------------------------------------------------------------------------------- */

  /** Every frame a venue sends goes through here (see Client.send). */
  deliver(client: Client, host: FeedHost, text: string): void {
    const ws = client.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.inTick && host.stalled) {
      host.withheld++;
      host.unflushedWithheld++;
      return;
    }
    if (ws.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn({ feed: host.feed, client: client.id, buffered: ws.bufferedAmount }, 'slow client dropped');
      host.withheld++;
      host.unflushedWithheld++;
      ws.terminate();
      return;
    }
    ws.send(text);
    host.sent++;
    host.unflushedSent++;
  }

  private onTick(tick: SimTick): void {
    this.tickCount++;
    const host = this.hosts.get(tick.instrument.feed);
    if (host === undefined) return;
    try {
      host.venue.onTick(tick);
    } catch (e) {
      this.logger.error({ err: e, feed: host.feed, kind: tick.kind, instrument: tick.instrument.id }, 'venue onTick failed');
    }
  }

  private drive(): void {
    const t = this.now();
    const dt = t - this.lastStepAt;
    this.lastStepAt = t;
    if (dt > 0) this.advance(dt);
  }

  private sendGarbage(client: Client, host: FeedHost, frames: number): void {
    const ws = client.ws;
    for (let i = 0; i < frames && ws.readyState === WebSocket.OPEN; i++) {
      const variant = i % 3;
      if (variant === 0) {
        const bytes = Buffer.allocUnsafe(1 + this.random.int(64));
        for (let k = 0; k < bytes.length; k++) bytes[k] = this.random.int(256);
        ws.send(bytes, { binary: true });
      } else if (variant === 1) {
        const json = JSON.stringify({ garbage: true, seq: i, data: [this.random.next(), 'x'.repeat(1 + this.random.int(16))] });
        ws.send(json.slice(0, 1 + this.random.int(json.length - 1)));
      } else {
        let text = '';
        const n = 1 + this.random.int(48);
        for (let k = 0; k < n; k++) text += String.fromCharCode(32 + this.random.int(95));
        ws.send(text);
      }
      host.sent++;
      host.unflushedSent++;
    }
  }

  private findInstrument(feed: FeedId, name: string): Instrument | undefined {
    for (const ins of this.market.instruments) {
      if (ins.feed === feed && (ins.id === name || ins.spec.venueSymbol === name)) return ins;
    }
    return undefined;
  }

  private guard(host: FeedHost, what: string, fn: () => void): FaultResult {
    try {
      fn();
      return { ok: true };
    } catch (e) {
      this.logger.error({ err: e, feed: host.feed }, `venue ${what} failed`);
      return { ok: false, error: `venue ${what} failed: ${(e as Error).message}` };
    }
  }

  private later(fn: () => void, ms: number): void {
    const handle = this.timers.setTimeout(() => {
      this.pendingTimers.delete(handle);
      fn();
    }, ms);
    this.pendingTimers.add(handle);
  }

  private startFeedTimers(host: FeedHost): void {
    const pingMs = this.options.wsPingIntervalMs?.[host.feed] ?? 0;
    if (pingMs > 0) {
      host.pingTimer = this.timers.setInterval(() => {
        for (const client of host.clients) if (client.ws.readyState === WebSocket.OPEN) client.ws.ping();
      }, pingMs);
    }
    const heartbeat = host.venue.heartbeat;
    const heartbeatMs = host.venue.heartbeatMs ?? 0;
    if (heartbeat !== undefined && heartbeatMs > 0) {
      host.heartbeatTimer = this.timers.setInterval(() => {
        for (const client of host.clients) this.guard(host, 'heartbeat', () => heartbeat.call(host.venue, client));
      }, heartbeatMs);
    }
  }

  private flushMetrics(): void {
    for (const host of this.hosts.values()) {
      this.metrics.addSent(host.feed, host.unflushedSent);
      this.metrics.addDropped(host.feed, host.unflushedWithheld);
      host.unflushedSent = 0;
      host.unflushedWithheld = 0;
    }
  }

  /* HTTP and upgrades ---------------------------------------------------------------------------- */

  /** Splits `/<feed>/rest?query` into the host and the venue-relative URL. */
  private route(rawUrl: string | undefined): { host: FeedHost; url: URL } | undefined {
    const full = new URL(rawUrl ?? '/', `http://${this.options.host}`);
    const path = full.pathname;
    const slash = path.indexOf('/', 1);
    const feed = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const host = this.hosts.get(feed as FeedId);
    if (host === undefined) return undefined;
    const rest = slash < 0 ? '/' : path.slice(slash);
    return { host, url: new URL(`${rest}${full.search}`, `http://${this.options.host}:${this.boundPort}`) };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let target: { host: FeedHost; url: URL } | undefined;
    try {
      target = this.route(req.url);
    } catch {
      target = undefined;
    }
    if (target === undefined || this.stopping !== null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const { host, url } = target;
    const wsUrl = new URL(`${url.pathname}${url.search}`, `ws://${this.options.host}:${this.boundPort}`);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(host, ws, wsUrl, socket));
  }

  private onConnection(host: FeedHost, ws: WebSocket, url: URL, socket: Duplex): void {
    const client = new Client(this.nextClientId++, url, ws, socket, host, this);
    host.clients.add(client);
    this.metrics.clients(host.feed, 1);
    ws.on('error', (err) => this.logger.debug({ err: err.message, feed: host.feed, client: client.id }, 'client socket error'));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return; // no venue protocol here takes binary client frames
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      this.guard(host, 'onClientMessage', () => host.venue.onClientMessage(client, text));
    });
    ws.on('close', () => {
      if (!host.clients.delete(client)) return;
      this.metrics.clients(host.feed, -1);
      this.guard(host, 'onClose', () => host.venue.onClose(client));
    });
    this.guard(host, 'onConnect', () => host.venue.onConnect(client));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/_sim/fault') {
      if (req.method !== 'POST') return reply(res, 405, { ok: false, error: 'use POST' });
      readBody(req, FAULT_BODY_LIMIT).then(
        (body) => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            return reply(res, 400, { ok: false, error: 'body is not JSON' });
          }
          const result = this.inject(json as SimFault);
          reply(res, result.ok ? 200 : 400, result);
        },
        (err: Error) => reply(res, 413, { ok: false, error: err.message }),
      );
      return;
    }
    if (path === '/_sim/stats') {
      if (req.method !== 'GET') return reply(res, 405, { ok: false, error: 'use GET' });
      return reply(res, 200, this.stats());
    }
    if (req.method !== 'GET') return reply(res, 405, { ok: false, error: 'only GET is simulated' });
    let target: { host: FeedHost; url: URL } | undefined;
    try {
      target = this.route(req.url);
    } catch {
      target = undefined;
    }
    if (target === undefined) return reply(res, 404, { ok: false, error: 'no such feed' });
    const handle = target.host.venue.handleRest;
    let answer: { status: number; body: string } | undefined;
    try {
      answer = handle?.call(target.host.venue, target.url);
    } catch (e) {
      this.logger.error({ err: e, feed: target.host.feed }, 'venue handleRest failed');
      return reply(res, 500, { ok: false, error: 'venue failed' });
    }
    if (answer === undefined) return reply(res, 404, { ok: false, error: 'not simulated' });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
