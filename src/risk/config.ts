/**
 * The risk engine's configuration, as the core sees it. The YAML schema that produces it lives in
 * src/config/risk.ts; docs/risk-checks.md explains every limit. All money is in the reporting
 * currency (USD by default); quantities are in contracts (spot: base units); fractions are
 * decimals (0.05 = 5%). An absent limit means "no limit at this level".
 */
import type { TradingState } from './events.js';

export interface OrderRateLimit {
  maxOrders: number;
  windowMs: number;
}

export interface InstrumentLimits {
  /** Largest single order, contracts. */
  maxOrderQty?: number | undefined;
  /** Largest absolute position including open orders, contracts (compared exactly). */
  maxPosition?: number | undefined;
}

export interface UnderlyingLimits {
  /** Gross position in the underlying, in underlying units (delta-equivalent, long + short). */
  maxPosition?: number | undefined;
  /** |net delta|, underlying units, all instruments on the underlying (options via Black-76). */
  maxDelta?: number | undefined;
  /** |gamma| as the change of delta (underlying units) for a 1% move of the underlying. */
  maxGamma?: number | undefined;
  /** |vega| in reporting currency per 1 vol point. */
  maxVega?: number | undefined;
}

export interface VenueLimits {
  /** Equity held at the venue plus the notional an order would add there (counterparty risk). */
  maxExposure?: number | undefined;
}

export interface LimitSet {
  maxOrderQty?: number | undefined;
  maxOrderNotional?: number | undefined;
  /** Limit price within ±pct of the reference price... */
  priceCollarPct?: number | undefined;
  /** ...or within ±n ticks; with both set the wider band applies. */
  priceCollarTicks?: number | undefined;
  /** Market orders: worst fill assumed at best × (1 ± this); also bounds best vs mark. */
  marketOrderSlippagePct?: number | undefined;
  orderRate?: OrderRateLimit | undefined;
  maxGrossNotional?: number | undefined;
  maxNetNotional?: number | undefined;
  /** Largest share of gross notional in one underlying (0..1)... */
  maxConcentration?: number | undefined;
  /** ...checked only once projected gross notional reaches this. */
  concentrationMinGross?: number | undefined;
  /** Projected initial margin / equity. */
  maxMarginUtilization?: number | undefined;
  /** Loss since 00:00 UTC (positive number). */
  maxDailyLoss?: number | undefined;
  /** Fall of equity from its peak (positive number). */
  maxDrawdown?: number | undefined;
  /** Parametric VaR at the configured confidence and horizon. */
  maxVar?: number | undefined;
  /** Order qty / best opposite level size. */
  maxBookFraction?: number | undefined;
  /** |projected position| / average daily volume. */
  maxAdvFraction?: number | undefined;
  instruments?: Record<string, InstrumentLimits> | undefined;
  underlyings?: Record<string, UnderlyingLimits> | undefined;
  venues?: Record<string, VenueLimits> | undefined;
}

export interface StrategyConfig {
  limits?: LimitSet | undefined;
}

export interface AccountConfig {
  strategy: string;
  /** The exchange this account sits at; it may only trade that venue's instruments. */
  venue: string;
  limits?: LimitSet | undefined;
}

/** How one unit of a currency is valued in the reporting currency. */
export type CurrencyValuation = { fixed: string } | { instrument: string };

export interface VarConfig {
  /** EWMA decay per sample (RiskMetrics daily: 0.94). */
  lambda: number;
  confidence: number;
  horizonDays: number;
  /** Returns are sampled from marks on this fixed clock (ms). Daily by default. */
  sampleIntervalMs: number;
  /** Aggregates are rebuilt from the legs on this clock: fx moves folded in, float drift cleared. */
  revalueIntervalMs: number;
  /** The VaR books' exposure vectors are re-priced at current marks and recomputed on this clock. */
  repriceIntervalMs: number;
  /** Volatility assumed for a factor with no history, annualised over 365 days. */
  defaultAnnualVol: number;
}

export interface TriggerConfig {
  /** State an account/strategy/firm moves to when its daily loss limit is reached. */
  dailyLoss: Exclude<TradingState, 'ACTIVE'>;
  drawdown: Exclude<TradingState, 'ACTIVE'>;
}

export interface RiskConfig {
  reportingCurrency: string;
  currencies: Record<string, CurrencyValuation>;
  /** Reference (non-option) instrument per underlying: the VaR factor options map onto. */
  underlyings: Record<string, { reference: string }>;
  marks: { maxAgeMs: number };
  reservations: { pendingTtlMs: number; openTtlMs: number };
  /** Client order ids are remembered per account for this long (ms)... */
  duplicateWindowMs: number;
  /** ...and at most this many per account (memory bound at high order rates). */
  duplicateWindowMaxOrders: number;
  var: VarConfig;
  triggers: TriggerConfig;
  firm: { limits?: LimitSet | undefined };
  strategies: Record<string, StrategyConfig>;
  accounts: Record<string, AccountConfig>;
}
