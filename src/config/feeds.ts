/**
 * Config sections of the feeds stage and the exchange simulator:
 *   feeds  which feeds run, book depth, connection lifecycle settings (defaults + per-feed overrides)
 *   sim    the simulator: seed, listen address, message rate and mix, price model and books
 *   live   the venues' public endpoints (origin only: each protocol appends its own path)
 * Defaults live in the schemas (units in the comments); config/{feeds,sim,live}.yaml restate them.
 */
import { z } from 'zod';
import { FEED_IDS, type FeedId } from '../portfolio/instruments.js';
import type { SessionOptions } from '../feeds/types.js';

const feedId = z.enum(FEED_IDS);
const ms = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();

/** Binance cuts every connection after 24 h: reconnect at 23 h 55 min. */
export const BINANCE_MAX_CONNECTION_AGE_MS = 86_100_000;

const sessionSettingsSchema = z
  .strictObject({
    backoff: z
      .strictObject({
        baseMs: positiveMs.default(500), // ms, first retry waits random(0, baseMs)
        maxMs: positiveMs.default(30_000), // ms, cap of the backoff window
      })
      .prefault({}),
    staleAfterMs: positiveMs.default(20_000), // ms without a data frame => stale, reconnect
    maxConnectionAgeMs: ms.default(0), // ms, proactive reconnect; 0 = never
    connectTimeoutMs: positiveMs.default(10_000), // ms to open the socket (and per REST snapshot request)
  })
  .refine((s) => s.backoff.baseMs <= s.backoff.maxMs, { message: 'backoff.baseMs must be <= backoff.maxMs', path: ['backoff'] });

const sessionOverrideSchema = z.strictObject({
  backoff: z.strictObject({ baseMs: positiveMs.optional(), maxMs: positiveMs.optional() }).optional(),
  staleAfterMs: positiveMs.optional(),
  maxConnectionAgeMs: ms.optional(),
  connectTimeoutMs: positiveMs.optional(),
});

export const feedsSectionSchema = z.strictObject({
  /** Feeds `keel feeds` / `keel start` connect. */
  enabled: z
    .array(feedId)
    .default([...FEED_IDS])
    .refine((a) => new Set(a).size === a.length, { message: 'a feed is listed twice' }),
  /** Levels per side carried in `book` events. */
  bookDepth: z.number().int().min(1).max(1_000).default(20),
  session: sessionSettingsSchema.prefault({}),
  overrides: z
    .partialRecord(feedId, sessionOverrideSchema)
    .default({ 'binance-spot': { maxConnectionAgeMs: BINANCE_MAX_CONNECTION_AGE_MS }, 'binance-usdm': { maxConnectionAgeMs: BINANCE_MAX_CONNECTION_AGE_MS } }),
}).prefault({});
export type FeedsConfig = z.infer<typeof feedsSectionSchema>;

/** SessionOptions for one feed: the defaults, that feed's overrides, and its endpoint. */
export function sessionOptionsFor(feeds: FeedsConfig, feed: FeedId, endpoint: { url: string; restUrl?: string | undefined }): SessionOptions {
  const base = feeds.session;
  const o = feeds.overrides[feed] ?? {};
  return {
    url: endpoint.url,
    restUrl: endpoint.restUrl,
    backoff: { baseMs: o.backoff?.baseMs ?? base.backoff.baseMs, maxMs: o.backoff?.maxMs ?? base.backoff.maxMs },
    staleAfterMs: o.staleAfterMs ?? base.staleAfterMs,
    maxConnectionAgeMs: o.maxConnectionAgeMs ?? base.maxConnectionAgeMs,
    connectTimeoutMs: o.connectTimeoutMs ?? base.connectTimeoutMs,
  };
}

/* sim ----------------------------------------------------------------------------------------- */

const share = z.number().min(0);

