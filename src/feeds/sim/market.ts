/**
 * The simulator's market model: one seeded, virtual-clock process that every simulated venue
 * encodes into its own wire protocol.
 *
 * Prices (all in USD, per calibrated asset):
 *   ln S_i += (mu_i dt) + (L z)_i sqrt(dt) + beta_i J,      dt in years of 365 days
 *   - L = Cholesky factor of the diffusive covariance Sigma_d = Sigma - c beta beta^T, where
 *     Sigma_ij = vol_i vol_j rho_ij is the calibrated covariance, beta_i = vol_i / vol_BTC and
 *     c = lambda E[J^2]. Jumps add c beta beta^T back, so the TOTAL return covariance equals the
 *     calibrated one (vols and correlations are reproduced with or without jumps).
 *   - J: market-wide Merton jumps, Poisson(lambda dt) arrivals, each N(meanLog, stdLog) for BTC and
 *     beta_i times that for asset i (crypto crashes are common to all coins).
 *   - mu_i = -Sigma_d,ii / 2 - lambda (E[exp(beta_i J)] - 1): S_i is a martingale.
 * Stablecoins (USDT, USDC): ln P is an Ornstein-Uhlenbeck process around the peg (ln 1 = 0).
 *
 * Instruments: price in quote units = P(base) / P(quote), then
 *   spot         x (1 + venue basis + basis noise)
 *   perpetual    mark = index x (1 + venue basis + funding rate); traded mid = mark x (1 + noise)
 *   future       mark = index x (1 + venue basis + carry x T_expiry); traded mid = mark x (1 + noise)
 *   option       Black-76 on F = P(base) x (1 + carry x T) with an IV surface (below); premium in
 *                coin (= USD / F) for inverse options, in quote currency otherwise
 * Venue basis: fixed per instrument, uniform in +-venueMaxBps; basis noise and funding rates are
 * OU processes (funding per 8 h settlement, on the 00/08/16 UTC clock).
 * IV surface per underlying: sigma(K, T) = atm(T) (1 + skew x + smile x^2), x = ln(K/F)/sqrt(T),
 * atm(T) = atm (T / 30d)^termSlope, atm an OU in log space around the calibrated level (BTC: last
 * DVOL; other coins: DVOL x realised vol ratio to BTC).
 *
 * Books: `levels` price levels per side at integer tick prices around the traded mid, spread and
 * level gap from bps of the price (options: percent of the mark), sizes in whole lots. A `book`
 * tick re-centres the book on the current mid (removing crossed levels, adding a new top, keeping
 * `levels` per side) and changes a few sizes; it carries only changed levels, size "0" removes. A
 * trade takes size at the touch and is followed by the `book` tick of the level it consumed.
 *
 * Every price and size on a tick is an integer count of ticks or lots formatted exactly
 * (`formatScaled`), with as many decimals as the tick or lot size has.
 *
 * Flow: `messagesPerSecond` SimTicks in total, split by `mix` (a trade event counts as two ticks:
 * the trade and its book change). Each step gets `rate x min(dt, maxBurstMs)` worth of credit, so a
 * long event-loop stall does not release an unbounded burst. Instruments are drawn uniformly among
 * those eligible for the kind (mark: perpetuals and futures; option: options); an expired future or
 * option gets no more ticks (its share of the flow is not redistributed).
 *
 * Determinism: the price path uses its own random stream, so it depends on the seed and the step
 * sequence only; the flow and per-instrument noise use other streams. Same seed, same instruments,
 * same parameters and the same sequence of `step(dt)` calls give identical ticks.
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { black76, newGreeks } from '../../risk/options/black76.js';
import { formatScaled, parseScaled } from '../decimal.js';
import { STABLECOINS, type SimCalibration } from './calibration.js';
import { SeededRandom } from './random.js';
import type { SimMarketDriver } from './server.js';
import type { SimBook, SimTick } from './types.js';

export const MS_PER_YEAR = 365 * 86_400_000;
export const FUNDING_INTERVAL_MS = 8 * 3_600_000;
const THIRTY_DAYS_YEARS = 30 / 365;

export interface SimModelParams {
  calibration: SimCalibration;
  /** Market-wide jumps: arrivals per year; log jump size of BTC ~ N(meanLog, stdLog). */
  jumps: { intensityPerYear: number; meanLog: number; stdLog: number };
  /** Venue basis: fixed, uniform in +-venueMaxBps; noise: OU with this sd (bps) and half-life (s). */
  basis: { venueMaxBps: number; noiseBps: number; halfLifeSec: number };
  /** Annualised carry of dated futures and option forwards (F = index x (1 + carry x T)). */
  futuresCarryAnnual: number;
  /** IV surface shape and dynamics (see the module comment). volOfVol: stationary sd of ln atm. */
  iv: { termSlope: number; skew: number; smile: number; volOfVol: number; halfLifeHours: number; min: number; max: number };
}

