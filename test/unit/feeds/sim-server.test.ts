import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadCalibration, runSim } from '../../../src/cli/commands/sim.js';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimServer, type SimMarketDriver } from '../../../src/feeds/sim/server.js';
import type { SimBook, SimClient, SimMarketView, SimTick, SimVenue, SimVenueFactory } from '../../../src/feeds/sim/types.js';
import { InstrumentRegistry, type FeedId, type Instrument } from '../../../src/portfolio/instruments.js';

const logger = pino({ level: 'silent' });
const registry = InstrumentRegistry.of([
  { venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', tickSize: '0.01', lotSize: '0.00001' },
  { venue: 'kraken', venueSymbol: 'BTC/USD', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USD', settle: 'USD', underlying: 'BTC', contractSize: '1', tickSize: '0.1', lotSize: '0.00000001' },
]);

/** One trade tick per instrument per step; enough to observe fan-out. */
class FakeMarket implements SimMarketDriver {
  readonly instruments: readonly Instrument[] = registry.all;
  private t = 1_700_000_000_000;
  private tradeId = 0;
  book(): SimBook {
    return { bids: [['100', '1']], asks: [['101', '1']] };
  }
  mid(): string {
    return '100.5';
  }
  now(): number {
    return this.t;
  }
  step(dtMs: number, emit: (tick: SimTick) => void): void {
    this.t += dtMs;
    for (const instrument of this.instruments) {
      emit({ kind: 'trade', instrument, ts: this.t, price: '100', size: '1', side: 'buy', tradeId: ++this.tradeId });
    }
  }
}

/** Echo venue: greets, echoes client frames, forwards ticks as JSON, marks injected faults. */
class EchoVenue implements SimVenue {
  readonly clients = new Set<SimClient>();
  readonly heartbeatMs = 20;
  readonly seenUrls: string[] = [];
  constructor(
    readonly feed: FeedId,
    private readonly market: SimMarketView,
  ) {}
  onConnect(client: SimClient): void {
    this.clients.add(client);
    this.seenUrls.push(`${client.url.pathname}${client.url.search}`);
    client.send(JSON.stringify({ hello: client.id }));
  }
  onClientMessage(client: SimClient, text: string): void {
    client.send(`echo:${text}`);
  }
  onClose(client: SimClient): void {
    this.clients.delete(client);
  }
  onTick(tick: SimTick): void {
    for (const c of this.clients) c.send(JSON.stringify({ tick: tick.kind, id: tick.instrument.id }));
  }
  heartbeat(client: SimClient): void {
    client.send('hb');
  }
  handleRest(url: URL): { status: number; body: string } | undefined {
    if (url.pathname !== '/api/depth') return undefined;
    return { status: 200, body: JSON.stringify({ symbol: url.searchParams.get('symbol'), mid: this.market.mid(this.market.instruments[0]!) }) };
  }
  injectGap(instrument: Instrument): void {
    for (const c of this.clients) c.send(`gap:${instrument.id}`);
  }
  injectChecksumMismatch(instrument: Instrument): void {
    for (const c of this.clients) c.send(`checksum:${instrument.id}`);
  }
  announceShutdown(client: SimClient): void {
    client.send('shutdown-notice');
  }
}

const servers: SimServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const s of servers.splice(0)) await s.stop();
});

async function startServer(extra: { ping?: number } = {}) {
  const venues = new Map<FeedId, EchoVenue>();
  const factories = new Map<FeedId, SimVenueFactory>();
  for (const feed of ['binance-spot', 'kraken'] as const) {
    factories.set(feed, (market) => {
      const v = new EchoVenue(feed, market);
      venues.set(feed, v);
      return v;
    });
  }
  const server = new SimServer({
    market: new FakeMarket(),
    venues: factories,
    logger,
    host: '127.0.0.1',
    port: 0,
    autoDrive: false,
    shutdownGraceMs: 20,
    wsPingIntervalMs: extra.ping === undefined ? {} : { 'binance-spot': extra.ping },
  });
  servers.push(server);
  const { port } = await server.start();
  return { server, port, venues };
}

interface Conn {
  ws: WebSocket;
  frames: (string | Buffer)[];
  binary: number;
  pings: number;
  closed: { code: number } | null;
}

