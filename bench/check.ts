/**
 * Pre-trade check benchmark, in process, one core.
 *
 *   npm run bench:check [-- --json] [--seconds 3] [--rates 50000,100000,200000,300000]
 *
 * Universe: 1,000 instruments (50 underlyings x 20: spot on four venues, linear and inverse
 * perpetuals, Deribit options), 100 accounts in 10 strategies, every check of the catalogue
 * configured at account, strategy and firm level, ~1,000 positions and 500 resting orders.
 *
 * Phases (each verified, so a broken engine cannot post a good number):
 *   1. market apply rate: closed loop over a pre-generated quote/mark/trade/option mix;
 *   2. check throughput: closed loop, checks only (their cancels are applied outside the clock);
 *   3. check latency, OPEN LOOP at fixed rates: check k is due at t0 + k/rate and its latency is
 *      measured from that planned time, so a stall delays every later check and shows up in the
 *      percentiles (no coordinated omission). Market data arrives at its own fixed rate in the
 *      same loop, and approved orders get their acks, cancels and fills, as in production; all
 *      inputs are applied in arrival order, one queue. V8's GCProfiler records the collections
 *      in the measured window (run with --expose-gc, the setup's garbage is collected first).
 * Percentiles come from hdr-histogram-js (ns). With --json the last stdout line is one JSON
 * object; the result is also saved under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GCProfiler } from 'node:v8';
import { build, type Histogram } from 'hdr-histogram-js';
import { InstrumentRegistry, type InstrumentSpec, type Venue } from '../src/portfolio/instruments.js';
import type { LimitSet, RiskConfig } from '../src/risk/config.js';
import { Engine } from '../src/risk/engine.js';
import type { Envelope, InputEvent, MarketEvent, Order } from '../src/risk/events.js';
import type { VarSeed } from '../src/risk/state.js';
import { machineInfo, machineLine, saveResult } from './lib/machine.js';
import { SeededRandom } from '../src/feeds/sim/random.js';

// ------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------

interface Options {
  json: boolean;
  /** Internal: the one phase a child process runs (`apply`, `throughput` or `open:<rate>`). */
  phase: string | undefined;
  seconds: number;
  rates: number[];
  marketRate: number;
  fillRatio: number;
  seed: number;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { json: false, phase: undefined, seconds: 5, rates: [5_000, 10_000, 20_000, 40_000], marketRate: 100_000, fillRatio: 0.02, seed: 42 };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const next = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--phase') o.phase = next();
    else if (a === '--seconds') o.seconds = Number(next());
    else if (a === '--rates') o.rates = next().split(',').map(Number);
    else if (a === '--market-rate') o.marketRate = Number(next());
    else if (a === '--fill-ratio') o.fillRatio = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.seconds > 0) || o.rates.some((r) => !(r > 0))) throw new Error('seconds and rates must be positive');
  return o;
}

// ------------------------------------------------------------------------------------------
// Universe and configuration
// ------------------------------------------------------------------------------------------

const UNDERLYINGS = 50;
const EXPIRY = '2027-03-26T08:00:00Z';
const STRIKES = [0.8, 0.9, 1, 1.1, 1.2, 1.3];

interface Universe {
  specs: InstrumentSpec[];
  /** Base price per underlying. */
  prices: number[];
  /** Decimals of the tick per instrument (for price formatting). */
  tickDecimals: number[];
  lotDecimals: number[];
  underlyingOf: number[];
}

function decimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

function pow10(e: number): string {
  return e >= 0 ? `1${'0'.repeat(e)}` : `0.${'0'.repeat(-e - 1)}1`;
}

