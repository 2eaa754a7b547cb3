/**
 * `keel start`: the embedded default, everything in one process and fully offline — the exchange
 * simulator speaking every venue's protocol on loopback, the feed adapters connected to it, the
 * in-memory bus, the engine's single-writer loop, and the dashboard/API on localhost.
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { EngineLoop } from '../../bus/engine-loop.js';
import { InMemoryBus } from '../../bus/memory.js';
import { TOPICS } from '../../bus/types.js';
import type { KeelConfig } from '../../config/load.js';
import { CountingDeadLetterSink } from '../../feeds/dlq.js';
import { startFeeds } from '../../feeds/runner.js';
import { simVenueFactories } from '../../feeds/venues.js';
import { Engine } from '../../risk/engine.js';
import type { MarketEvent } from '../../risk/events.js';
import { startHttp } from '../../server/http.js';
import { PaperGateway } from '../../server/paper-gateway.js';
import { isApproved } from '../../risk/check.js';
import type { EngineInputs } from '../setup.js';
import { runSim } from './sim.js';

export interface EmbeddedOptions {
  config: KeelConfig;
  inputs: EngineInputs;
  logger: Logger;
  /** Overrides embedded.http.port. */
  httpPort?: number | undefined;
  httpHost?: string;
  configDir?: string;
}

export interface RunningEmbedded {
  httpPort: number;
  simPort: number;
  engine: Engine;
  bus: InMemoryBus;
  stop(): Promise<void>;
}

export async function runEmbedded(o: EmbeddedOptions): Promise<RunningEmbedded> {
  const { config, logger } = o;
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const sim = await runSim({ config: { ...config.sim, port: 0 }, registry: config.registry, venues: simVenueFactories(), logger: logger.child({ stage: 'sim' }), configDir: o.configDir, metrics });
  const bus = new InMemoryBus();
  const engine = new Engine(config.registry, o.inputs.risk, { varSeed: o.inputs.varSeed, timer: () => performance.now() * 1e6 });
  const loop = new EngineLoop({ engine, bus, logger: logger.child({ stage: 'engine' }), now: Date.now, registry: metrics });
  loop.start();
  const t0 = Date.now();
  for (const [account, balances] of Object.entries(config.embedded.openingBalances)) {
    for (const [currency, amount] of Object.entries(balances)) {
      bus.publish(TOPICS.executions, account, { v: 1, type: 'transfer', ts: t0, account, transferId: `opening-${account}-${currency}`, currency, amount });
    }
  }
  const paper = config.embedded.paperFills ? new PaperGateway(engine, bus, Date.now) : undefined;
  if (paper !== undefined) loop.onDecision((d) => isApproved(d) && paper.execute(d.order));
  let marketEvents = 0;
  const emit = (ev: MarketEvent): void => {
    marketEvents++;
    bus.publish(TOPICS.marketData, ev.instrument, { v: 1, ts: ev.recvTs, ...ev });
  };
  const deadLetters = new CountingDeadLetterSink({ registry: metrics, logger: logger.child({ stage: 'dlq' }), forward: { put: (d) => bus.publish(TOPICS.deadLetters, d.feed, { v: 1, type: 'dead_letter', ts: d.recvTs, ...d }) } });
  const base = `ws://127.0.0.1:${sim.port}`;
  const feeds = startFeeds({
    registry: config.registry,
    feeds: config.feeds,
    endpoint: (feed) => ({ url: `${base}/${feed}`, restUrl: `http://127.0.0.1:${sim.port}/${feed}` }),
    emit,
    deadLetters,
    logger: logger.child({ stage: 'feeds' }),
    metrics,
  });
  const http = await startHttp({
    host: o.httpHost ?? config.embedded.http.host,
    port: o.httpPort ?? config.embedded.http.port,
    engine,
    loop,
    bus,
    metrics,
    logger: logger.child({ stage: 'http' }),
    feeds: () => feeds.sessions.map((s) => s.session.state()),
    ready: () => marketEvents > 0,
  });
  return {
    httpPort: http.port,
    simPort: sim.port,
    engine,
    bus,
    stop: async () => {
      await http.close();
      await feeds.close();
      await loop.stop();
      await sim.stop();
    },
  };
}
