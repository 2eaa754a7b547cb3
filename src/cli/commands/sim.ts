/**
 * `keel sim`: the exchange simulator alone. Calibrates the price model (from the configured data
 * files, or the built-in calibration computed from them), builds the market over the instruments
 * of the served feeds, and starts the server. The caller (src/cli/main.ts) owns signals and output.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SimConfig } from '../../config/feeds.js';
import {
  DEFAULT_CALIBRATION,
  calibrateAssets,
  calibrateFunding,
  calibratePeg,
  parseDailyClosesCsv,
  parseDatedValuesCsv,
  type PegCalibration,
  type SimCalibration,
} from '../../feeds/sim/calibration.js';
import { SimMarket, currenciesOf } from '../../feeds/sim/market.js';
import { SeededRandom } from '../../feeds/sim/random.js';
import { SimServer } from '../../feeds/sim/server.js';
import type { SimVenueFactory } from '../../feeds/sim/types.js';
import type { FeedId, Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';

export interface RunSimOptions {
  config: SimConfig;
  registry: InstrumentRegistry;
  venues: Map<FeedId, SimVenueFactory>;
  logger: Logger;
  /** Relative calibration paths resolve against this directory. Default: ./config. */
  configDir?: string | undefined;
  metrics?: Registry | undefined;
  /** Wall clock, for the virtual clock origin when `startTime` is not set. Default Date.now. */
  now?: (() => number) | undefined;
}

export interface RunningSim {
  port: number;
  server: SimServer;
  market: SimMarket;
  stop(): Promise<void>;
}

/** Starts the simulator. Rejects with one clear message when the config cannot be served. */
export async function runSim(opts: RunSimOptions): Promise<RunningSim> {
  const { config, logger } = opts;
  const served = (config.feeds ?? [...opts.venues.keys()]).filter((feed) => {
    if (opts.venues.has(feed)) return true;
    logger.warn({ feed }, 'no simulated venue for this feed; not served');
    return false;
  });
  const servedSet = new Set<FeedId>(served);
  const instruments = opts.registry.all.filter((ins) => servedSet.has(ins.feed));
  const calibration = loadCalibration(config, instruments, opts.configDir ?? resolve('config'), logger);
  const startMs = config.startTime !== undefined ? Date.parse(config.startTime) : (opts.now ?? Date.now)();
  const created = SimMarket.create({
    instruments,
    seed: config.seed,
    startMs,
    model: { ...config.model, calibration },
    flow: config.flow,
    book: config.book,
  });
  if (!created.ok) throw new Error(`simulator cannot model the configured instruments:\n${created.errors.join('\n')}`);
  const venues = new Map<FeedId, SimVenueFactory>();
  for (const feed of served) venues.set(feed, opts.venues.get(feed)!);
  const server = new SimServer({
    market: created.market,
    venues,
    logger,
    host: config.host,
    port: config.port,
    stepMs: config.stepMs,
    wsPingIntervalMs: config.wsPingIntervalMs,
    maxBufferedBytes: config.maxBufferedBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    random: new SeededRandom(config.seed, 0xfa17),
    registry: opts.metrics,
  });
  const { port } = await server.start();
  logger.info({ port, instruments: instruments.length, feeds: served, rate: config.flow.messagesPerSecond, startMs }, 'simulator running');
  return { port, server, market: created.market, stop: () => server.stop() };
}

/**
 * The calibration for these instruments: computed from the configured files where given (each
 * component separately; a missing or unusable file falls back to DEFAULT_CALIBRATION with a warning).
 */
export function loadCalibration(config: SimConfig, instruments: readonly Instrument[], configDir: string, logger: Logger): SimCalibration {
  const files = config.calibration;
  const path = (file: string): string => (isAbsolute(file) ? file : resolve(configDir, file));
  const { risky, stable } = currenciesOf(instruments);
  // BTC anchors the IV surface (other coins' ATM = DVOL x vol ratio) and the jump betas.
  const symbols = ['BTC', ...risky.filter((s) => s !== 'BTC')];
  let assets = DEFAULT_CALIBRATION.assets;
  let pegs: PegCalibration[] = DEFAULT_CALIBRATION.pegs;
  if (files.pricesFile !== '') {
    const text = readText(path(files.pricesFile), logger);
    if (text !== undefined) {
      const { rows, errors } = parseDailyClosesCsv(text);
      if (errors.length > 0) logger.warn({ file: files.pricesFile, bad: errors.length, first: errors[0] }, 'rows skipped in prices file');
      const a = calibrateAssets(rows, symbols, files.windowDays);
      if (a.ok) assets = a.value;
      else logger.warn({ error: a.error }, 'cannot calibrate assets from the prices file; using the built-in calibration');
      const fitted: PegCalibration[] = [];
      for (const symbol of stable) {
        const p = calibratePeg(rows, symbol, files.windowDays);
        if (p.ok) fitted.push(p.value);
        else {
          const fallback = DEFAULT_CALIBRATION.pegs.find((d) => d.symbol === symbol);
          logger.warn({ error: p.error }, 'cannot calibrate a stablecoin; using the built-in value');
          if (fallback !== undefined) fitted.push(fallback);
        }
      }
      pegs = fitted;
    }
  }
  let funding = DEFAULT_CALIBRATION.funding;
  if (files.fundingFile !== '') {
    const text = readText(path(files.fundingFile), logger);
    if (text !== undefined) {
      const f = calibrateFunding(parseDatedValuesCsv(text).rows, files.fundingWindowSettlements);
      if (f.ok) funding = f.value;
      else logger.warn({ error: f.error }, 'cannot calibrate funding; using the built-in calibration');
    }
  }
  let btcAtmVol = DEFAULT_CALIBRATION.btcAtmVol;
  let btcAtmVolDate = DEFAULT_CALIBRATION.btcAtmVolDate;
  if (files.dvolFile !== '') {
    const text = readText(path(files.dvolFile), logger);
    const last = text === undefined ? undefined : parseDatedValuesCsv(text).rows.at(-1);
    if (last !== undefined && last.value > 0) {
      btcAtmVol = last.value / 100;
      btcAtmVolDate = last.date;
    } else if (text !== undefined) logger.warn({ file: files.dvolFile }, 'no DVOL value; using the built-in ATM level');
  }
  const calibration: SimCalibration = { assets, pegs, funding, btcAtmVol, btcAtmVolDate };
  logger.info(
    {
      window: `${assets.from}..${assets.to}`,
      vols: Object.fromEntries(assets.symbols.map((s, i) => [s, Number(assets.annualVol[i]!.toFixed(4))])),
      btcAtmVol,
      fundingMean: funding.mean,
    },
    'simulator calibration',
  );
  return calibration;
}

function readText(file: string, logger: Logger): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    logger.warn({ file, err: (e as Error).message }, 'calibration file unreadable; using the built-in calibration');
    return undefined;
  }
}