function buildUniverse(rnd: () => number): Universe {
  const specs: InstrumentSpec[] = [];
  const prices: number[] = [];
  const tickDecimals: number[] = [];
  const lotDecimals: number[] = [];
  const underlyingOf: number[] = [];
  for (let u = 0; u < UNDERLYINGS; u++) {
    const base = `U${u}`;
    const price = 10 ** (-1 + rnd() * 6); // 0.1 .. 100,000
    prices.push(price);
    const tickExp = Math.floor(Math.log10(price)) - 4;
    const lotExp = Math.floor(Math.log10(10 / price));
    const tick = pow10(tickExp);
    const lot = pow10(lotExp);
    const push = (s: InstrumentSpec, td: number, ld: number): void => {
      specs.push(s);
      tickDecimals.push(td);
      lotDecimals.push(ld);
      underlyingOf.push(u);
    };
    const linear = (venue: Venue, venueSymbol: string, kind: 'spot' | 'perpetual', quote: string): void =>
      push({ venue, venueSymbol, kind, settlementType: 'linear', base, quote, settle: quote, underlying: base, contractSize: '1', tickSize: tick, lotSize: lot, adv: String(Math.round(5e8 / price)), initialMarginRate: kind === 'spot' ? 1 : 0.05 }, decimals(Number(tick)), decimals(Number(lot)));
    linear('binance', `${base}USDT`, 'spot', 'USDT');
    linear('binance', `${base}USDT`, 'perpetual', 'USDT');
    linear('okx', `${base}-USDT-SWAP`, 'perpetual', 'USDT');
    linear('bybit', `${base}USDT`, 'perpetual', 'USDT');
    linear('coinbase', `${base}-USD`, 'spot', 'USD');
    linear('kraken', `${base}/USD`, 'spot', 'USD');
    for (const venue of ['deribit', 'okx'] as const) {
      push({ venue, venueSymbol: venue === 'deribit' ? `${base}-PERPETUAL` : `${base}-USD-SWAP`, kind: 'perpetual', settlementType: 'inverse', base, quote: 'USD', settle: base, underlying: base, contractSize: '10', tickSize: tick, lotSize: '1', adv: '100000000', initialMarginRate: 0.05 }, decimals(Number(tick)), 0);
    }
    for (const m of STRIKES) {
      const strike = Number((price * m).toPrecision(3));
      for (const cp of ['C', 'P'] as const) {
        push({ venue: 'deribit', venueSymbol: `${base}-26MAR27-${strike}-${cp}`, kind: 'option', settlementType: 'inverse', base, quote: 'USD', settle: base, underlying: base, contractSize: '1', tickSize: '0.0001', lotSize: lot, expiry: EXPIRY, strike: String(strike), optionType: cp === 'C' ? 'call' : 'put', adv: String(Math.round(5e7 / price)) }, 4, decimals(Number(lot)));
      }
    }
  }
  return { specs, prices, tickDecimals, lotDecimals, underlyingOf };
}

const VENUE_ACCOUNTS: Array<[Venue, number]> = [['binance', 30], ['okx', 20], ['bybit', 15], ['deribit', 20], ['coinbase', 10], ['kraken', 5]];

function riskConfig(registry: InstrumentRegistry): RiskConfig {
  const currencies: RiskConfig['currencies'] = { USDT: { fixed: '1' } };
  const underlyings: RiskConfig['underlyings'] = {};
  for (let u = 0; u < UNDERLYINGS; u++) {
    currencies[`U${u}`] = { instrument: `coinbase:U${u}/USD` };
    underlyings[`U${u}`] = { reference: `coinbase:U${u}/USD` };
  }
  const greeks: NonNullable<LimitSet['underlyings']> = {};
  for (let u = 0; u < UNDERLYINGS; u++) greeks[`U${u}`] = { maxPosition: 1e12, maxDelta: 1e12, maxGamma: 1e12, maxVega: 1e12 };
  const positionLimits: NonNullable<LimitSet['instruments']> = {};
  for (const ins of registry.all) positionLimits[ins.id] = { maxPosition: 1e12, maxOrderQty: 1e12 };
  const strategies: RiskConfig['strategies'] = {};
  for (let s = 0; s < 10; s++) {
    strategies[`s${s}`] = {
      limits: {
        maxGrossNotional: 1e10, maxNetNotional: 5e9, maxVar: 1e9, maxDailyLoss: 1e9, maxDrawdown: 2e9, maxConcentration: 0.99, concentrationMinGross: 1e9,
        orderRate: { maxOrders: 200_000, windowMs: 1000 }, instruments: positionLimits, underlyings: greeks, maxMarginUtilization: 50,
      },
    };
  }
  const accounts: RiskConfig['accounts'] = {};
  let n = 0;
  for (const [venue, count] of VENUE_ACCOUNTS) {
    for (let k = 0; k < count; k++) {
      accounts[`a${n}`] = {
        strategy: `s${n % 10}`,
        venue,
        limits: {
          maxOrderQty: 1e12, maxOrderNotional: 2_000_000, priceCollarPct: 0.05, priceCollarTicks: 100, marketOrderSlippagePct: 0.01,
          orderRate: { maxOrders: 50_000, windowMs: 1000 }, maxGrossNotional: 5e8, maxNetNotional: 2.5e8, maxConcentration: 0.99, concentrationMinGross: 1e8,
          maxMarginUtilization: 20, maxDailyLoss: 5e7, maxDrawdown: 1e8, maxVar: 5e7, maxBookFraction: 1e6, maxAdvFraction: 100, underlyings: greeks,
          venues: { [venue]: { maxExposure: 5e9 } },
        },
      };
      n++;
    }
  }
  return {
    reportingCurrency: 'USD',
    currencies,
    underlyings,
    marks: { maxAgeMs: 60_000 },
    reservations: { pendingTtlMs: 30_000, openTtlMs: 86_400_000 },
    duplicateWindowMs: 86_400_000,
    duplicateWindowMaxOrders: 50_000,
    var: { lambda: 0.94, confidence: 0.99, horizonDays: 1, sampleIntervalMs: 86_400_000, revalueIntervalMs: 10_000, repriceIntervalMs: 60_000, defaultAnnualVol: 0.8 },
    triggers: { dailyLoss: 'REDUCING', drawdown: 'HALTED' },
    firm: { limits: { maxGrossNotional: 1e11, maxNetNotional: 5e10, maxVar: 1e10, maxDailyLoss: 1e10, orderRate: { maxOrders: 1_000_000, windowMs: 1000 }, venues: Object.fromEntries(VENUE_ACCOUNTS.map(([v]) => [v, { maxExposure: 1e11 }])) } },
    strategies,
    accounts,
  };
}

