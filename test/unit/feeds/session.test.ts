import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { CountingDeadLetterSink, MAX_RAW_CHARS, MemoryDeadLetterSink, makeDeadLetter } from '../../../src/feeds/dlq.js';
import { FeedSession, fullJitterDelay, type ReconnectInfo } from '../../../src/feeds/session.js';
import type { ProtocolIO, SessionOptions, VenueProtocol } from '../../../src/feeds/types.js';
import { InstrumentRegistry, type Instrument } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';

const logger = pino({ level: 'silent' });
const registry = InstrumentRegistry.of([
  { venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', tickSize: '0.01', lotSize: '0.00001' },
  { venue: 'binance', venueSymbol: 'ETHUSDT', kind: 'spot', settlementType: 'linear', base: 'ETH', quote: 'USDT', settle: 'USDT', underlying: 'ETH', contractSize: '1', tickSize: '0.01', lotSize: '0.0001' },
]);
const instruments = registry.forFeed('binance-spot');

/**
 * A tiny JSON protocol: {"t":"trade","s":SYM,"p":..,"q":..} is data; {"t":"hb"} is a heartbeat;
 * {"t":"shutdown"} asks for a reconnect; {"t":"snap","s":SYM} asks for a REST snapshot;
 * {"t":"boom"} makes the handler throw; anything else is dead-lettered.
 */
class TestProtocol implements VenueProtocol {
  readonly feed = 'binance-spot' as const;
  readonly venue = 'binance' as const;
  resets = 0;
  snapshots: string[] = [];
  keepalive: { intervalMs: number; message(): string } | undefined;

  constructor(keepaliveMs = 0) {
    this.keepalive = keepaliveMs > 0 ? { intervalMs: keepaliveMs, message: () => 'ping' } : undefined;
  }
  path(ins: readonly Instrument[]): string {
    return `/stream?streams=${ins.map((i) => i.spec.venueSymbol.toLowerCase()).join('/')}`;
  }
  subscribeMessages(ins: readonly Instrument[]): string[] {
    return [JSON.stringify({ op: 'subscribe', args: ins.map((i) => i.spec.venueSymbol) })];
  }
  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    let msg: { t?: string; s?: string; p?: string; q?: string };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      io.deadLetter('invalid_json', 'not JSON', raw);
      return;
    }
    const ins = msg.s === undefined ? undefined : registry.byVenueSymbol('binance-spot', msg.s);
    switch (msg.t) {
      case 'trade':
        if (ins === undefined) return io.deadLetter('unknown_symbol', `symbol ${msg.s}`, raw);
        io.emit({ type: 'trade', venue: 'binance', instrument: ins.id, exchTs: 0, recvTs, price: msg.p ?? '', size: msg.q ?? '', side: 'buy', tradeId: '1' });
        return;
      case 'hb':
        return;
      case 'shutdown':
        io.reconnect('server shutdown notice');
        return;
      case 'snap':
        if (ins !== undefined) io.requestSnapshot(ins);
        return;
      case 'boom':
        throw new Error('adapter bug');
      default:
        io.deadLetter('unknown_message', `type ${msg.t}`, raw);
    }
  }
  onSnapshot(ins: Instrument, body: string, recvTs: number, io: ProtocolIO): void {
    this.snapshots.push(body);
    const parsed = JSON.parse(body) as { bids: [string, string][]; asks: [string, string][] };
    io.emit({ type: 'book', venue: 'binance', instrument: ins.id, exchTs: 0, recvTs, bids: parsed.bids, asks: parsed.asks });
  }
  snapshotPath(ins: Instrument): string {
    return `/api/v3/depth?symbol=${ins.spec.venueSymbol}`;
  }
  reset(): void {
    this.resets++;
  }
}

/** A loopback venue: HTTP for REST and a `ws` server on the same port. */
class LoopbackVenue {
  readonly http: Server;
  readonly wss: WebSocketServer;
  readonly sockets: WebSocket[] = [];
  readonly received: string[] = [];
  readonly paths: string[] = [];
  restHits = 0;
  restFailuresLeft = 0;
  onConnection: (ws: WebSocket) => void = () => {};

