/**
 * Everything the engine holds, in one place, so apply/check/clock/snapshot code can share it
 * without a god class. Only the engine's single writer mutates it.
 */
import type { InstrumentRegistry } from '../portfolio/instruments.js';
import { Ledger } from '../portfolio/ledger.js';
import type { RiskConfig } from './config.js';
import { Leg, NodeAggregates } from './exposures.js';
import { compileLimits, type LimitError, type NodeLimits } from './limits.js';
import { MarketState } from './market-state.js';
import { normInv, normPdf } from './math/normal.js';
import type { EngineOutput } from './outputs.js';
import { IdWindow } from './id-window.js';
import { RateWindow, ReservationBook } from './reservations.js';
import { Universe } from './universe.js';
import { EwmaCovariance } from './var/ewma.js';
import { VarBook } from './var/book.js';

/**
 * Exact quantities of one node in one instrument, in lots (integers in float64, src/risk/lots.ts):
 * the position and the open orders by side.
 */
export interface NodeQty {
  qtyLots: number;
  resBuyLots: number;
  resSellLots: number;
}

const EMPTY_QTY: Readonly<NodeQty> = Object.freeze({ qtyLots: 0, resBuyLots: 0, resSellLots: 0 });

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;

/** Daily covariance of factor returns, aligned with `symbols` (e.g. from data/prices_daily.csv). */
export interface VarSeed {
  /** Currency/asset codes (BTC, ETH, USDT...), one per row/column of `cov`. */
  symbols: readonly string[];
  /** Row-major covariance of daily log returns. */
  cov: Float64Array;
}

export interface EngineOptions {
  /** Measures compute time only; never used for logic. Default: no measurement (0). */
  timer?: () => number;
  varSeed?: VarSeed;
}

export class EngineState {
  readonly config: RiskConfig;
  readonly universe: Universe;
  readonly registry: InstrumentRegistry;
  readonly market: MarketState;
  ledger: Ledger;
  readonly agg: NodeAggregates;
  /** account * n + instrument -> leg; the Map keeps creation order (iteration, snapshots). */
  readonly legs = new Map<number, Leg>();
  /** The same legs in a flat array for O(1) lookups on the hot path. */
  private readonly legSlots: Array<Leg | undefined>;
  /** Legs with a position or open orders, per instrument (revalued on every mark). */
  readonly holders: Leg[][];
  /** node * n + instrument -> exact quantities (positions and reservations); flat for O(1). */
  readonly nodeQtys: Array<NodeQty | undefined>;
  readonly limits: NodeLimits[];
  /** 0 ACTIVE, 1 REDUCING, 2 HALTED per node. */
  readonly tradingStates: Uint8Array;
  readonly stateReasons: string[];
  readonly reservations: ReservationBook;
  readonly rates: RateWindow[];
  readonly duplicates: IdWindow[];
  readonly cov: EwmaCovariance;
  readonly books: VarBook[];
  /** z quantile, ES multiplier φ(z)/(1-c), and the √horizon scale of one sample's σ. */
  readonly z: number;
  readonly esMultiplier: number;
  readonly horizonScale: number;
  /** Scratch for rebuilding every node's VaR exposure vector (node * n + factor). */
  readonly varScratch: Float64Array;
  /** Marks at the last VaR sample, for the next returns. */
  readonly sampleMarks: Float64Array;
  /** Float mirror of the ledger's cash: account * currencies + currency. */
  readonly accountCash: Float64Array;
  /** The reporting-currency value of each cash balance currently in the aggregates (same index). */
  readonly cashValues: Float64Array;
  /** Per currency: accounts holding a nonzero balance in it (revalued when its fx moves). */
  readonly cashHolders: number[][];
  /** Per instrument: the currencies whose fx it sets (directly or through a chain). */
  readonly fxDependents: number[][];
  /** Deposits/withdrawals booked while their currency had no price: valued at the next revalue. */
  pendingFlows: Array<{ account: number; currency: number; amount: number }> = [];
  readonly outbox: EngineOutput[] = [];
  readonly timer: () => number;

  now = Number.NEGATIVE_INFINITY;
  nextRevalue = Number.NEGATIVE_INFINITY;
  nextReprice = Number.NEGATIVE_INFINITY;
  nextSample = Number.NEGATIVE_INFINITY;
  nextDayRoll = Number.NEGATIVE_INFINITY;
  counters = { events: 0, checks: 0, approved: 0, rejected: 0, invalidEvents: 0, ignoredEvents: 0, duplicateExecutions: 0, expiredReservations: 0, samples: 0, revalues: 0 };