/** Daily covariance of the underlyings: a one-factor market model, vols 2–6%/day. */
function varSeed(rnd: () => number): VarSeed {
  const m = UNDERLYINGS;
  const beta = Array.from({ length: m }, () => 0.6 + rnd() * 0.35);
  const vol = Array.from({ length: m }, () => 0.02 + rnd() * 0.04);
  const cov = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) cov[i * m + j] = i === j ? vol[i]! * vol[i]! : beta[i]! * beta[j]! * vol[i]! * vol[j]!;
  }
  return { symbols: Array.from({ length: m }, (_, u) => `U${u}`), cov };
}

// ------------------------------------------------------------------------------------------
// Market model and event generation
// ------------------------------------------------------------------------------------------

class Market {
  readonly price: Float64Array;
  constructor(
    readonly universe: Universe,
    readonly registry: InstrumentRegistry,
    private readonly rnd: () => number,
  ) {
    this.price = Float64Array.from(universe.prices);
  }

  step(u: number): number {
    // ~0.01% per second per underlying at the bench's market data rate (3%/day is ~0.01%/s).
    const p = this.price[u]! * Math.exp((this.rnd() - 0.5) * 0.00002);
    this.price[u] = p;
    return p;
  }

  /** A realistic event for instrument i at the current price path. */
  event(i: number, ts: number, kind: number): MarketEvent {
    const ins = this.registry.get(i);
    const u = this.universe.underlyingOf[i]!;
    const s = this.step(u);
    const base = { venue: ins.venue, instrument: ins.id, exchTs: ts, recvTs: ts };
    const d = this.universe.tickDecimals[i]!;
    const tick = ins.tickSizeF;
    if (ins.isOption) {
      const intrinsic = Math.max(0, ins.isCall ? s - ins.strikeF : ins.strikeF - s) / s;
      const mark = Math.max(0.0001, intrinsic + 0.02 + this.rnd() * 0.01);
      if (kind < 0.6) return { ...base, type: 'option', markPrice: mark.toFixed(4), markIv: (0.5 + this.rnd() * 0.3).toFixed(4), underlyingPrice: s.toFixed(d) };
      return { ...base, type: 'quote', bid: (mark - 0.0001).toFixed(4), bidSize: '50', ask: (mark + 0.0001).toFixed(4), askSize: '50' };
    }
    const px = Math.round(s / tick) * tick;
    if (ins.kind === 'perpetual' && kind < 0.3) return { ...base, type: 'mark', markPrice: px.toFixed(d), indexPrice: px.toFixed(d), fundingRate: '0.0001' };
    if (kind > 0.9) return { ...base, type: 'trade', price: px.toFixed(d), size: '1', side: kind > 0.95 ? 'buy' : 'sell', tradeId: String(ts) };
    const size = ins.inverse ? '100000' : (2e6 / s).toFixed(this.universe.lotDecimals[i]!);
    return { ...base, type: 'quote', bid: (px - tick).toFixed(d), bidSize: size, ask: (px + tick).toFixed(d), askSize: size };
  }
}

// ------------------------------------------------------------------------------------------
// Orders
// ------------------------------------------------------------------------------------------

interface PlannedOrder {
  order: Order;
  /** Decimal qty and price, kept for the fill that may follow. */
  qty: string;
  price: string;
}

class OrderFactory {
  private seq = 0;
  readonly byVenue = new Map<Venue, number[]>();
  readonly accountVenue: Venue[] = [];
  constructor(
    private readonly engine: Engine,
    private readonly universe: Universe,
    private readonly rnd: () => number,
  ) {
    for (const ins of engine.state.registry.all) {
      const list = this.byVenue.get(ins.venue) ?? [];
      list.push(ins.idx);
      this.byVenue.set(ins.venue, list);
    }
    for (const [venue, count] of VENUE_ACCOUNTS) for (let k = 0; k < count; k++) this.accountVenue.push(venue);
  }