  constructor() {
    this.http = createServer((req: IncomingMessage, res: ServerResponse) => {
      this.restHits++;
      if (this.restFailuresLeft > 0) {
        this.restFailuresLeft--;
        res.writeHead(503).end('busy');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, bids: [['100.00', '1.5']], asks: [['100.10', '2']] }));
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (ws, req) => {
      this.sockets.push(ws);
      this.paths.push(req.url ?? '');
      ws.on('message', (data) => this.received.push(data.toString()));
      this.onConnection(ws);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return (this.http.address() as AddressInfo).port;
  }
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function options(port: number, patch: Partial<SessionOptions> = {}): SessionOptions {
  return {
    url: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    backoff: { baseMs: 10, maxMs: 40 },
    staleAfterMs: 5_000,
    maxConnectionAgeMs: 0,
    connectTimeoutMs: 2_000,
    ...patch,
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setup(patch: Partial<SessionOptions> = {}, extra: { random?: () => number; stableAfterMs?: number; keepaliveMs?: number; registry?: Registry } = {}) {
  const venue = new LoopbackVenue();
  const events: MarketEvent[] = [];
  const reconnects: ReconnectInfo[] = [];
  const dlq = new MemoryDeadLetterSink(100);
  const protocol = new TestProtocol(extra.keepaliveMs);
  let session: FeedSession | undefined;
  const make = (port: number) => {
    session = new FeedSession({
      protocol,
      instruments,
      options: options(port, patch),
      emit: (e) => events.push(e),
      deadLetters: dlq,
      logger,
      random: extra.random,
      stableAfterMs: extra.stableAfterMs,
      registry: extra.registry,
      watchdogIntervalMs: 10,
      onReconnectScheduled: (info) => reconnects.push(info),
    });
    cleanups.push(() => session!.close());
    return session;
  };
  cleanups.push(() => venue.close());
  return { venue, events, reconnects, dlq, protocol, make };
}

const statuses = (events: MarketEvent[], instrument = instruments[0]!.id): string[] =>
  events.filter((e) => e.type === 'status' && e.instrument === instrument).map((e) => (e.type === 'status' ? e.status : ''));

describe('fullJitterDelay', () => {
  it('draws uniformly below min(max, base * 2^attempt)', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0.5)).toBe(50);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, 100, 10_000, () => 0.999)).toBe(9_990);
    expect(fullJitterDelay(2_000, 100, 10_000, () => 0)).toBe(0);
  });
});