export interface SimFlowParams {
  /** SimTicks per second, all instruments together. */
  messagesPerSecond: number;
  /** Shares of the rate; normalised over the kinds that have eligible instruments. */
  mix: { book: number; trade: number; mark: number; option: number };
  /** Longest interval one step generates messages for. */
  maxBurstMs: number;
}

export interface SimBookParams {
  levels: number;
  spreadBps: number;
  levelGapBps: number;
  /** Average USD value of a level (options: see optionLevelContracts). */
  levelNotionalUsd: number;
  optionSpreadPct: number;
  optionLevelContracts: number;
  /** Levels whose size changes on each book tick, besides re-centring. */
  sizeChangesPerUpdate: number;
}

export interface SimMarketOptions {
  instruments: readonly Instrument[];
  seed: number;
  /** Virtual clock origin, ms since the epoch. */
  startMs: number;
  model: SimModelParams;
  flow: SimFlowParams;
  book: SimBookParams;
}

export type SimMarketResult = { ok: true; market: SimMarket } | { ok: false; errors: string[] };

/** Price sources: >= 0 an asset index; USD; <= -2 a peg index (-2 - i). */
const USD = -1;

interface InstrumentState {
  readonly ins: Instrument;
  readonly base: number;
  readonly quote: number;
  readonly tickUnits: number;
  readonly tickDecimals: number;
  readonly tickSize: number;
  readonly lotUnits: number;
  readonly lotDecimals: number;
  /** Decimals of reference prices (option underlying/index): about 6 significant digits. */
  readonly refDecimals: number;
  readonly venueBasis: number;
  basisNoise: number;
  basisAt: number;
  funding: number;
  fundingAt: number;
  spreadTicks: number;
  gapTicks: number;
  levelLots: number;
  readonly bids: BookSide;
  readonly asks: BookSide;
  /** The last `book()` answer, shared until the book changes. */
  snapshot: SimBook | null;
  tradeId: number;
}

/**
 * One side, best first (bids descending, asks ascending): prices in ticks, sizes in lots, and the
 * formatted level of each, so strings are built once per change and shared by ticks and snapshots.
 */
interface BookSide {
  readonly px: number[];
  readonly sz: number[];
  readonly lv: Level[];
}

type FlowKind = 'book' | 'trade' | 'mark' | 'option';
const FLOW_KINDS: readonly FlowKind[] = ['book', 'trade', 'mark', 'option'];
const TICKS_PER_EVENT: Readonly<Record<FlowKind, number>> = { book: 1, trade: 2, mark: 1, option: 1 };

export class SimMarket implements SimMarketDriver {
  readonly instruments: readonly Instrument[];
  private readonly options: SimMarketOptions;
  private clock: number;

  private readonly assetSymbols: readonly string[];
  private readonly logPrice: Float64Array;
  private readonly price: Float64Array;
  private readonly drift: Float64Array;
  private readonly beta: Float64Array;
  private readonly chol: Float64Array;
  private readonly z: Float64Array;
  private readonly pegSymbols: readonly string[];
  private readonly pegLog: Float64Array;
  private readonly pegDecay: { halfLifeMs: number; sd: number }[];
  private readonly atmBase: Float64Array;
  private readonly atmLog: Float64Array;
  private readonly atmAt: Float64Array;

  private readonly states: InstrumentState[];
  private readonly byIdx = new Map<number, InstrumentState>();
  private readonly eligible: Record<FlowKind, InstrumentState[]>;
  private readonly share: Record<FlowKind, number>;
  private readonly credit: Record<FlowKind, number> = { book: 0, trade: 0, mark: 0, option: 0 };

  private readonly priceRandom: SeededRandom;
  private readonly flowRandom: SeededRandom;
  private readonly noiseRandom: SeededRandom;
  private readonly greeks = newGreeks();

  // Scratch change list for one book tick (reused; the level tuples escape in the tick).
  private readonly changeSide: BookSide[] = [];
  private readonly changePx: number[] = [];
  private readonly changeLevel: Level[] = [];