  next(prefix: string): PlannedOrder {
    const rnd = this.rnd;
    const a = Math.floor(rnd() * this.accountVenue.length);
    const list = this.byVenue.get(this.accountVenue[a]!)!;
    const i = list[Math.floor(rnd() * list.length)]!;
    const ins = this.engine.state.registry.get(i);
    const mark = this.engine.state.market.mark[i]!;
    const roll = rnd();
    const side = rnd() < 0.5 ? 'buy' : 'sell';
    let notional = 2_000 + rnd() * 40_000;
    if (roll < 0.01) notional *= 1_000; // fat finger
    const underlyingPrice = this.engine.state.market.mark[this.engine.state.universe.factorOf[i]!]!;
    let qtyNum: number;
    if (ins.inverse) qtyNum = Math.max(1, Math.round(notional / 10));
    else if (ins.isOption) qtyNum = notional / underlyingPrice;
    else qtyNum = notional / mark;
    const lot = ins.lotSize === 0n ? 1 : Number(ins.spec.lotSize);
    qtyNum = Math.max(lot, Math.round(qtyNum / lot) * lot);
    const qty = qtyNum.toFixed(ins.inverse ? 0 : this.universe.lotDecimals[i]!);
    let priceNum = mark * (1 + (side === 'buy' ? -1 : 1) * rnd() * 0.004);
    if (roll > 0.99) priceNum = mark * 1.3; // outside the collar
    const tick = ins.tickSizeF;
    priceNum = Math.max(tick, Math.round(priceNum / tick) * tick);
    const price = priceNum.toFixed(this.universe.tickDecimals[i]!);
    const market = roll > 0.97 && roll <= 0.99;
    const order: Order = market
      ? { clOrdId: `${prefix}${++this.seq}`, account: `a${a}`, instrument: ins.id, side, type: 'market', qty }
      : { clOrdId: `${prefix}${++this.seq}`, account: `a${a}`, instrument: ins.id, side, type: 'limit', qty, price };
    return { order, qty, price };
  }
}

// ------------------------------------------------------------------------------------------
// Phases
// ------------------------------------------------------------------------------------------

const now = (): number => performance.now();

function histogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
}

function summarize(h: Histogram): Record<string, number> {
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean),
  };
}

export interface Ctx {
  engine: Engine;
  market: Market;
  orders: OrderFactory;
  rnd: () => number;
  /** Engine time follows wall time from a fixed origin, so the engine's clocks run for real. */
  origin: number;
  epoch: number;
  expectedFills: number;
  sentFills: number;
}

function engineTs(ctx: Ctx): number {
  return ctx.epoch + (now() - ctx.origin);
}

function env<E extends InputEvent>(ts: number, e: E): Envelope<E> {
  return { v: 1, ts, ...e } as Envelope<E>;
}

/** Phase 1: closed-loop market event apply rate. */
function applyRate(ctx: Ctx, count: number): { eventsPerSec: number; runs: number[] } {
  const n = ctx.engine.state.registry.size;
  const events: Envelope<InputEvent>[] = [];
  const ts0 = engineTs(ctx);
  for (let k = 0; k < count; k++) events.push(env(0, ctx.market.event(Math.floor(ctx.rnd() * n), ts0, ctx.rnd())));
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const base = engineTs(ctx);
    for (let k = 0; k < count; k++) events[k]!.ts = base;
    const t0 = now();
    for (let k = 0; k < count; k++) ctx.engine.process(events[k]!);
    const seconds = (now() - t0) / 1000;
    runs.push(Math.round(count / seconds));
  }
  runs.sort((a, b) => a - b);
  return { eventsPerSec: runs[2]!, runs };
}