describe('FeedSession', () => {
  it('connects to url + path, subscribes, emits connected and routes data frames', async () => {
    const { venue, events, make } = setup();
    venue.onConnection = (ws) => ws.send(JSON.stringify({ t: 'trade', s: 'BTCUSDT', p: '100.5', q: '0.01' }));
    const session = make(await venue.listen());
    session.start();
    session.start(); // idempotent
    await waitFor(() => events.some((e) => e.type === 'trade') && venue.received.length === 1);
    expect(venue.paths).toEqual(['/stream?streams=btcusdt/ethusdt']);
    expect(venue.received).toEqual([JSON.stringify({ op: 'subscribe', args: ['BTCUSDT', 'ETHUSDT'] })]);
    expect(statuses(events)).toEqual(['connected']);
    expect(statuses(events, instruments[1]!.id)).toEqual(['connected']);
    const trade = events.find((e) => e.type === 'trade');
    expect(trade).toMatchObject({ instrument: 'binance:BTC/USDT', price: '100.5', size: '0.01' });
    const st = session.state();
    expect(st).toMatchObject({ feed: 'binance-spot', status: 'ok', connects: 1, reconnects: 0, messages: 1 });
  });

  it('does not connect without instruments', async () => {
    const venue = new LoopbackVenue();
    cleanups.push(() => venue.close());
    const port = await venue.listen();
    const session = new FeedSession({ protocol: new TestProtocol(), instruments: [], options: options(port), emit: () => {}, deadLetters: new MemoryDeadLetterSink(), logger });
    session.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(venue.sockets).toHaveLength(0);
    expect(session.state().connects).toBe(0);
    await session.close();
  });

  it('resubscribes after the venue drops the connection, resetting the protocol', async () => {
    const { venue, events, protocol, reconnects, make } = setup();
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.sockets.length === 1 && venue.received.length === 1);
    venue.sockets[0]!.terminate();
    await waitFor(() => venue.received.length === 2);
    expect(venue.received[1]).toBe(venue.received[0]);
    expect(protocol.resets).toBe(1);
    expect(statuses(events)).toEqual(['connected', 'disconnected', 'connected']);
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]!.cause).toBe('closed');
    expect(session.state()).toMatchObject({ connects: 2, reconnects: 1 });
  });

  it('backs off with full jitter: delay = random * min(max, base * 2^attempt)', async () => {
    const { venue, reconnects, make } = setup({ backoff: { baseMs: 8, maxMs: 50 } }, { random: () => 0.5 });
    const port = await venue.listen();
    await venue.close(); // nothing listens: every attempt is refused
    cleanups.pop();
    const session = make(port);
    session.start();
    await waitFor(() => reconnects.length >= 6);
    await session.close();
    expect(reconnects.slice(0, 6).map((r) => [r.attempt, r.delayMs])).toEqual([
      [0, 4],
      [1, 8],
      [2, 16],
      [3, 25],
      [4, 25],
      [5, 25],
    ]);
    expect(reconnects.every((r) => r.cause === 'error')).toBe(true);
  });

  it('resets the backoff attempt after a connection that stayed healthy', async () => {
    const { venue, reconnects, make } = setup({}, { random: () => 0.5, stableAfterMs: 30 });
    let connections = 0;
    venue.onConnection = (ws) => {
      connections++;
      if (connections <= 2) {
        ws.terminate(); // two failures in a row
        return;
      }
      ws.send(JSON.stringify({ t: 'trade', s: 'BTCUSDT', p: '1', q: '1' }));
    };
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => connections === 3 && session.state().status === 'ok');
    await new Promise((r) => setTimeout(r, 60)); // longer than stableAfterMs
    venue.sockets[2]!.terminate();
    await waitFor(() => reconnects.length === 3);
    expect(reconnects.map((r) => r.attempt)).toEqual([0, 1, 0]);
    expect(reconnects.map((r) => r.delayMs)).toEqual([5, 10, 5]);
  });

  it('declares the stream stale when only pings and heartbeats arrive, then reconnects', async () => {
    const { venue, events, reconnects, make } = setup({ staleAfterMs: 150 });
    const pingers: NodeJS.Timeout[] = [];
    venue.onConnection = (ws) => {
      // Transport and venue heartbeats keep coming: they must not hide a dead data stream.
      pingers.push(
        setInterval(() => {
          if (ws.readyState !== ws.OPEN) return;
          ws.ping();
          ws.send(JSON.stringify({ t: 'hb' }));
        }, 20),
      );
    };
    cleanups.push(async () => pingers.forEach((p) => clearInterval(p)));
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => reconnects.some((r) => r.cause === 'stale'));
    expect(statuses(events).slice(0, 3)).toEqual(['connected', 'stale', 'disconnected']);
    const stale = events.find((e) => e.type === 'status' && e.status === 'stale');
    expect(stale?.type === 'status' && stale.reason).toMatch(/no data frame for \d+ ms, transport alive/);
    expect(session.state().lastTransportAt).toBeGreaterThan(0);
    await waitFor(() => venue.sockets.length >= 2);
  });

  it('does not declare a flowing stream stale', async () => {
    // Generous against event-loop stalls on a busy machine: data every 10 ms, stale after 2 s.
    const { venue, events, reconnects, make } = setup({ staleAfterMs: 2_000 });
    const timers: NodeJS.Timeout[] = [];
    venue.onConnection = (ws) => {
      timers.push(setInterval(() => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ t: 'trade', s: 'ETHUSDT', p: '2', q: '1' })), 10));
    };
    cleanups.push(async () => timers.forEach((t) => clearInterval(t)));
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => events.filter((e) => e.type === 'trade').length >= 40);
    await new Promise((r) => setTimeout(r, 2_200)); // past staleAfterMs with data still flowing
    expect(reconnects).toEqual([]);
    expect(session.state().status).toBe('ok');
  });

  it('close() is idempotent, emits disconnected once and stops reconnecting', async () => {
    const { venue, events, make } = setup();
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.sockets.length === 1 && session.state().status === 'connected');
    const first = session.close();
    expect(session.close()).toBe(first);
    await first;
    await session.close();
    session.start(); // a closed session stays closed
    await new Promise((r) => setTimeout(r, 100));
    expect(venue.sockets).toHaveLength(1);
    expect(statuses(events)).toEqual(['connected', 'disconnected']);
    expect(session.state().status).toBe('disconnected');
  });

  it('close() during backoff cancels the pending reconnect', async () => {
    const { venue, reconnects, make } = setup({ backoff: { baseMs: 200, maxMs: 200 } }, { random: () => 0.99 });
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.sockets.length === 1);
    venue.sockets[0]!.terminate();
    await waitFor(() => reconnects.length === 1);
    await session.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(venue.sockets).toHaveLength(1);
  });

  it('reconnects proactively at the maximum connection age without backoff', async () => {
    const { venue, reconnects, make } = setup({ maxConnectionAgeMs: 80 });
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.sockets.length >= 2);
    expect(reconnects[0]).toMatchObject({ cause: 'max_age', delayMs: 0 });
    expect(session.state().attempt).toBe(0);
  });

  it('reconnects when the protocol relays a venue shutdown notice', async () => {
    const { venue, reconnects, make } = setup();
    let n = 0;
    venue.onConnection = (ws) => {
      if (n++ === 0) ws.send(JSON.stringify({ t: 'shutdown' }));
    };
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.sockets.length === 2);
    expect(reconnects[0]).toMatchObject({ cause: 'venue', detail: 'server shutdown notice' });
  });

  it('gives up a connect attempt after connectTimeoutMs', async () => {
    // A TCP server that accepts and never answers the upgrade request.
    const sockets: Socket[] = [];
    const tcp: TcpServer = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => tcp.close(() => r()));
    });
    const { reconnects, make } = setup({ connectTimeoutMs: 60 });
    const session = make((tcp.address() as AddressInfo).port);
    session.start();
    await waitFor(() => reconnects.length >= 1);
    expect(reconnects[0]!.cause).toBe('connect_timeout');
    expect(session.state().connects).toBe(0);
  });

  it('fetches REST snapshots for the protocol, retrying with backoff on errors', async () => {
    const { venue, events, protocol, make } = setup();
    venue.restFailuresLeft = 2;
    venue.onConnection = (ws) => ws.send(JSON.stringify({ t: 'snap', s: 'ETHUSDT' }));
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => protocol.snapshots.length === 1);
    expect(venue.restHits).toBe(3);
    expect(JSON.parse(protocol.snapshots[0]!)).toMatchObject({ path: '/api/v3/depth?symbol=ETHUSDT' });
    const book = events.find((e) => e.type === 'book');
    expect(book).toMatchObject({ instrument: 'binance:ETH/USDT', bids: [['100.00', '1.5']] });
    expect(session.state().snapshotsInFlight).toBe(0);
  });

  it('dead-letters bad frames, survives a throwing adapter and binary frames', async () => {
    const { venue, dlq, events, make } = setup();
    venue.onConnection = (ws) => {
      ws.send('not json');
      ws.send(JSON.stringify({ t: 'boom' }));
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      ws.send(JSON.stringify({ t: 'trade', s: 'NOPE', p: '1', q: '1' }));
      ws.send(JSON.stringify({ t: 'trade', s: 'BTCUSDT', p: '1', q: '1' }));
    };
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => events.some((e) => e.type === 'trade'));
    expect(dlq.letters().map((l) => [l.reason, l.detail])).toEqual([
      ['invalid_json', 'not JSON'],
      ['invalid_field', 'adapter threw: adapter bug'],
      ['unknown_message', 'binary frame of 3 bytes'],
      ['unknown_symbol', 'symbol NOPE'],
    ]);
    expect(dlq.letters().every((l) => l.feed === 'binance-spot' && l.recvTs > 0)).toBe(true);
    expect(session.state().messages).toBe(5);
  });

  it('sends the protocol keepalive on its interval and counts metrics', async () => {
    const metrics = new Registry();
    const { venue, make } = setup({}, { keepaliveMs: 20, registry: metrics });
    venue.onConnection = (ws) => ws.send(JSON.stringify({ t: 'trade', s: 'BTCUSDT', p: '1', q: '1' }));
    const session = make(await venue.listen());
    session.start();
    await waitFor(() => venue.received.filter((m) => m === 'ping').length >= 3);
    let metricsText = '';
    await waitFor(() => {
      void metrics.metrics().then((t) => (metricsText = t));
      return /keel_feed_messages_total\{feed="binance-spot"\} 1\n/.test(metricsText);
    });
    expect(metricsText).toMatch(/keel_feed_connected\{feed="binance-spot"\} 1/);
  });
});