  private constructor(options: SimMarketOptions, parts: ModelParts) {
    this.options = options;
    this.instruments = options.instruments;
    this.clock = options.startMs;
    this.assetSymbols = parts.assetSymbols;
    const k = parts.assetSymbols.length;
    this.logPrice = new Float64Array(k);
    this.price = new Float64Array(k);
    this.drift = parts.drift;
    this.beta = parts.beta;
    this.chol = parts.chol;
    this.z = new Float64Array(k);
    const cal = options.model.calibration;
    for (let i = 0; i < k; i++) {
      this.price[i] = cal.assets.lastClose[i]!;
      this.logPrice[i] = Math.log(this.price[i]!);
    }
    this.pegSymbols = cal.pegs.map((p) => p.symbol);
    this.pegLog = new Float64Array(cal.pegs.map((p) => Math.log(p.lastClose)));
    this.pegDecay = cal.pegs.map((p) => ({ halfLifeMs: p.halfLifeDays * 86_400_000, sd: p.stationarySd }));
    this.atmBase = new Float64Array(k);
    const btc = parts.assetSymbols.indexOf('BTC');
    for (let i = 0; i < k; i++) {
      const ratio = btc >= 0 ? cal.assets.annualVol[i]! / cal.assets.annualVol[btc]! : 1;
      this.atmBase[i] = cal.btcAtmVol * ratio;
    }
    this.atmLog = new Float64Array(this.atmBase.map((v) => Math.log(v)));
    this.atmAt = new Float64Array(k).fill(options.startMs);
    const root = new SeededRandom(options.seed);
    this.priceRandom = root.derive(1);
    this.flowRandom = root.derive(2);
    this.noiseRandom = root.derive(3);
    this.states = parts.instruments.map((r) => this.newState(r));
    for (const st of this.states) this.byIdx.set(st.ins.idx, st);
    this.eligible = {
      book: this.states,
      trade: this.states,
      mark: this.states.filter((s) => s.ins.kind === 'perpetual' || s.ins.kind === 'future'),
      option: this.states.filter((s) => s.ins.isOption),
    };
    const mix = options.flow.mix;
    let total = 0;
    for (const kind of FLOW_KINDS) if (this.eligible[kind].length > 0) total += Math.max(0, mix[kind]);
    this.share = { book: 0, trade: 0, mark: 0, option: 0 };
    for (const kind of FLOW_KINDS) this.share[kind] = total > 0 && this.eligible[kind].length > 0 ? Math.max(0, mix[kind]) / total : 0;
    for (const st of this.states) this.initBook(st);
  }

  /** Builds a market, or lists every problem (unknown currencies, bad tick sizes, no PSD covariance). */
  static create(options: SimMarketOptions): SimMarketResult {
    const errors: string[] = [];
    const parts = buildModel(options, errors);
    if (parts === undefined || errors.length > 0) return { ok: false, errors };
    return { ok: true, market: new SimMarket(options, parts) };
  }

  /* SimMarketView ---------------------------------------------------------------------------- */

  now(): number {
    return Math.floor(this.clock);
  }

  /** The full book; the same object until the book changes (treat it as read-only). */
  book(instrument: Instrument): SimBook {
    const st = this.byIdx.get(instrument.idx);
    if (st === undefined) return { bids: [], asks: [] };
    st.snapshot ??= { bids: st.bids.lv.slice(), asks: st.asks.lv.slice() };
    return st.snapshot;
  }

  /**
   * (best bid + best ask) / 2, exact (one more decimal than the tick when the sum is odd); the
   * other side's best when one side is empty (a worthless option has no bids); "0" for no book.
   * Reading never advances the model, so venues may call it freely without changing the ticks.
   */
  mid(instrument: Instrument): string {
    const st = this.byIdx.get(instrument.idx);
    if (st === undefined) return '0';
    if (st.bids.lv.length === 0 || st.asks.lv.length === 0) return st.asks.lv[0]?.[0] ?? st.bids.lv[0]?.[0] ?? '0';
    const twice = (st.bids.px[0]! + st.asks.px[0]!) * st.tickUnits;
    if (twice % 2 === 0) return formatScaled(twice / 2, st.tickDecimals) ?? '0';
    return formatScaled(twice * 5, st.tickDecimals + 1) ?? '0';
  }

  /** Current USD price of a calibrated asset or stablecoin (tests, diagnostics); NaN if unknown. */
  assetPrice(symbol: string): number {
    if (symbol === 'USD') return 1;
    const a = this.assetSymbols.indexOf(symbol);
    if (a >= 0) return this.price[a]!;
    const p = this.pegSymbols.indexOf(symbol);
    return p >= 0 ? Math.exp(this.pegLog[p]!) : Number.NaN;
  }

  /* Driver ----------------------------------------------------------------------------------- */