/** Phase 2: closed-loop check throughput (checks only; cancels applied between timed blocks). */
function checkThroughput(ctx: Ctx, total: number): { checksPerSec: number; approvedRatio: number; runs: number[]; rejectReasons: Record<string, number> } {
  const runs: number[] = [];
  const rejectReasons: Record<string, number> = {};
  let approved = 0;
  let checked = 0;
  const block = 1000;
  for (let r = 0; r < 5; r++) {
    const templates: PlannedOrder[] = [];
    for (let k = 0; k < ORDER_POOL; k++) templates.push(ctx.orders.next(`t${r}-`));
    const planned = templates.map((p) => p.order);
    let elapsed = 0;
    for (let b = 0; b < total; b += block) {
      const ts = engineTs(ctx);
      const end = Math.min(total, b + block);
      const batch: Order[] = [];
      for (let k = b; k < end; k++) batch.push({ ...planned[k % ORDER_POOL]!, clOrdId: `t${r}-${k}` });
      const t0 = now();
      for (let k = 0; k < batch.length; k++) {
        const d = ctx.engine.check(batch[k]!, ts);
        if (d.approved) approved++;
        else for (const r of d.reasons) rejectReasons[r.code] = (rejectReasons[r.code] ?? 0) + 1;
      }
      elapsed += now() - t0;
      checked += end - b;
      for (const o of batch) ctx.engine.process(env(ts, { type: 'order.cancel', account: o.account, clOrdId: o.clOrdId }));
      ctx.engine.drainOutputs();
    }
    runs.push(Math.round(total / (elapsed / 1000)));
  }
  runs.sort((a, b) => a - b);
  return { checksPerSec: runs[2]!, approvedRatio: approved / checked, runs, rejectReasons };
}

const ORDER_POOL = 20_000;
const MARKET_POOL = 50_000;

/** A FIFO of lifecycle reports with their due times, on a growable ring; a slot is cleared once shifted. */
class LifecycleFifo {
  private due = new Float64Array(1024);
  private events: Array<InputEvent | undefined> = new Array<InputEvent | undefined>(1024).fill(undefined);
  private head = 0;
  size = 0;

  push(due: number, event: InputEvent): void {
    if (this.size === this.events.length) this.grow();
    const slot = (this.head + this.size) & (this.events.length - 1);
    this.due[slot] = due;
    this.events[slot] = event;
    this.size++;
  }

  /** When the oldest report is due (infinity when there is none). */
  headDue(): number {
    return this.size > 0 ? this.due[this.head]! : Number.POSITIVE_INFINITY;
  }

  shift(): InputEvent {
    const event = this.events[this.head]!;
    this.events[this.head] = undefined;
    this.head = (this.head + 1) & (this.events.length - 1);
    this.size--;
    return event;
  }

  private grow(): void {
    const cap = this.events.length * 2;
    const due = new Float64Array(cap);
    const events = new Array<InputEvent | undefined>(cap).fill(undefined);
    for (let k = 0; k < this.size; k++) {
      const slot = (this.head + k) & (this.events.length - 1);
      due[k] = this.due[slot]!;
      events[k] = this.events[slot];
    }
    this.due = due;
    this.events = events;
    this.head = 0;
  }
}