describe('dead-letter sinks', () => {
  const letter = (feed: 'okx' | 'kraken', reason: 'invalid_json' | 'unknown_message', n: number) =>
    makeDeadLetter(feed, reason, `frame ${n}`, `raw ${n}`, 1_000 + n);

  it('counts per feed and reason, exports the metric and forwards every letter', async () => {
    const metrics = new Registry();
    const memory = new MemoryDeadLetterSink(10);
    const sink = new CountingDeadLetterSink({ logger, registry: metrics, forward: memory, now: () => 0 });
    for (let i = 0; i < 5; i++) sink.put(letter('okx', 'invalid_json', i));
    sink.put(letter('kraken', 'unknown_message', 9));
    expect(sink.count('okx', 'invalid_json')).toBe(5);
    expect(sink.count('okx')).toBe(5);
    expect(sink.count('kraken', 'invalid_json')).toBe(0);
    expect(sink.total).toBe(6);
    expect(sink.snapshot()).toEqual([
      { feed: 'kraken', reason: 'unknown_message', count: 1 },
      { feed: 'okx', reason: 'invalid_json', count: 5 },
    ]);
    expect(memory.size).toBe(6);
    const text = await metrics.metrics();
    expect(text).toContain('keel_feed_dead_letters_total{feed="okx",reason="invalid_json"} 5');
    // A second sink on the same registry shares the metric instead of failing to register it.
    const again = new CountingDeadLetterSink({ logger, registry: metrics });
    again.put(letter('okx', 'invalid_json', 6));
    expect(await metrics.metrics()).toContain('keel_feed_dead_letters_total{feed="okx",reason="invalid_json"} 6');
  });

  it('never throws when the forward sink does', () => {
    const sink = new CountingDeadLetterSink({
      logger,
      forward: {
        put() {
          throw new Error('bus down');
        },
      },
    });
    expect(() => sink.put(letter('okx', 'invalid_json', 1))).not.toThrow();
    expect(sink.total).toBe(1);
  });

  it('keeps the newest letters in a bounded ring, oldest first', () => {
    const ring = new MemoryDeadLetterSink(3);
    for (let i = 0; i < 5; i++) ring.put(letter('okx', 'invalid_json', i));
    expect(ring.letters().map((l) => l.detail)).toEqual(['frame 2', 'frame 3', 'frame 4']);
    expect([ring.size, ring.dropped]).toEqual([3, 2]);
    ring.clear();
    expect(ring.letters()).toEqual([]);
  });

  it('truncates raw frames to 64 KiB', () => {
    expect(makeDeadLetter('okx', 'invalid_json', 'big', 'x'.repeat(MAX_RAW_CHARS + 10), 1).raw).toHaveLength(MAX_RAW_CHARS);
  });
});