  step(dtMs: number, emit: (tick: SimTick) => void): void {
    if (!(dtMs > 0) || !Number.isFinite(dtMs)) return;
    this.clock += dtMs;
    this.evolve(dtMs);
    const flow = this.options.flow;
    const seconds = Math.min(dtMs, flow.maxBurstMs) / 1_000;
    let remaining = 0;
    const due = this.due;
    for (let k = 0; k < FLOW_KINDS.length; k++) {
      const kind = FLOW_KINDS[k]!;
      this.credit[kind] += (flow.messagesPerSecond * this.share[kind] * seconds) / TICKS_PER_EVENT[kind];
      const n = Math.floor(this.credit[kind]);
      this.credit[kind] -= n;
      due[k] = n;
      remaining += n;
    }
    if (remaining === 0) return;
    const ts = Math.floor(this.clock);
    // Interleave the kinds, as a venue's stream interleaves channels.
    while (remaining > 0) {
      for (let k = 0; k < FLOW_KINDS.length; k++) {
        if (due[k]! === 0) continue;
        due[k]!--;
        remaining--;
        const kind = FLOW_KINDS[k]!;
        const pool = this.eligible[kind];
        const st = pool[this.flowRandom.int(pool.length)]!;
        if (st.ins.expiryMs <= this.clock) continue; // expired: the venue no longer streams it
        switch (kind) {
          case 'book':
            this.bookEvent(st, ts, emit);
            break;
          case 'trade':
            this.tradeEvent(st, ts, emit);
            break;
          case 'mark':
            this.markEvent(st, ts, emit);
            break;
          case 'option':
            this.optionEvent(st, ts, emit);
            break;
        }
      }
    }
  }

  private readonly due: number[] = [0, 0, 0, 0];

  private evolve(dtMs: number): void {
    const k = this.price.length;
    const dtYears = dtMs / MS_PER_YEAR;
    const sqrtDt = Math.sqrt(dtYears);
    const rnd = this.priceRandom;
    const z = this.z;
    for (let i = 0; i < k; i++) z[i] = rnd.normal();
    const jumps = this.options.model.jumps;
    let jump = 0;
    if (jumps.intensityPerYear > 0) {
      const n = rnd.poisson(jumps.intensityPerYear * dtYears);
      for (let j = 0; j < n; j++) jump += jumps.meanLog + jumps.stdLog * rnd.normal();
    }
    const chol = this.chol;
    for (let i = 0; i < k; i++) {
      let dw = 0;
      const row = i * k;
      for (let j = 0; j <= i; j++) dw += chol[row + j]! * z[j]!;
      const x = this.logPrice[i]! + this.drift[i]! * dtYears + dw * sqrtDt + this.beta[i]! * jump;
      this.logPrice[i] = x;
      this.price[i] = Math.exp(x);
    }
    for (let p = 0; p < this.pegLog.length; p++) {
      const d = this.pegDecay[p]!;
      this.pegLog[p] = ou(this.pegLog[p]!, 0, d.halfLifeMs, d.sd, dtMs, rnd.normal());
    }
  }

  /* Prices ----------------------------------------------------------------------------------- */

  private usd(source: number): number {
    if (source >= 0) return this.price[source]!;
    if (source === USD) return 1;
    return Math.exp(this.pegLog[-2 - source]!);
  }

  private index(st: InstrumentState): number {
    return this.usd(st.base) / this.usd(st.quote);
  }

  private yearsToExpiry(st: InstrumentState): number {
    return Number.isFinite(st.ins.expiryMs) ? Math.max(0, (st.ins.expiryMs - this.clock) / MS_PER_YEAR) : 0;
  }

  private basisNoise(st: InstrumentState): number {
    const b = this.options.model.basis;
    const dt = this.clock - st.basisAt;
    if (dt > 0) {
      st.basisNoise = ou(st.basisNoise, 0, b.halfLifeSec * 1_000, b.noiseBps / 10_000, dt, this.noiseRandom.normal());
      st.basisAt = this.clock;
    }
    return st.basisNoise;
  }

  private fundingRate(st: InstrumentState): number {
    const f = this.options.model.calibration.funding;
    const dt = this.clock - st.fundingAt;
    if (dt > 0) {
      st.funding = ou(st.funding, f.mean, f.halfLifeHours * 3_600_000, f.stationarySd, dt, this.noiseRandom.normal());
      st.fundingAt = this.clock;
    }
    return st.funding;
  }

  /** Mark (derivatives) in quote units, without the traded-price noise. */
  private mark(st: InstrumentState): number {
    const index = this.index(st);
    if (st.ins.kind === 'perpetual') return index * (1 + st.venueBasis + this.fundingRate(st));
    if (st.ins.kind === 'future') return index * (1 + st.venueBasis + this.options.model.futuresCarryAnnual * this.yearsToExpiry(st));
    return index * (1 + st.venueBasis);
  }

  /** The price the book centres on, in quote units (options: premium in settle units). */
  private fair(st: InstrumentState): number {
    if (st.ins.isOption) return this.optionPremium(st);
    return this.mark(st) * (1 + this.basisNoise(st));
  }

  private forward(st: InstrumentState): number {
    return this.usd(st.base) * (1 + this.options.model.futuresCarryAnnual * this.yearsToExpiry(st));
  }

