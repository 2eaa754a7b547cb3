/**
 * The embedded HTTP server of `keel start`: the desk's dashboard and state, health, metrics, and a
 * JSON pre-trade check. Bound to loopback by default. The production gateway (uWebSockets.js,
 * WebSocket RPC, auth roles) is a separate stage; this one keeps the same payloads.
 *
 *   GET  /                 dashboard (static page polling the endpoints below)
 *   GET  /health           liveness
 *   GET  /ready            200 once market data flows, else 503
 *   GET  /metrics          Prometheus text format
 *   GET  /v1/state         engine report: positions, cash, P&L, exposures, VaR per account/strategy/firm
 *   GET  /v1/feeds         feed sessions and their state
 *   GET  /v1/decisions     recent decisions;  GET /v1/alerts: recent alerts and audit records
 *   POST /v1/check         body: an order (docs/events.md) -> decision
 *   POST /v1/executions    body: an execution envelope (or an array) -> 202, applied in order
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { TOPICS } from '../bus/types.js';
import type { InMemoryBus } from '../bus/memory.js';
import type { EngineLoop } from '../bus/engine-loop.js';
import type { Engine } from '../risk/engine.js';
import type { Decision } from '../risk/reasons.js';
import { validateEnvelope } from '../risk/validate.js';
import { DASHBOARD_HTML } from './dashboard.js';

const MAX_BODY = 64 * 1024;
const EXECUTION_TYPES = new Set(['order.ack', 'order.reject', 'order.cancel', 'fill', 'funding', 'transfer', 'settlement']);

export interface HttpServerOptions {
  host: string;
  port: number;
  engine: Engine;
  loop: EngineLoop;
  bus: InMemoryBus;
  metrics: Registry;
  logger: Logger;
  feeds: () => unknown;
  ready: () => boolean;
}

export interface RunningHttp {
  port: number;
  close(): Promise<void>;
}

export async function startHttp(o: HttpServerOptions): Promise<RunningHttp> {
  const server: Server = createServer((req, res) => {
    handle(o, req, res).catch((e: unknown) => {
      o.logger.error({ err: e }, 'http handler failed');
      send(res, 500, { error: 'internal', message: 'the request failed; nothing was applied' });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(o: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(DASHBOARD_HTML);
      return;
    case 'GET /health':
      return send(res, 200, { status: 'ok' });
    case 'GET /ready':
      return o.ready() ? send(res, 200, { status: 'ready' }) : send(res, 503, { status: 'starting', message: 'no market data applied yet' });
    case 'GET /metrics':
      res.writeHead(200, { 'content-type': o.metrics.contentType });
      res.end(await o.metrics.metrics());
      return;
    case 'GET /v1/state':
      return send(res, 200, o.engine.report());
    case 'GET /v1/feeds':
      return send(res, 200, o.feeds());
    case 'GET /v1/decisions':
      return send(res, 200, o.loop.recentDecisions.slice(-100).map(wireDecision));
    case 'GET /v1/alerts':
      return send(res, 200, o.loop.recentOutputs.slice(-100));
    case 'POST /v1/check': {
      const body = await readJson(req, res);
      if (body === undefined) return;
      return send(res, 200, { v: 1, type: 'decision', ...wireDecision(o.loop.check(body)) });
    }
    case 'POST /v1/executions': {
      const body = await readJson(req, res);
      if (body === undefined) return;
      const items = Array.isArray(body) ? body : [body];
      const errors: unknown[] = [];
      items.forEach((item, index) => {
        const v = validateEnvelope(item);
        if (!v.ok) errors.push({ index, errors: v.errors });
        else if (!EXECUTION_TYPES.has(v.event.type)) errors.push({ index, errors: [{ field: 'type', problem: `${v.event.type} is not an execution event` }] });
      });
      if (errors.length > 0) return send(res, 400, { error: 'invalid', items: errors, message: 'nothing was applied' });
      for (const item of items as Array<{ account?: string; instrument?: string }>) o.bus.publish(TOPICS.executions, item.account ?? item.instrument ?? '', item);
      return send(res, 202, { accepted: items.length });
    }
    default:
      return send(res, 404, { error: 'not_found', message: `no route ${route}` });
  }
}

/** A decision as sent on the wire (the approved order's object is not echoed back). */
function wireDecision(d: Decision): Omit<Decision, never> {
  const { order: _o, ...wire } = d as Decision & { order?: unknown };
  return wire;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Reads a JSON body up to MAX_BODY; answers 400/413 itself and returns undefined on failure. */
async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      send(res, 413, { error: 'too_large', message: `body over ${MAX_BODY} bytes` });
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    send(res, 400, { error: 'invalid_json', message: (e as Error).message });
    return undefined;
  }
}