  constructor(registry: InstrumentRegistry, config: RiskConfig, options: EngineOptions = {}) {
    const universe = Universe.build(registry, config);
    if (Array.isArray(universe)) throw new EngineConfigError(universe);
    this.config = config;
    this.universe = universe;
    this.registry = registry;
    const n = universe.n;
    this.market = new MarketState(universe, config.marks.maxAgeMs);
    this.ledger = new Ledger(registry, universe.accountRefs);
    this.agg = new NodeAggregates(universe.nodeCount, universe.underlyings.length, 6);
    this.holders = Array.from({ length: n }, () => []);
    this.legSlots = new Array<Leg | undefined>(universe.accounts.length * n).fill(undefined);
    this.nodeQtys = new Array<NodeQty | undefined>(universe.nodeCount * n).fill(undefined);
    const errors: LimitError[] = [];
    this.limits = universe.nodes.map((node) => {
      const set =
        node.kind === 'firm' ? config.firm.limits : node.kind === 'strategy' ? config.strategies[node.id]?.limits : config.accounts[node.id]?.limits;
      const path = node.kind === 'firm' ? 'risk.firm.limits' : `risk.${node.kind === 'strategy' ? 'strategies' : 'accounts'}.${node.id}.limits`;
      return compileLimits(set, universe, path, errors);
    });
    if (errors.length > 0) throw new EngineConfigError(errors);
    this.tradingStates = new Uint8Array(universe.nodeCount);
    this.stateReasons = new Array<string>(universe.nodeCount).fill('');
    this.reservations = new ReservationBook(universe.accounts.length);
    this.rates = universe.nodes.map(() => new RateWindow());
    this.duplicates = universe.accounts.map(() => new IdWindow(config.duplicateWindowMaxOrders));
    // Books hold exposure only in factor instruments (each underlying's reference, or the
    // instrument itself when it has none): that is the covariance's support.
    const factors: number[] = [];
    for (let i = 0; i < n; i++) if (universe.factorOf[i] === i) factors.push(i);
    this.cov = new EwmaCovariance(n, config.var.lambda, factors);
    this.cov.seed(seedCovariance(universe, config, options.varSeed));
    this.books = universe.nodes.map(() => new VarBook(this.cov));
    const c = config.var.confidence;
    this.z = normInv(c);
    this.esMultiplier = normPdf(this.z) / (1 - c);
    this.horizonScale = Math.sqrt((config.var.horizonDays * 86_400_000) / config.var.sampleIntervalMs);
    this.sampleMarks = new Float64Array(n).fill(Number.NaN);
    this.varScratch = new Float64Array(universe.nodeCount * n);
    const cc = universe.currencies.length;
    this.accountCash = new Float64Array(universe.accounts.length * cc);
    this.cashValues = new Float64Array(universe.accounts.length * cc);
    this.cashHolders = universe.currencies.map(() => []);
    this.fxDependents = Array.from({ length: n }, () => []);
    for (let c = 0; c < cc; c++) {
      for (let k = c; universe.fxInstrument[k]! >= 0; k = universe.fxVia[k]!) this.fxDependents[universe.fxInstrument[k]!]!.push(c);
    }
    this.timer = options.timer ?? (() => 0);
  }

  /** The leg of an account in an instrument, created on first use. */
  leg(account: number, instrument: number): Leg {
    const key = account * this.universe.n + instrument;
    let leg = this.legSlots[key];
    if (leg === undefined) {
      leg = new Leg(account, instrument, this.universe.accounts[account]!.chain);
      this.legs.set(key, leg);
      this.legSlots[key] = leg;
    }
    return leg;
  }

  peekLeg(account: number, instrument: number): Leg | undefined {
    return this.legSlots[account * this.universe.n + instrument];
  }

  /** Lists a leg among its instrument's holders (when it gets a position or reservation). */
  listHolder(leg: Leg): void {
    if (leg.holderSlot >= 0) return;
    const list = this.holders[leg.instrument]!;
    leg.holderSlot = list.length;
    list.push(leg);
  }