  private impliedVol(st: InstrumentState, forward: number, tYears: number): number {
    const iv = this.options.model.iv;
    const a = st.base;
    const dt = this.clock - this.atmAt[a]!;
    if (dt > 0) {
      this.atmLog[a] = ou(this.atmLog[a]!, Math.log(this.atmBase[a]!), iv.halfLifeHours * 3_600_000, iv.volOfVol, dt, this.noiseRandom.normal());
      this.atmAt[a] = this.clock;
    }
    const t = Math.max(tYears, 1 / 365);
    const atm = Math.exp(this.atmLog[a]!) * Math.pow(t / THIRTY_DAYS_YEARS, iv.termSlope);
    const x = Math.log(st.ins.strikeF / forward) / Math.sqrt(t);
    const vol = atm * (1 + iv.skew * x + iv.smile * x * x);
    return Math.min(iv.max, Math.max(iv.min, vol));
  }

  /** Option premium in its quote/settle units; fills this.greeks (USD per unit of underlying). */
  private optionPremium(st: InstrumentState): number {
    const t = this.yearsToExpiry(st);
    const forward = this.forward(st);
    const vol = this.impliedVol(st, forward, t);
    black76(forward, st.ins.strikeF, t, vol, st.ins.isCall, this.greeks);
    this.lastIv = vol;
    this.lastForward = forward;
    return st.ins.inverse ? this.greeks.price / forward : this.greeks.price / this.usd(st.quote);
  }

  private lastIv = 0;
  private lastForward = 0;

  /* Events ----------------------------------------------------------------------------------- */

  private bookEvent(st: InstrumentState, ts: number, emit: (tick: SimTick) => void): void {
    this.resetChanges();
    this.recenter(st, this.fair(st) / st.tickSize, true);
    const changes = this.options.book.sizeChangesPerUpdate;
    for (let c = 0; c < changes; c++) {
      const side = this.flowRandom.next() < 0.5 ? st.bids : st.asks;
      const n = side.px.length;
      if (n === 0) continue;
      // Sizes near the touch change most often.
      const i = Math.min(n - 1, Math.floor(n * this.flowRandom.next() ** 2));
      this.setSize(st, side, i, this.levelSize(st));
      this.recordChange(side, side.px[i]!, side.lv[i]!);
    }
    this.emitBook(st, ts, emit);
  }

  private tradeEvent(st: InstrumentState, ts: number, emit: (tick: SimTick) => void): void {
    const fairTicks = this.fair(st) / st.tickSize;
    this.resetChanges();
    if (st.bids.px.length === 0 || st.asks.px.length === 0) this.recenter(st, fairTicks, true);
    const hasBid = st.bids.px.length > 0;
    const hasAsk = st.asks.px.length > 0;
    if (!hasBid && !hasAsk) return;
    const midTicks = hasBid && hasAsk ? (st.bids.px[0]! + st.asks.px[0]!) / 2 : fairTicks;
    const pBuy = 0.5 + 0.3 * Math.tanh((fairTicks - midTicks) / Math.max(1, st.spreadTicks));
    const buy = !hasBid || (hasAsk && this.flowRandom.next() < pBuy);
    const side = buy ? st.asks : st.bids;
    const available = side.sz[0]!;
    const qty = Math.min(available, 1 + Math.floor(available * this.flowRandom.next() ** 3));
    const price = side.px[0]!;
    const priceText = side.lv[0]![0];
    st.tradeId++;
    emit({ kind: 'trade', instrument: st.ins, ts, price: priceText, size: this.fmtLots(st, qty), side: buy ? 'buy' : 'sell', tradeId: st.tradeId });
    if (qty === available) {
      this.removeAt(st, side, 0);
      this.recordChange(side, price, [priceText, '0']);
    } else {
      this.setSize(st, side, 0, available - qty);
      this.recordChange(side, price, side.lv[0]!);
    }
    this.emitBook(st, ts, emit);
  }

