/**
 * The `risk:` section (config/risk.yaml): reporting currency and fx, VaR parameters, clocks, the
 * limit hierarchy (firm -> strategies -> accounts) and trigger actions. docs/risk-checks.md
 * documents every limit. Units: money in the reporting currency, quantities in contracts,
 * fractions as decimals, times in ms.
 */
import { z } from 'zod';
import type { RiskConfig } from '../risk/config.js';

const nonNegative = z.number().finite().nonnegative();
const fraction = z.number().finite().min(0).max(1);

const limitSetSchema = z.strictObject({
  maxOrderQty: nonNegative.optional(),
  maxOrderNotional: nonNegative.optional(),
  priceCollarPct: fraction.optional(),
  priceCollarTicks: z.number().int().nonnegative().optional(),
  marketOrderSlippagePct: fraction.optional(),
  orderRate: z.strictObject({ maxOrders: z.number().int().positive(), windowMs: z.number().int().positive() }).optional(),
  maxGrossNotional: nonNegative.optional(),
  maxNetNotional: nonNegative.optional(),
  maxConcentration: fraction.optional(),
  concentrationMinGross: nonNegative.optional(),
  maxMarginUtilization: nonNegative.optional(),
  maxDailyLoss: nonNegative.optional(),
  maxDrawdown: nonNegative.optional(),
  maxVar: nonNegative.optional(),
  maxBookFraction: nonNegative.optional(),
  maxAdvFraction: nonNegative.optional(),
  instruments: z.record(z.string(), z.strictObject({ maxOrderQty: nonNegative.optional(), maxPosition: nonNegative.optional() })).optional(),
  underlyings: z
    .record(
      z.string(),
      z.strictObject({ maxPosition: nonNegative.optional(), maxDelta: nonNegative.optional(), maxGamma: nonNegative.optional(), maxVega: nonNegative.optional() }),
    )
    .optional(),
  venues: z.record(z.string(), z.strictObject({ maxExposure: nonNegative.optional() })).optional(),
});

const reduceOrHalt = z.enum(['REDUCING', 'HALTED']);

export const riskSectionSchema = z.strictObject({
  reportingCurrency: z.string().min(1).default('USD'),
  currencies: z.record(z.string(), z.union([z.strictObject({ fixed: z.string().regex(/^\d+(\.\d+)?$/) }), z.strictObject({ instrument: z.string().min(1) })])),
  underlyings: z.record(z.string(), z.strictObject({ reference: z.string().min(1) })).default({}),
  marks: z.strictObject({
    /** A mark older than this (ms) fails closed. */
    maxAgeMs: z.number().int().positive().default(10_000),
  }),
  reservations: z.strictObject({
    /** Approved but never acked (gateway lost the order?): released with an alert after (ms). */
    pendingTtlMs: z.number().int().positive().default(30_000),
    /** Acked and resting: released with an alert when nothing is heard for (ms). */
    openTtlMs: z.number().int().positive().default(86_400_000),
  }),
  /** Client order ids are unique per account over this window (ms)... */
  duplicateWindowMs: z.number().int().positive().default(3_600_000),
  /** ...remembering at most this many ids per account (bounds memory at high order rates). */
  duplicateWindowMaxOrders: z.number().int().positive().default(50_000),
  var: z.strictObject({
    lambda: z.number().gt(0).lt(1).default(0.94),
    confidence: z.number().gt(0.5).lt(1).default(0.99),
    horizonDays: z.number().positive().default(1),
    sampleIntervalMs: z.number().int().positive().default(86_400_000),
    revalueIntervalMs: z.number().int().positive().default(10_000),
    repriceIntervalMs: z.number().int().positive().default(60_000),
    defaultAnnualVol: z.number().positive().default(0.8),
    /** Daily close history for the covariance seed (relative to the config directory). */
    historyFile: z.string().optional(),
    /** Days of history before the EWMA starts (sample covariance seed; DOMAIN §1.1 suggests >= 75). */
    seedDays: z.number().int().min(2).default(75),
  }),
  triggers: z.strictObject({ dailyLoss: reduceOrHalt.default('REDUCING'), drawdown: reduceOrHalt.default('HALTED') }),
  firm: z.strictObject({ limits: limitSetSchema.optional() }),
  strategies: z.record(z.string(), z.strictObject({ limits: limitSetSchema.optional() })),
  accounts: z.record(z.string(), z.strictObject({ strategy: z.string().min(1), venue: z.string().min(1), limits: limitSetSchema.optional() })),
});

export type RiskSection = z.infer<typeof riskSectionSchema>;

/** The core's view of the section (drops the loader-only fields). */
export function toRiskConfig(section: RiskSection): RiskConfig {
  const { historyFile: _h, seedDays: _s, ...varConfig } = section.var;
  return { ...section, var: varConfig } as RiskConfig;
}