  /** Unlists an empty leg (swap-remove; holder order is rebuilt deterministically on restore). */
  unlistHolder(leg: Leg): void {
    if (leg.holderSlot < 0 || !leg.isEmpty) return;
    const list = this.holders[leg.instrument]!;
    const last = list.pop()!;
    if (last !== leg) {
      list[leg.holderSlot] = last;
      last.holderSlot = leg.holderSlot;
    }
    leg.holderSlot = -1;
  }

  nodeQty(node: number, instrument: number): Readonly<NodeQty> {
    return this.nodeQtys[node * this.universe.n + instrument] ?? EMPTY_QTY;
  }

  mutableNodeQty(node: number, instrument: number): NodeQty {
    const key = node * this.universe.n + instrument;
    let q = this.nodeQtys[key];
    if (q === undefined) {
      q = { qtyLots: 0, resBuyLots: 0, resSellLots: 0 };
      this.nodeQtys[key] = q;
    }
    return q;
  }

  /** σ of one sample of a node's positions (reporting ccy). */
  positionSigma(node: number): number {
    return Math.sqrt(Math.max(0, this.books[node]!.variance()));
  }

  /** Parametric VaR at the configured confidence and horizon, including open orders' bound. */
  valueAtRisk(node: number): number {
    return this.z * this.horizonScale * (this.positionSigma(node) + this.agg.resVarBound[node]!);
  }

  expectedShortfall(node: number): number {
    return this.esMultiplier * this.horizonScale * (this.positionSigma(node) + this.agg.resVarBound[node]!);
  }

  /** VaR after adding `delta` (reporting ccy) of exposure to factor k: O(1). */
  projectedVar(node: number, factor: number, delta: number): number {
    const v = this.books[node]!.whatIfVariance(factor, delta);
    return this.z * this.horizonScale * (Math.sqrt(Math.max(0, v)) + this.agg.resVarBound[node]!);
  }

  /** One sample's σ of a factor (for the open-order bound). */
  factorSigma(factor: number): number {
    return Math.sqrt(Math.max(0, this.cov.variance(factor)));
  }

  emit(output: EngineOutput): void {
    this.outbox.push(output);
  }
}

export class EngineConfigError extends Error {
  readonly errors: ReadonlyArray<{ path: string; message: string }>;
  constructor(errors: ReadonlyArray<{ path: string; message: string }>) {
    super(`invalid risk configuration:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    this.errors = errors;
  }
}

/**
 * The starting covariance of instrument returns, per sample interval. An instrument's return is
 * its base asset's minus its quote asset's (stablecoins and USD have none in the seed unless
 * given), taken from the daily seed and scaled to the sample interval. Assets without history get
 * `defaultAnnualVol`, uncorrelated.
 */
export function seedCovariance(universe: Universe, config: RiskConfig, seed: VarSeed | undefined): Float64Array {
  const n = universe.n;
  const registry = universe.registry;
  const out = new Float64Array(n * n);
  const scale = config.var.sampleIntervalMs / 86_400_000;
  const defaultDailyVar = (config.var.defaultAnnualVol * config.var.defaultAnnualVol) / 365;
  const assets = new Map<string, number>();
  seed?.symbols.forEach((s, k) => assets.set(s, k));
  const m = seed?.symbols.length ?? 0;
  // Each instrument is the vector (+1 on its base, -1 on its quote) over assets; missing assets
  // become private uncorrelated factors.
  const base = new Int32Array(n).fill(-1);
  const quote = new Int32Array(n).fill(-1);
  const isFiat = (c: string): boolean => c === config.reportingCurrency || c === 'USD';
  for (const ins of registry.all) {
    const b = ins.spec.underlying;
    base[ins.idx] = assets.get(b) ?? -1;
    const q = ins.spec.quote;
    quote[ins.idx] = isFiat(q) || ins.inverse || ins.isOption ? -1 : (assets.get(q) ?? -1);
  }
  const cov = (a: number, b: number): number => (a < 0 || b < 0 ? 0 : seed!.cov[a * m + b]!);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let v = cov(base[i]!, base[j]!) - cov(base[i]!, quote[j]!) - cov(quote[i]!, base[j]!) + cov(quote[i]!, quote[j]!);
      const ui = registry.get(i).spec.underlying;
      const uj = registry.get(j).spec.underlying;
      if (base[i]! < 0 && base[j]! < 0 && ui === uj) v += defaultDailyVar;
      out[i * n + j] = v * scale;
      out[j * n + i] = v * scale;
    }
  }
  return out;
}