async function connect(url: string): Promise<Conn> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const conn: Conn = { ws, frames: [], binary: 0, pings: 0, closed: null };
  ws.on('message', (data, isBinary) => {
    if (isBinary) conn.binary++;
    conn.frames.push(isBinary ? (data as Buffer) : data.toString());
  });
  ws.on('ping', () => conn.pings++);
  ws.on('close', (code) => (conn.closed = { code }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor(() => conn.frames.length >= 1); // the greeting
  return conn;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const texts = (c: Conn): string[] => c.frames.filter((f): f is string => typeof f === 'string');

describe('SimServer', () => {
  it('routes WebSocket upgrades by feed prefix and hands the venue the relative URL', async () => {
    const { server, port, venues } = await startServer();
    expect(server.port).toBe(port);
    expect(server.url('binance-spot')).toBe(`ws://127.0.0.1:${port}/binance-spot`);
    const c = await connect(`${server.url('binance-spot')}/stream?streams=btcusdt@trade`);
    expect(venues.get('binance-spot')!.seenUrls).toEqual(['/stream?streams=btcusdt@trade']);
    c.ws.send('subscribe');
    await waitFor(() => texts(c).includes('echo:subscribe'));
    const k = await connect(server.url('kraken'));
    expect(venues.get('kraken')!.seenUrls).toEqual(['/']);
    expect(texts(k)[0]).toBe(JSON.stringify({ hello: 2 }));
    await expect(connect(`ws://127.0.0.1:${port}/okx/ws/v5/public`)).rejects.toThrow(/404/);
  });

  it('answers REST GETs through the venue and 404s what it does not simulate', async () => {
    const { server } = await startServer();
    const ok = await fetch(`${server.restUrl('binance-spot')}/api/depth?symbol=BTCUSDT`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ symbol: 'BTCUSDT', mid: '100.5' });
    expect((await fetch(`${server.restUrl('binance-spot')}/api/other`)).status).toBe(404);
    expect((await fetch(`${server.restUrl('okx')}/api/depth`)).status).toBe(404);
  });

  it('fans market ticks out to the venue of each instrument feed', async () => {
    const { server } = await startServer();
    const b = await connect(server.url('binance-spot'));
    const k = await connect(server.url('kraken'));
    server.advance(5);
    server.advance(5);
    await waitFor(() => texts(b).filter((t) => t.includes('"tick"')).length === 2 && texts(k).filter((t) => t.includes('"tick"')).length === 2);
    expect(texts(b).filter((t) => t.includes('"tick"'))).toEqual([
      JSON.stringify({ tick: 'trade', id: 'binance:BTC/USDT' }),
      JSON.stringify({ tick: 'trade', id: 'binance:BTC/USDT' }),
    ]);
    expect(server.stats().ticks).toBe(4);
  });

  it('drop terminates only that feed', async () => {
    const { server } = await startServer();
    const b = await connect(server.url('binance-spot'));
    const k = await connect(server.url('kraken'));
    expect(server.inject({ kind: 'drop', feed: 'binance-spot' })).toEqual({ ok: true });
    await waitFor(() => b.closed !== null);
    expect(b.closed!.code).toBe(1006);
    expect(k.closed).toBeNull();
  });

  it('stall withholds data frames while heartbeats continue, then data resumes', async () => {
    const { server } = await startServer();
    const b = await connect(server.url('binance-spot'));
    expect(server.inject({ kind: 'stall', feed: 'binance-spot', ms: 150 })).toEqual({ ok: true });
    const hbBefore = texts(b).filter((t) => t === 'hb').length;
    server.advance(5);
    await waitFor(() => texts(b).filter((t) => t === 'hb').length >= hbBefore + 2);
    expect(texts(b).some((t) => t.includes('"tick"'))).toBe(false);
    expect(server.stats().feeds['binance-spot']).toMatchObject({ stalled: true, withheld: 1 });
    await waitFor(() => !server.stats().feeds['binance-spot']!.stalled);
    server.advance(5);
    await waitFor(() => texts(b).some((t) => t.includes('"tick"')));
    expect(b.closed).toBeNull();
  });

  it('garbage sends the requested number of non-protocol frames', async () => {
    const { server } = await startServer();
    const b = await connect(server.url('binance-spot'));
    const before = b.frames.length;
    expect(server.inject({ kind: 'garbage', feed: 'binance-spot', frames: 9 })).toEqual({ ok: true });
    await waitFor(() => b.frames.filter((f) => f !== 'hb').length >= before + 9);
    const garbage = b.frames.slice(before).filter((f) => f !== 'hb');
    expect(garbage).toHaveLength(9);
    expect(b.binary).toBe(3);
    for (const f of garbage.filter((f): f is string => typeof f === 'string')) expect(() => JSON.parse(f)).toThrow();
  });

  it('gap and checksum faults go to the venue; unknown targets are refused', async () => {
    const { server } = await startServer();
    const k = await connect(server.url('kraken'));
    expect(server.inject({ kind: 'gap', feed: 'kraken', instrument: 'kraken:BTC/USD' })).toEqual({ ok: true });
    expect(server.inject({ kind: 'checksum', feed: 'kraken', instrument: 'BTC/USD' })).toEqual({ ok: true });
    await waitFor(() => texts(k).includes('gap:kraken:BTC/USD') && texts(k).includes('checksum:kraken:BTC/USD'));
    expect(server.inject({ kind: 'gap', feed: 'kraken', instrument: 'ETH/USD' })).toEqual({ ok: false, error: 'no instrument ETH/USD on feed kraken' });
    expect(server.inject({ kind: 'drop', feed: 'okx' })).toEqual({ ok: false, error: 'no simulated venue for feed okx' });
    const bad = server.inject({ kind: 'stall', feed: 'kraken', ms: -1 } as never);
    expect(bad.ok).toBe(false);
  });

  it('shutdown sends the venue notice, then closes with 1001', async () => {
    const { server } = await startServer();
    const b = await connect(server.url('binance-spot'));
    expect(server.inject({ kind: 'shutdown', feed: 'binance-spot' })).toEqual({ ok: true });
    await waitFor(() => b.closed !== null);
    expect(texts(b)).toContain('shutdown-notice');
    expect(b.closed!.code).toBe(1001);
  });

  it('accepts faults over HTTP POST /_sim/fault and reports stats', async () => {
    const { server, port } = await startServer();
    const b = await connect(server.url('binance-spot'));
    const post = (body: string) => fetch(`http://127.0.0.1:${port}/_sim/fault`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const ok = await post(JSON.stringify({ kind: 'drop', feed: 'binance-spot' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    await waitFor(() => b.closed !== null);
    expect((await post('{nope')).status).toBe(400);
    const invalid = await post(JSON.stringify({ kind: 'explode', feed: 'binance-spot' }));
    expect(invalid.status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/_sim/fault`)).status).toBe(405);
    const stats = (await (await fetch(`http://127.0.0.1:${port}/_sim/stats`)).json()) as { feeds: Record<string, { clients: number }> };
    expect(Object.keys(stats.feeds).sort()).toEqual(['binance-spot', 'kraken']);
  });

  it('pings clients of feeds configured to ping, and only those', async () => {
    const { server } = await startServer({ ping: 15 });
    const b = await connect(server.url('binance-spot'));
    const k = await connect(server.url('kraken'));
    await waitFor(() => b.pings >= 2);
    expect(k.pings).toBe(0);
  });

  it('drives the market on its own timer when autoDrive is on', async () => {
    const factories = new Map<FeedId, SimVenueFactory>([['kraken', (m) => new EchoVenue('kraken', m)]]);
    const server = new SimServer({ market: new FakeMarket(), venues: factories, logger, host: '127.0.0.1', port: 0, stepMs: 2 });
    servers.push(server);
    await server.start();
    const k = await connect(server.url('kraken'));
    await waitFor(() => texts(k).filter((t) => t.includes('"tick"')).length >= 10);
  });

  it('stop() is idempotent and frees the port', async () => {
    const { server, port } = await startServer();
    const b = await connect(server.url('binance-spot'));
    const first = server.stop();
    expect(server.stop()).toBe(first);
    await first;
    await waitFor(() => b.closed !== null);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
  });
});

describe('runSim (keel sim)', () => {
  it('serves the market of the registered feeds on an ephemeral port and stops cleanly', async () => {
    const config = simSectionSchema.parse({ port: 0, startTime: '2026-11-25T00:00:00Z', flow: { messagesPerSecond: 500 } });
    const factories = new Map<FeedId, SimVenueFactory>([['kraken', (m) => new EchoVenue('kraken', m)]]);
    const sim = await runSim({ config, registry, venues: factories, logger });
    try {
      expect(sim.port).toBeGreaterThan(0);
      expect(sim.market.instruments.map((i) => i.id)).toEqual(['kraken:BTC/USD']);
      expect(sim.market.now()).toBeGreaterThanOrEqual(Date.parse('2026-11-25T00:00:00Z'));
      const k = await connect(sim.server.url('kraken'));
      await waitFor(() => texts(k).some((t) => t.includes('"tick"')));
      const stats = (await (await fetch(`http://127.0.0.1:${sim.port}/_sim/stats`)).json()) as { feeds: Record<string, unknown> };
      expect(Object.keys(stats.feeds)).toEqual(['kraken']);
    } finally {
      await sim.stop();
    }
  });

  it('calibrates from the configured files and falls back to the built-in calibration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-sim-'));
    const lines = ['date,symbol,close,volume'];
    const day = (d: number) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
    for (let d = 0; d <= 40; d++) lines.push(`${day(d)},BTC,${100_000 * Math.exp(0.01 * (d % 2 === 0 ? 1 : -1) * d / 40)},`);
    writeFileSync(join(dir, 'prices.csv'), lines.join('\n'));
    const config = simSectionSchema.parse({ calibration: { pricesFile: 'prices.csv', windowDays: 30, dvolFile: 'missing.csv' } });
    const cal = loadCalibration(config, registry.all, dir, logger);
    expect(cal.assets.symbols).toEqual(['BTC']);
    expect(cal.assets.returns).toBe(30);
    expect(cal.assets.lastClose[0]).toBeCloseTo(100_000 * Math.exp(0.01), 6);
    expect(cal.btcAtmVol).toBe(DEFAULT_CALIBRATION.btcAtmVol); // unreadable file: built-in value
    const builtIn = loadCalibration(simSectionSchema.parse({}), registry.all, dir, logger);
    expect(builtIn.assets).toBe(DEFAULT_CALIBRATION.assets);
  });
});