  private markEvent(st: InstrumentState, ts: number, emit: (tick: SimTick) => void): void {
    const perp = st.ins.kind === 'perpetual';
    const markTicks = Math.round(this.mark(st) / st.tickSize);
    const indexTicks = Math.round(this.index(st) / st.tickSize);
    emit({
      kind: 'mark',
      instrument: st.ins,
      ts,
      markPrice: this.fmtPx(st, markTicks),
      indexPrice: this.fmtPx(st, indexTicks),
      fundingRate: perp ? (formatScaled(Math.round(this.fundingRate(st) * 1e8), 8) ?? '0') : '',
      nextFundingTs: perp ? (Math.floor(this.clock / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS : 0,
    });
  }

  private optionEvent(st: InstrumentState, ts: number, emit: (tick: SimTick) => void): void {
    const premium = this.optionPremium(st);
    const g = this.greeks;
    const markTicks = Math.max(0, Math.round(premium / st.tickSize));
    emit({
      kind: 'option',
      instrument: st.ins,
      ts,
      markPrice: this.fmtPx(st, markTicks),
      markIv: round(this.lastIv, 4),
      underlyingPrice: this.fmtRef(st, this.lastForward),
      indexPrice: this.fmtRef(st, this.usd(st.base)),
      delta: round(g.delta, 5),
      gamma: round(g.gamma, 5),
      vega: round(g.vega / 100, 5),
      theta: round(g.theta / 365, 5),
      bestBid: st.bids.lv.length > 0 ? st.bids.lv[0]![0] : '0',
      bestAsk: st.asks.lv.length > 0 ? st.asks.lv[0]![0] : '0',
    });
  }

  /* Books ------------------------------------------------------------------------------------ */

  private initBook(st: InstrumentState): void {
    const fair = this.fair(st);
    const params = this.options.book;
    if (st.ins.isOption) {
      st.spreadTicks = Math.max(1, Math.round((fair * params.optionSpreadPct) / 100 / st.tickSize));
      st.gapTicks = Math.max(1, Math.round(st.spreadTicks / 2));
      st.levelLots = Math.max(1, Math.round(params.optionLevelContracts / (st.lotUnits / 10 ** st.lotDecimals)));
    } else {
      st.spreadTicks = Math.max(1, Math.round((fair * params.spreadBps) / 10_000 / st.tickSize));
      st.gapTicks = Math.max(1, Math.round((fair * params.levelGapBps) / 10_000 / st.tickSize));
      const lot = st.lotUnits / 10 ** st.lotDecimals;
      // Linear: a lot is `lot x contractSize` base units; inverse: `lot x contractSize` USD.
      const usdPerLot = st.ins.inverse ? lot * st.ins.contractSizeF * this.usd(st.quote) : lot * st.ins.contractSizeF * this.usd(st.base);
      st.levelLots = Math.max(1, Math.round(params.levelNotionalUsd / usdPerLot));
    }
    this.resetChanges();
    this.recenter(st, fair / st.tickSize, false);
  }

  /** Re-centres the book on `fairTicks`, keeping `levels` per side; records changes when asked. */
  private recenter(st: InstrumentState, fairTicks: number, record: boolean): void {
    const levels = this.options.book.levels;
    const topBid = Math.floor(fairTicks - st.spreadTicks / 2);
    const topAsk = Math.max(1, topBid + st.spreadTicks);
    const { bids, asks } = st;
    while (bids.px.length > 0 && bids.px[0]! > topBid) this.removeRecorded(st, bids, 0, record);
    while (asks.px.length > 0 && asks.px[0]! < topAsk) this.removeRecorded(st, asks, 0, record);
    if (topBid >= 1 && (bids.px.length === 0 || bids.px[0]! < topBid)) this.insertRecorded(st, bids, 0, topBid, record);
    if (asks.px.length === 0 || asks.px[0]! > topAsk) this.insertRecorded(st, asks, 0, topAsk, record);
    while (bids.px.length < levels) {
      const p = bids.px.length === 0 ? topBid : bids.px[bids.px.length - 1]! - st.gapTicks;
      if (p < 1) break;
      this.insertRecorded(st, bids, bids.px.length, p, record);
    }
    while (asks.px.length < levels) this.insertRecorded(st, asks, asks.px.length, asks.px[asks.px.length - 1]! + st.gapTicks, record);
    while (bids.px.length > levels) this.removeRecorded(st, bids, bids.px.length - 1, record);
    while (asks.px.length > levels) this.removeRecorded(st, asks, asks.px.length - 1, record);
  }

  private insertRecorded(st: InstrumentState, side: BookSide, at: number, px: number, record: boolean): void {
    const sz = this.levelSize(st);
    const level: Level = [this.fmtPx(st, px), this.fmtLots(st, sz)];
    if (at === side.px.length) {
      side.px.push(px);
      side.sz.push(sz);
      side.lv.push(level);
    } else {
      side.px.splice(at, 0, px);
      side.sz.splice(at, 0, sz);
      side.lv.splice(at, 0, level);
    }
    st.snapshot = null;
    if (record) this.recordChange(side, px, level);
  }

  private removeRecorded(st: InstrumentState, side: BookSide, at: number, record: boolean): void {
    const px = side.px[at]!;
    const priceText = side.lv[at]![0];
    this.removeAt(st, side, at);
    if (record) this.recordChange(side, px, [priceText, '0']);
  }

  private removeAt(st: InstrumentState, side: BookSide, at: number): void {
    if (at === 0) {
      side.px.shift();
      side.sz.shift();
      side.lv.shift();
    } else if (at === side.px.length - 1) {
      side.px.pop();
      side.sz.pop();
      side.lv.pop();
    } else {
      side.px.splice(at, 1);
      side.sz.splice(at, 1);
      side.lv.splice(at, 1);
    }
    st.snapshot = null;
  }

  private setSize(st: InstrumentState, side: BookSide, at: number, sz: number): void {
    side.sz[at] = sz;
    side.lv[at] = [side.lv[at]![0], this.fmtLots(st, sz)];
    st.snapshot = null;
  }

  /** Lognormal around the instrument's average level size (mean 1, sd ~0.6), in whole lots. */
  private levelSize(st: InstrumentState): number {
    return Math.max(1, Math.round(st.levelLots * Math.exp(0.6 * this.flowRandom.normal() - 0.18)));
  }

  private resetChanges(): void {
    this.changeSide.length = 0;
    this.changePx.length = 0;
    this.changeLevel.length = 0;
  }

  /** Records a level change; a price changed twice in one tick keeps its last size. */
  private recordChange(side: BookSide, px: number, level: Level): void {
    for (let i = 0; i < this.changePx.length; i++) {
      if (this.changePx[i] === px && this.changeSide[i] === side) {
        this.changeLevel[i] = level;
        return;
      }
    }
    this.changeSide.push(side);
    this.changePx.push(px);
    this.changeLevel.push(level);
  }

  private emitBook(st: InstrumentState, ts: number, emit: (tick: SimTick) => void): void {
    const n = this.changePx.length;
    if (n === 0) return;
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < n; i++) {
      if (this.changeSide[i] === st.bids) bids.push(this.changeLevel[i]!);
      else asks.push(this.changeLevel[i]!);
    }
    emit({ kind: 'book', instrument: st.ins, ts, bids, asks });
  }

  /* Formatting ------------------------------------------------------------------------------- */

  private fmtPx(st: InstrumentState, ticks: number): string {
    // create() checked that 1000x the starting price stays a safe integer in tick units.
    return formatScaled(ticks * st.tickUnits, st.tickDecimals) ?? '0';
  }

  private fmtLots(st: InstrumentState, lots: number): string {
    return formatScaled(lots * st.lotUnits, st.lotDecimals) ?? '0';
  }

  private fmtRef(st: InstrumentState, value: number): string {
    const scale = 10 ** st.refDecimals;
    return formatScaled(Math.round(value * scale), st.refDecimals) ?? '0';
  }

  private newState({ ins, base, quote, tick, lot }: ResolvedInstrument): InstrumentState {
    const venueBasis = (2 * this.noiseRandom.next() - 1) * (this.options.model.basis.venueMaxBps / 10_000);
    const refPrice = this.usd(base);
    const intDigits = refPrice >= 1 ? Math.floor(Math.log10(refPrice)) + 1 : 1;
    return {
      ins,
      base,
      quote,
      tickUnits: tick.units,
      tickDecimals: tick.decimals,
      tickSize: tick.units / 10 ** tick.decimals,
      lotUnits: lot.units,
      lotDecimals: lot.decimals,
      refDecimals: Math.min(8, Math.max(2, 6 - intDigits)),
      venueBasis,
      basisNoise: 0,
      basisAt: this.clock,
      funding: this.options.model.calibration.funding.mean,
      fundingAt: this.clock,
      spreadTicks: 1,
      gapTicks: 1,
      levelLots: 1,
      bids: { px: [], sz: [], lv: [] },
      asks: { px: [], sz: [], lv: [] },
      snapshot: null,
      tradeId: 0,
    };
  }
}

/* Construction -------------------------------------------------------------------------------- */

interface ResolvedInstrument {
  ins: Instrument;
  base: number;
  quote: number;
  tick: { units: number; decimals: number };
  lot: { units: number; decimals: number };
}

interface ModelParts {
  assetSymbols: string[];
  drift: Float64Array;
  beta: Float64Array;
  chol: Float64Array;
  instruments: ResolvedInstrument[];
}

function buildModel(options: SimMarketOptions, errors: string[]): ModelParts | undefined {
  const { model, flow, book } = options;
  const cal = model.calibration;
  const symbols = cal.assets.symbols;
  const k = symbols.length;
  if (cal.assets.annualVol.length !== k || cal.assets.lastClose.length !== k || cal.assets.correlation.length !== k) {
    errors.push('calibration: symbols, annualVol, lastClose and correlation must have the same length');
    return undefined;
  }
  if (!(flow.messagesPerSecond >= 0)) errors.push('flow.messagesPerSecond must be >= 0');
  if (!(flow.maxBurstMs > 0)) errors.push('flow.maxBurstMs must be > 0');
  if (!(book.levels >= 1)) errors.push('book.levels must be >= 1');
  const vol = cal.assets.annualVol;
  const ref = Math.max(0, symbols.indexOf('BTC'));
  const beta = new Float64Array(k);
  for (let i = 0; i < k; i++) beta[i] = vol[i]! / vol[ref]!;
  const { intensityPerYear: lambda, meanLog, stdLog } = model.jumps;
  const jumpSecondMoment = lambda * (meanLog * meanLog + stdLog * stdLog);
  const cov = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) cov[i * k + j] = vol[i]! * vol[j]! * cal.assets.correlation[i]![j]! - jumpSecondMoment * beta[i]! * beta[j]!;
  }
  const chol = cholesky(cov, k);
  if (chol === undefined) {
    errors.push('the calibrated covariance minus the jump covariance is not positive definite: lower jumps.intensityPerYear or their size');
    return undefined;
  }
  const drift = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const b = beta[i]!;
    drift[i] = -0.5 * cov[i * k + i]! - lambda * (Math.exp(b * meanLog + 0.5 * b * b * stdLog * stdLog) - 1);
  }
  const pegs = cal.pegs.map((p) => p.symbol);
  const source = (currency: string): number | undefined => {
    if (currency === 'USD') return USD;
    const a = symbols.indexOf(currency);
    if (a >= 0) return a;
    const p = pegs.indexOf(currency);
    return p >= 0 ? -2 - p : undefined;
  };
  const resolved: ResolvedInstrument[] = [];
  for (const ins of options.instruments) {
    const base = source(ins.spec.base);
    const quote = source(ins.spec.quote);
    const tick = parseScaled(ins.spec.tickSize);
    const lot = parseScaled(ins.spec.lotSize);
    if (base === undefined) errors.push(`${ins.id}: no price model for ${ins.spec.base} (calibrate it or add it to the calibration)`);
    if (quote === undefined) errors.push(`${ins.id}: no price model for ${ins.spec.quote}`);
    if (tick === null || tick.units <= 0) errors.push(`${ins.id}: tickSize ${ins.spec.tickSize} is not a usable decimal`);
    if (lot === null || lot.units <= 0) errors.push(`${ins.id}: lotSize ${ins.spec.lotSize} is not a usable decimal`);
    if (ins.isOption && base !== undefined && base < 0) errors.push(`${ins.id}: options need a risky underlying, not ${ins.spec.base}`);
    if (base === undefined || quote === undefined || tick === null || lot === null || tick.units <= 0 || lot.units <= 0) continue;
    const basePrice = base >= 0 ? cal.assets.lastClose[base]! : base === USD ? 1 : cal.pegs[-2 - base]!.lastClose;
    const quotePrice = quote >= 0 ? cal.assets.lastClose[quote]! : quote === USD ? 1 : cal.pegs[-2 - quote]!.lastClose;
    const maxTicks = (1_000 * basePrice) / quotePrice / (tick.units / 10 ** tick.decimals);
    if (!ins.isOption && !(maxTicks * tick.units < Number.MAX_SAFE_INTEGER)) errors.push(`${ins.id}: prices would exceed 2^53 tick units`);
    resolved.push({ ins, base, quote, tick, lot });
  }
  return {
    assetSymbols: [...symbols],
    drift,
    beta,
    chol,
    instruments: resolved,
  };
}

