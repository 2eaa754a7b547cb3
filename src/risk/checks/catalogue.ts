/**
 * The check catalogue, in evaluation order. Every check runs and every failure is reported;
 * checks that need a trusted price are skipped when `market-data` has already rejected.
 * docs/risk-checks.md maps each to SEC 15c3-5 / MiFID II RTS 6 (DOMAIN.md §8).
 */
import type { RiskCheck } from './context.js';
import { concentration } from './concentration.js';
import { dailyLoss } from './daily-loss.js';
import { deltaLimit } from './delta-limit.js';
import { drawdown } from './drawdown.js';
import { duplicateOrder } from './duplicate-order.js';
import { gammaLimit } from './gamma-limit.js';
import { grossNotional } from './gross-notional.js';
import { increments } from './increments.js';
import { instrumentState } from './instrument-state.js';
import { liquidityAdv } from './liquidity-adv.js';
import { liquidityBook } from './liquidity-book.js';
import { margin } from './margin.js';
import { marketData } from './market-data.js';
import { maxOrderNotional } from './max-order-notional.js';
import { maxOrderQty } from './max-order-qty.js';
import { netNotional } from './net-notional.js';
import { orderRate } from './order-rate.js';
import { positionLimit } from './position-limit.js';
import { priceCollar } from './price-collar.js';
import { reduceOnly } from './reduce-only.js';
import { tradingState } from './trading-state.js';
import { underlyingPosition } from './underlying-position.js';
import { varLimit } from './var-limit.js';
import { vegaLimit } from './vega-limit.js';
import { venueExposure } from './venue-exposure.js';

/** Checks that need no price, run first. */
export const STATIC_CHECKS: readonly RiskCheck[] = [
  instrumentState,
  increments,
  tradingState,
  reduceOnly,
  duplicateOrder,
  orderRate,
  maxOrderQty,
  positionLimit,
  dailyLoss,
  drawdown,
  liquidityAdv,
];

/** The data gate: decides whether the priced checks can run. */
export const DATA_CHECK: RiskCheck = marketData;

/** Checks on projected exposure, run when the price is trusted. */
export const PRICED_CHECKS: readonly RiskCheck[] = [
  priceCollar,
  maxOrderNotional,
  underlyingPosition,
  grossNotional,
  netNotional,
  concentration,
  venueExposure,
  margin,
  varLimit,
  deltaLimit,
  gammaLimit,
  vegaLimit,
  liquidityBook,
];

export const CATALOGUE: readonly RiskCheck[] = [...STATIC_CHECKS, DATA_CHECK, ...PRICED_CHECKS];
