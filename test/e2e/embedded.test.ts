/**
 * End to end, embedded default: the simulator serves every venue's protocol on loopback, the feed
 * adapters normalize it onto the in-memory bus, the engine applies it in order, and the HTTP API
 * answers checks; approved orders are paper-filled and show up as exact positions. A sequence gap
 * injected into one venue's book fails that instrument closed until the book is rebuilt.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded, type RunningEmbedded } from '../../src/cli/commands/start.js';
import { engineInputs, loadConfigOrThrow } from '../../src/cli/setup.js';
import { TOPICS, type BusRecord } from '../../src/bus/types.js';

const CONFIG = join(import.meta.dirname, '..', '..', 'config');
let app: RunningEmbedded;
let base = '';

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`${base}${path}`, init);
  return (await r.json()) as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await json<unknown>('/v1/feeds')).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Decision {
  approved: boolean;
  reasons: Array<{ code: string }>;
}
const check = (order: Record<string, unknown>): Promise<Decision> =>
  json<Decision>('/v1/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });

beforeAll(async () => {
  const config = loadConfigOrThrow(CONFIG);
  app = await runEmbedded({ config, inputs: engineInputs(config, CONFIG), logger: pino({ level: 'silent' }), httpPort: 0, configDir: CONFIG });
  base = `http://127.0.0.1:${app.httpPort}`;
});

afterAll(async () => {
  await app?.stop();
});

describe('keel start (embedded)', () => {
  it('connects every feed to the simulator and marks every configured instrument', async () => {
    const feeds = await until('all feeds ok', async () => {
      const f = await json<Array<{ feed: string; status: string; messages: number }>>('/v1/feeds');
      return f.length >= 10 && f.every((x) => x.status === 'ok' && x.messages > 0) ? f : undefined;
    });
    expect(new Set(feeds.map((f) => f.feed))).toEqual(new Set(['binance-spot', 'binance-usdm', 'coinbase', 'kraken', 'okx', 'bybit-spot', 'bybit-linear', 'bybit-inverse', 'deribit']));
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
  });

  it('approves a check, paper-fills it, and shows the exact position and its risk', async () => {
    const instrument = 'binance:BTC/USDT:USDT';
    const d = await until('a priced instrument', async () => {
      const r = await check({ clOrdId: `e2e-${Date.now()}`, account: 'binance-basis', instrument, side: 'buy', type: 'market', qty: '0.250' });
      return r.approved ? r : undefined;
    });
    expect(d.reasons).toEqual([]);
    const position = await until('the paper fill', async () => {
      const state = await json<{ accounts: Array<{ id: string; var: number; grossNotional: number; positions: Array<{ instrument: string; qty: string }> }> }>('/v1/state');
      const acct = state.accounts.find((a) => a.id === 'binance-basis')!;
      const p = acct.positions.find((x) => x.instrument === instrument);
      return p !== undefined ? { acct, p } : undefined;
    });
    expect(position.p.qty).toBe('0.25');
    expect(position.acct.grossNotional).toBeGreaterThan(0);
  });

  it('rejects with structured reasons: unknown instrument, fat finger, bad input', async () => {
    const unknown = await check({ clOrdId: 'x1', account: 'binance-basis', instrument: 'binance:NOPE/USDT', side: 'buy', type: 'market', qty: '1' });
    expect(unknown.reasons.map((r) => r.code)).toEqual(['REF_UNKNOWN_INSTRUMENT']);
    const fat = await check({ clOrdId: 'x2', account: 'binance-basis', instrument: 'binance:BTC/USDT:USDT', side: 'buy', type: 'market', qty: '5000' });
    expect(fat.reasons.map((r) => r.code)).toContain('ORDER_MAX_QTY');
    const bad = await check({ clOrdId: 'x3', account: 'binance-basis', instrument: 'binance:BTC/USDT:USDT', side: 'buy', type: 'market', qty: 'NaN' });
    expect(bad.reasons.map((r) => r.code)).toEqual(['INVALID_ORDER']);
    const r = await fetch(`${base}/v1/check`, { method: 'POST', body: '{not json' });
    expect(r.status).toBe(400);
  });

  it('a sequence gap resyncs only that instrument, which fails closed until its book is rebuilt', async () => {
    const instrument = 'okx:BTC/USDT:USDT';
    await until('okx priced', async () => ((await check({ clOrdId: `g-${Date.now()}`, account: 'okx-basis', instrument, side: 'buy', type: 'market', qty: '0.01' })).approved ? true : undefined));
    // Watch the market-data topic from here on, as a second consumer group would.
    const seen: Array<{ instrument: string; status: string }> = [];
    const records: BusRecord[] = [];
    app.bus.poll('e2e-watch', TOPICS.marketData, 1e9, records);
    const fault = await fetch(`http://127.0.0.1:${app.simPort}/_sim/fault`, { method: 'POST', body: JSON.stringify({ kind: 'gap', feed: 'okx', instrument }) });
    expect(fault.status).toBe(200);
    await until('resync and recovery', async () => {
      records.length = 0;
      app.bus.poll('e2e-watch', TOPICS.marketData, 1e9, records);
      for (const r of records) {
        const v = r.value as { type: string; instrument: string; status?: string };
        if (v.type === 'status') seen.push({ instrument: v.instrument, status: v.status! });
      }
      return seen.some((x) => x.status === 'ok') ? true : undefined;
    });
    // Other books may report in this window for their own reasons (a late first snapshot, a scheduled
    // reconnect on a slow machine); what the gap must not do is send any other book into a resync.
    expect(seen.filter((x) => x.instrument === instrument && x.status !== 'connected')).toEqual([
      { instrument, status: 'resyncing' },
      { instrument, status: 'ok' },
    ]);
    expect(seen.filter((x) => x.instrument !== instrument && x.status === 'resyncing')).toEqual([]);
    // While resyncing the engine failed closed on it: replay that status to a probe order.
    app.engine.process({ v: 1, type: 'status', ts: Date.now(), venue: 'okx', instrument, exchTs: 0, recvTs: Date.now(), status: 'resyncing' });
    const during = await check({ clOrdId: `g2-${Date.now()}`, account: 'okx-basis', instrument, side: 'buy', type: 'market', qty: '0.01' });
    expect(during.reasons.map((r) => r.code)).toContain('DATA_FEED_UNHEALTHY');
    app.engine.process({ v: 1, type: 'status', ts: Date.now(), venue: 'okx', instrument, exchTs: 0, recvTs: Date.now(), status: 'ok' });
  });

  it('serves Prometheus metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/keel_checks_total\{result="approved"\} [1-9]/);
    expect(text).toMatch(/keel_engine_records_total\{topic="keel.md"\} [1-9]/);
  });
});