/** Phase 3: open-loop latency at a fixed check rate, with market data and order lifecycle. */
function openLoop(ctx: Ctx, rate: number, seconds: number, marketRate: number, fillRatio: number): Record<string, unknown> {
  // The first second is a warm-up, not recorded: the pools below get promoted out of the young
  // generation and the JIT settles, so the figures describe the steady state.
  const warm = Math.round(rate * 1);
  const measured = Math.round(rate * seconds);
  const total = warm + measured;
  // Pools, not one object per message: the bench must not fill the heap the engine's GC then has
  // to walk. Each check gets a fresh order object (as a gateway's parser would produce), built
  // from a template just before it is due; market events are reused cyclically.
  const planned: PlannedOrder[] = [];
  for (let k = 0; k < ORDER_POOL; k++) planned.push(ctx.orders.next(`r${rate}-`));
  const n = ctx.engine.state.registry.size;
  const marketTotal = Math.round(marketRate * (seconds + 1));
  const marketEvents: Envelope<InputEvent>[] = [];
  const ts0 = engineTs(ctx);
  for (let k = 0; k < MARKET_POOL; k++) marketEvents.push(env(ts0, ctx.market.event(Math.floor(ctx.rnd() * n), ts0, ctx.rnd())));
  const latency = histogram();
  const service = histogram();
  const checkIntervalMs = 1000 / rate;
  const marketIntervalMs = 1000 / marketRate;
  // Lifecycle reports are due a fixed delay after approval: a FIFO is enough (same delay each).
  // Ring buffers that drop a report once it is applied, so it dies young as it would in a gateway
  // (an array trimmed now and then kept every report ~1 s, promoting it to the old generation).
  const acks = new LifecycleFifo();
  const finals = new LifecycleFifo();
  let k = 0;
  let m = 0;
  let firstMeasured = 0;
  let lastDone = 0;
  let approved = 0;
  const reasonCounts: Record<string, number> = {};
  const engine = ctx.engine;
  // Engine calls that took over 1 ms, by what they were: where the tail comes from.
  const stalls: Record<string, { count: number; maxMs: number }> = {};
  // The label is built only for a stall: a string per event would be the bench's own garbage.
  const noteStall = (prefix: string, type: string, ms: number): void => {
    if (ms < 1 || k < warm) return;
    const what = prefix === '' ? type : `${prefix} ${type}`;
    const s = (stalls[what] ??= { count: 0, maxMs: 0 });
    s.count++;
    if (ms > s.maxMs) s.maxMs = Math.round(ms * 100) / 100;
  };
  const spinPerMs = calibrateSpin();
  const gcProfiler = new GCProfiler();
  // Setup and the pools above leave tens of MB of garbage in the old generation; collect it now
  // (npm run bench:check passes --expose-gc) so the measured window does not pay for the setup's
  // major GC. Collections the workload itself causes still land in the window and are reported.
  fullGc();
  const start = now() + 5;
  while (now() < start) {
    /* align */
  }
  const end = start + (seconds + 1) * 1000 + 5000;
  for (;;) {
    const t = now();
    // The engine's input is one queue: whatever arrived first is applied first, whether a check,
    // a market event or an order report (serving checks first would starve the reports and let
    // reservations pile up whenever the loop falls behind).
    const nextCheck = k < total ? start + k * checkIntervalMs : Number.POSITIVE_INFINITY;
    const nextMarket = m < marketTotal ? start + m * marketIntervalMs : Number.POSITIVE_INFINITY;
    const nextAck = acks.headDue();
    const nextFinal = finals.headDue();
    const first = Math.min(nextCheck, nextMarket, nextAck, nextFinal);
    if (first <= t && first === nextCheck) {
      const p = planned[k % ORDER_POOL]!;
      const order = { ...p.order, clOrdId: `r${rate}-${k}` };
      const ts = ctx.epoch + (t - ctx.origin);
      const d = engine.check(order, ts);
      const done = now();
      const recording = k >= warm;
      if (k === warm) {
        firstMeasured = nextCheck;
        gcProfiler.start();
      }
      lastDone = done;
      if (recording) {
        noteStall('', 'check', done - t);
        latency.recordValue(Math.max(1, Math.round((done - nextCheck) * 1e6)));
        service.recordValue(Math.max(1, Math.round(d.computeNs)));
      }
      if (d.approved) {
        if (recording) approved++;
        const o = order;
        acks.push(done + 0.2, { type: 'order.ack', account: o.account, clOrdId: o.clOrdId });
        if (ctx.rnd() < fillRatio) {
          finals.push(done + 2, { type: 'fill', account: o.account, execId: `x-${o.clOrdId}`, clOrdId: o.clOrdId, instrument: o.instrument, side: o.side, qty: p.qty, price: p.price });
          ctx.sentFills++;
        } else finals.push(done + 2, { type: 'order.cancel', account: o.account, clOrdId: o.clOrdId });
      } else if (recording) {
        for (const r of d.reasons) reasonCounts[r.code] = (reasonCounts[r.code] ?? 0) + 1;
      }
      k++;
      continue;
    }
    if (first <= t && first === nextMarket) {
      const ev = marketEvents[m++ % MARKET_POOL]!;
      ev.ts = ctx.epoch + (t - ctx.origin);
      engine.process(ev);
      noteStall('market', ev.type, now() - t);
      continue;
    }
    if (first <= t && first === nextAck) {
      engine.process(env(ctx.epoch + (t - ctx.origin), acks.shift()));
      noteStall('', 'order.ack', now() - t);
      continue;
    }
    if (first <= t && first === nextFinal) {
      const ev = finals.shift();
      engine.process(env(ctx.epoch + (t - ctx.origin), ev));
      noteStall('', ev.type, now() - t);
      continue;
    }
    if (engine.state.outbox.length > 1024) engine.drainOutputs();
    if (k >= total && m >= marketTotal && acks.size === 0 && finals.size === 0) break;
    if (t > end) throw new Error(`open loop at ${rate}/s did not finish: ${k}/${total} checks (engine cannot keep up)`);
    // Nothing due yet: wait for about half the gap (at most 10 µs) without reading the clock.
    // performance.now() returns a freshly boxed double, so a loop spinning on it fed the young
    // generation ~100 MB/s of the bench's own garbage, and the engine paid for it in scavenges;
    // a production engine idles in epoll between inputs and allocates nothing.
    if (first > t) spinSink ^= spin(Math.min(first - t, 0.02) * 0.5 * spinPerMs);
  }
  const gc = gcSummary(gcProfiler.stop());
  engine.drainOutputs();
  const elapsed = (lastDone - firstMeasured) / 1000;
  return {
    rate,
    seconds,
    warmupSeconds: 1,
    checks: measured,
    /** Checks answered per second over the measured window (below `rate` when the engine falls behind). */
    achievedChecksPerSec: Math.round(measured / elapsed),
    marketEventsPerSec: marketRate,
    approvedRatio: Math.round((approved / measured) * 1e4) / 1e4,
    rejectReasons: reasonCounts,
    latencyNs: summarize(latency),
    serviceNs: summarize(service),
    stallsOver1ms: stalls,
    /** V8 collections during the measured window, by kind: the other place the tail comes from. */
    gc,
  };
}