/** Lower-triangular Cholesky factor (row-major), or undefined when not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let m = 0; m < j; m++) sum -= l[i * n + m]! * l[j * n + m]!;
      if (i === j) {
        if (!(sum > 0)) return undefined;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j]!;
      }
    }
  }
  return l;
}

/** Exact OU transition over dtMs: x -> mean + (x - mean) e^-k dt + sd sqrt(1 - e^-2k dt) z. */
function ou(x: number, mean: number, halfLifeMs: number, stationarySd: number, dtMs: number, z: number): number {
  const decay = Math.exp((-Math.LN2 * dtMs) / halfLifeMs);
  return mean + (x - mean) * decay + stationarySd * Math.sqrt(1 - decay * decay) * z;
}

function round(x: number, decimals: number): number {
  const s = 10 ** decimals;
  return Math.round(x * s) / s;
}

/** Symbols the instruments need a price model for (bases and quotes that are not USD). */
export function currenciesOf(instruments: readonly Instrument[]): { risky: string[]; stable: string[] } {
  const all = new Set<string>();
  for (const ins of instruments) {
    all.add(ins.spec.base);
    all.add(ins.spec.quote);
  }
  all.delete('USD');
  const stable = [...all].filter((c) => STABLECOINS.includes(c)).sort();
  const risky = [...all].filter((c) => !STABLECOINS.includes(c)).sort();
  return { risky, stable };
}