export const simSectionSchema = z.strictObject({
  seed: z.number().int().default(42),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8765), // 0 = ephemeral
  /** Virtual clock origin (ISO-8601); absent = the wall clock when the simulator starts. */
  startTime: z.iso.datetime().optional(),
  /** Only these feeds are served; absent = every feed a venue encoder is registered for. */
  feeds: z.array(feedId).optional(),
  stepMs: z.number().int().min(1).max(100).default(2), // ms between driver steps
  flow: z
    .strictObject({
      messagesPerSecond: z.number().min(0).max(1_000_000).default(2_000), // SimTicks/s, all feeds together
      mix: z
        .strictObject({ book: share.default(0.6), trade: share.default(0.25), mark: share.default(0.1), option: share.default(0.05) })
        .prefault({})
        .refine((m) => m.book + m.trade + m.mark + m.option > 0, { message: 'at least one share must be > 0' }),
      maxBurstMs: positiveMs.default(100), // ms of flow one step may release after an event-loop stall
    })
    .prefault({}),
  book: z
    .strictObject({
      levels: z.number().int().min(1).max(1_000).default(20), // per side
      spreadBps: z.number().positive().default(1), // touch spread, basis points of price (min 1 tick)
      levelGapBps: z.number().positive().default(0.5), // gap between levels, bps (min 1 tick)
      levelNotionalUsd: z.number().positive().default(50_000), // USD, average level size
      optionSpreadPct: z.number().positive().default(2), // % of the option mark
      optionLevelContracts: z.number().positive().default(10), // contracts per option level
      sizeChangesPerUpdate: z.number().int().min(0).max(50).default(2), // size changes per book tick
    })
    .prefault({}),
  model: z
    .strictObject({
      jumps: z
        .strictObject({
          intensityPerYear: z.number().min(0).default(12), // market-wide jumps per year
          meanLog: z.number().default(-0.01), // mean log jump of BTC
          stdLog: z.number().min(0).default(0.04), // sd of the log jump of BTC
        })
        .prefault({}),
      basis: z
        .strictObject({
          venueMaxBps: z.number().min(0).default(3), // fixed per-instrument basis, uniform in +-bps
          noiseBps: z.number().min(0).default(1), // sd of the basis noise, bps
          halfLifeSec: z.number().positive().default(60), // s, mean reversion of the noise
        })
        .prefault({}),
      futuresCarryAnnual: z.number().default(0.06), // fraction per year (dated futures, option forwards)
      iv: z
        .strictObject({
          termSlope: z.number().default(0.05), // atm(T) = atm * (T / 30d)^termSlope
          skew: z.number().default(-0.15), // per unit of ln(K/F)/sqrt(T)
          smile: z.number().min(0).default(0.1), // per unit of (ln(K/F)/sqrt(T))^2
          volOfVol: z.number().min(0).default(0.15), // stationary sd of ln(atm)
          halfLifeHours: z.number().positive().default(72), // h, mean reversion of atm
          min: z.number().positive().default(0.05), // floor of any IV (fraction)
          max: z.number().positive().default(3), // cap of any IV (fraction)
        })
        .prefault({}),
    })
    .prefault({}),
  /** WebSocket ping interval of the simulated servers, ms (venues that ping: Binance). */
  wsPingIntervalMs: z.partialRecord(feedId, ms).default({ 'binance-spot': 20_000, 'binance-usdm': 180_000 }),
  maxBufferedBytes: z.number().int().positive().default(64 * 1024 * 1024), // bytes queued before a slow client is dropped
  shutdownGraceMs: ms.default(500), // ms between a shutdown notice and the close
  calibration: z
    .strictObject({
      /** data/prices_daily.csv; "" = the built-in DEFAULT_CALIBRATION (computed from that file). */
      pricesFile: z.string().default(''),
      dvolFile: z.string().default(''), // data/dvol_btc.csv
      fundingFile: z.string().default(''), // data/funding_btcusdt.csv
      windowDays: z.number().int().min(30).default(365), // daily returns used
      fundingWindowSettlements: z.number().int().min(30).default(1_095), // 8-hourly settlements used
    })
    .prefault({}),
}).prefault({});
export type SimConfig = z.infer<typeof simSectionSchema>;

/* live ---------------------------------------------------------------------------------------- */

const endpointSchema = z.strictObject({
  url: z.string().regex(/^wss?:\/\/[^/]+$/, 'a ws:// or wss:// origin without a path (the protocol adds it)'),
  restUrl: z
    .string()
    .regex(/^https?:\/\/[^/]+$/, 'an http(s):// origin without a path')
    .optional(),
});

/** Public endpoints per fixtures/INDEX.md (2026). Each protocol's `path()` adds the rest. */
export const LIVE_ENDPOINT_DEFAULTS: Readonly<Record<FeedId, z.infer<typeof endpointSchema>>> = {
  'binance-spot': { url: 'wss://stream.binance.com:9443', restUrl: 'https://api.binance.com' },
  'binance-usdm': { url: 'wss://fstream.binance.com', restUrl: 'https://fapi.binance.com' },
  coinbase: { url: 'wss://ws-feed.exchange.coinbase.com' },
  kraken: { url: 'wss://ws.kraken.com' },
  okx: { url: 'wss://ws.okx.com:8443' },
  'bybit-spot': { url: 'wss://stream.bybit.com' },
  'bybit-linear': { url: 'wss://stream.bybit.com' },
  'bybit-inverse': { url: 'wss://stream.bybit.com' },
  'bybit-option': { url: 'wss://stream.bybit.com' },
  deribit: { url: 'wss://www.deribit.com' },
};

const endpoint = (feed: FeedId) => endpointSchema.default({ ...LIVE_ENDPOINT_DEFAULTS[feed] });

export const liveSectionSchema = z
  .strictObject({
    'binance-spot': endpoint('binance-spot'),
    'binance-usdm': endpoint('binance-usdm'),
    coinbase: endpoint('coinbase'),
    kraken: endpoint('kraken'),
    okx: endpoint('okx'),
    'bybit-spot': endpoint('bybit-spot'),
    'bybit-linear': endpoint('bybit-linear'),
    'bybit-inverse': endpoint('bybit-inverse'),
    'bybit-option': endpoint('bybit-option'),
    deribit: endpoint('deribit'),
  })
  .prefault({}) satisfies z.ZodType<Record<FeedId, z.infer<typeof endpointSchema>>>;
export type LiveConfig = z.infer<typeof liveSectionSchema>;