/** Integer work that allocates nothing; its result goes to `spinSink` so it is not optimized away. */
function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + i) | 0;
  return x;
}
let spinSink = 0;

/** Spin iterations per millisecond on this machine (the minimum of a few timed runs' durations). */
function calibrateSpin(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const t0 = now();
    spinSink ^= spin(1_000_000);
    best = Math.min(best, now() - t0);
  }
  return 1_000_000 / Math.max(best, 1e-3);
}

/** A full collection when the process runs with --expose-gc (no-op otherwise). */
function fullGc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** GC pauses by kind (count, total and longest, ms) from a GCProfiler recording. */
function gcSummary(recording: ReturnType<GCProfiler['stop']>): Record<string, { count: number; totalMs: number; maxMs: number }> {
  const out: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  for (const g of recording?.statistics ?? []) {
    const s = (out[g.gcType] ??= { count: 0, totalMs: 0, maxMs: 0 });
    const ms = g.cost / 1000;
    s.count++;
    s.totalMs += ms;
    if (ms > s.maxMs) s.maxMs = ms;
  }
  for (const s of Object.values(out)) {
    s.totalMs = Math.round(s.totalMs * 100) / 100;
    s.maxMs = Math.round(s.maxMs * 100) / 100;
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Setup and verification
// ------------------------------------------------------------------------------------------

export function setup(opts: Options): Ctx {
  const random = new SeededRandom(opts.seed);
  const rnd = (): number => random.next();
  const universe = buildUniverse(rnd);
  const registry = InstrumentRegistry.of(universe.specs);
  const config = riskConfig(registry);
  const engine = new Engine(registry, config, { varSeed: varSeed(rnd), timer: () => performance.now() * 1e6 });
  const market = new Market(universe, registry, rnd);
  const ctx: Ctx = { engine, market, orders: new OrderFactory(engine, universe, rnd), rnd, origin: now(), epoch: Date.UTC(2026, 10, 26, 12, 0, 0), expectedFills: 0, sentFills: 0 };
  const ts = engineTs(ctx);
  // Every instrument priced (both a quote and, for derivatives, a mark or option ticker).
  for (const ins of registry.all) {
    // A quote (kind 0.8 is a quote for every instrument), then the venue mark or option ticker.
    engine.process(env(ts, market.event(ins.idx, ts, 0.8)));
    if (ins.kind === 'perpetual' || ins.isOption) engine.process(env(ts, market.event(ins.idx, ts, 0.1)));
  }
  for (let a = 0; a < ctx.orders.accountVenue.length; a++) {
    engine.process(env(ts, { type: 'transfer', account: `a${a}`, transferId: `seed-${a}`, currency: 'USDT', amount: '50000000' }));
  }
  // Positions: ~10 per account; resting orders: 5 per account (acked, never filled).
  let filled = 0;
  for (let k = 0; k < 3000 && filled < 1000; k++) {
    const p = ctx.orders.next('seed-');
    const d = engine.check(p.order, engineTs(ctx));
    if (!d.approved) continue;
    const o = p.order;
    engine.process(env(engineTs(ctx), { type: 'fill', account: o.account, execId: `seed-x-${o.clOrdId}`, clOrdId: o.clOrdId, instrument: o.instrument, side: o.side, qty: p.qty, price: p.price }));
    filled++;
  }
  let resting = 0;
  for (let k = 0; k < 3000 && resting < 500; k++) {
    const p = ctx.orders.next('rest-');
    const d = engine.check(p.order, engineTs(ctx));
    if (!d.approved) continue;
    engine.process(env(engineTs(ctx), { type: 'order.ack', account: p.order.account, clOrdId: p.order.clOrdId }));
    resting++;
  }
  ctx.expectedFills = filled;
  engine.drainOutputs();
  return ctx;
}

/** Checks on the engine's state after a phase: the bench cannot time a broken engine. */
function verifyState(ctx: Ctx): string[] {
  const problems: string[] = [];
  const s = ctx.engine.state;
  if (s.reservations.size < 450) problems.push(`resting orders lost: ${s.reservations.size} reservations left, expected >= 450`);
  // The exact ledger agrees with the engine's own mirrors: every leg's quantity equals the ledger's.
  let legs = 0;
  for (const leg of s.legs.values()) {
    const pos = s.ledger.position(leg.account, leg.instrument);
    if ((pos?.qty ?? 0n) !== leg.qty) problems.push(`leg ${leg.account}/${leg.instrument}: engine ${leg.qty} vs ledger ${pos?.qty}`);
    if (leg.qty !== 0n) legs++;
  }
  if (legs < 500) problems.push(`only ${legs} open positions`);
  return problems;
}

function checkRatio(what: string, ratio: number, reasons: Record<string, number> | undefined): string[] {
  const problems: string[] = [];
  if (ratio < 0.8 || ratio > 0.995) problems.push(`${what}: approval ratio ${ratio} outside [0.8, 0.995]`);
  if (reasons !== undefined && (!reasons.ORDER_MAX_NOTIONAL || !reasons.ORDER_PRICE_COLLAR)) problems.push(`${what}: expected fat-finger and collar rejections, got ${JSON.stringify(reasons)}`);
  return problems;
}

/** Runs one phase in this process (a child): setup, the phase, state verification. */
function runPhase(opts: Options, phase: string): Record<string, unknown> {
  const ctx = setup(opts);
  let result: Record<string, unknown>;
  let problems: string[];
  if (phase === 'apply') {
    result = applyRate(ctx, 500_000);
    problems = [];
  } else if (phase === 'throughput') {
    const t = checkThroughput(ctx, 100_000);
    result = t;
    problems = checkRatio('throughput', t.approvedRatio, undefined);
  } else if (phase.startsWith('open:')) {
    const r = openLoop(ctx, Number(phase.slice(5)), opts.seconds, opts.marketRate, opts.fillRatio);
    result = r;
    problems = checkRatio(`open loop ${String(r.rate)}/s`, r.approvedRatio as number, r.rejectReasons as Record<string, number>);
  } else throw new Error(`unknown phase ${phase}`);
  const s = ctx.engine.state;
  return { ...result, problems: [...problems, ...verifyState(ctx)], counters: { ...s.counters } };
}

/** One process per configuration (STYLE §14): a phase never inherits another's heap. */
function child(opts: Options, phase: string): Record<string, unknown> {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--phase', phase, '--seconds', String(opts.seconds), '--market-rate', String(opts.marketRate), '--fill-ratio', String(opts.fillRatio), '--seed', String(opts.seed)];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  const last = out.trimEnd().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

// ------------------------------------------------------------------------------------------

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.phase !== undefined) {
    process.stdout.write(`${JSON.stringify(runPhase(opts, opts.phase))}\n`);
    return;
  }
  const machine = machineInfo();
  const log = (line: string): void => {
    if (!opts.json) process.stdout.write(`${line}\n`);
    else process.stderr.write(`${line}\n`);
  };
  log(`machine: ${machineLine(machine)}`);
  log(`universe: 1,000 instruments (50 underlyings), 100 accounts in 10 strategies, ~1,000 positions, 500 resting orders; each phase in its own process`);
  const apply = child(opts, 'apply');
  log(`market apply: ${(apply.eventsPerSec as number).toLocaleString('en-US')} events/s (median of ${(apply.runs as number[]).join(', ')})`);
  const throughput = child(opts, 'throughput');
  log(`check throughput (closed loop): ${(throughput.checksPerSec as number).toLocaleString('en-US')} checks/s (median of ${(throughput.runs as number[]).join(', ')}), approved ${((throughput.approvedRatio as number) * 100).toFixed(1)}%`);
  const latency: Array<Record<string, unknown>> = [];
  for (const rate of opts.rates) {
    const r = child(opts, `open:${rate}`);
    latency.push(r);
    const l = r.latencyNs as Record<string, number>;
    const sv = r.serviceNs as Record<string, number>;
    log(`open loop ${rate.toLocaleString('en-US')} checks/s + ${opts.marketRate.toLocaleString('en-US')} market events/s: latency p50 ${l.p50} ns, p99 ${l.p99} ns, p99.9 ${l.p999} ns, max ${l.max} ns; engine compute p50 ${sv.p50} ns p99 ${sv.p99} ns; approved ${((r.approvedRatio as number) * 100).toFixed(1)}%`);
  }
  const problems = [apply, throughput, ...latency].flatMap((r) => r.problems as string[]);
  const result = {
    bench: 'check',
    date: new Date().toISOString(),
    machine,
    config: { instruments: 1000, accounts: 100, strategies: 10, restingOrders: 500, seconds: opts.seconds, rates: opts.rates, marketRate: opts.marketRate, fillRatio: opts.fillRatio, seed: opts.seed, node: process.execArgv },
    marketApply: apply,
    checkThroughput: throughput,
    openLoop: latency,
    verification: { ok: problems.length === 0, problems },
  };
  const path = saveResult('check', result);
  log(`saved ${path}`);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`VERIFICATION FAILED: ${p}\n`);
    process.exitCode = 1;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
