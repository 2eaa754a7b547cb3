/**
 * Black-76 on the forward, undiscounted (r = 0), and the coin-denominated view of a Deribit-style
 * inverse option (DOMAIN.md §6.4). Pure and allocation-free: results go into caller-owned objects
 * so the engine can reprice every option on each mark without creating garbage.
 *
 *   d1 = [ln(F/K) + σ²T/2] / (σ√T),  d2 = d1 − σ√T
 *   call = F·N(d1) − K·N(d2),        put = K·N(−d2) − F·N(−d1)
 *   Δ_call = N(d1), Δ_put = N(d1) − 1, Γ = φ(d1)/(Fσ√T), ν = F·φ(d1)·√T, Θ = −F·φ(d1)·σ/(2√T)
 */
import { normCdf, normPdf } from '../math/normal.js';

/**
 * Black-76 value and Greeks of one option on 1 unit of underlying, in quote currency (USD):
 * - price: USD;
 * - delta: ∂price/∂F, USD per USD of forward (dimensionless; a call lies in [0, 1]);
 * - gamma: ∂²price/∂F², per USD of forward;
 * - vega: ∂price/∂σ, USD per 1.00 of volatility (divide by 100 for a vol point);
 * - theta: ∂price/∂t with t calendar time (= −∂price/∂T), USD per YEAR (divide by 365 for a day).
 */
export interface Black76Greeks {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
}

/** A zeroed result object to reuse across calls. */
export function newGreeks(): Black76Greeks {
  return { price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 };
}

function fillNaN(out: Black76Greeks): Black76Greeks {
  out.price = Number.NaN;
  out.delta = Number.NaN;
  out.gamma = Number.NaN;
  out.vega = Number.NaN;
  out.theta = Number.NaN;
  return out;
}

/** d1 of Black-76; NaN when σ√T is not positive. Exposed for tests and diagnostics. */
export function black76D1(forward: number, strike: number, tYears: number, vol: number): number {
  const stdDev = vol * Math.sqrt(tYears);
  if (!(stdDev > 0)) return Number.NaN;
  return (Math.log(forward / strike) + 0.5 * stdDev * stdDev) / stdDev;
}

/**
 * Black-76 price and Greeks into `out` (returned). Never throws:
 * - forward or strike non-finite or <= 0, tYears or vol NaN/±Infinity, or vol < 0: every field NaN;
 * - expired (tYears <= 0) or zero volatility: intrinsic value max(±(F − K), 0), delta ±1 in the
 *   money and 0 out of it (±0.5 exactly at the money, the limit of N(d1) as σ√T → 0), gamma,
 *   vega and theta 0. Greeks at σ√T = 0 are limits, not derivatives: gamma is really a spike at K.
 */
export function black76(
  forward: number,
  strike: number,
  tYears: number,
  vol: number,
  isCall: boolean,
  out: Black76Greeks,
): Black76Greeks {
  if (!(forward > 0 && forward < Number.POSITIVE_INFINITY && strike > 0 && strike < Number.POSITIVE_INFINITY)) {
    return fillNaN(out);
  }
  if (!Number.isFinite(tYears) || !Number.isFinite(vol) || vol < 0) return fillNaN(out);
  const sqrtT = tYears > 0 ? Math.sqrt(tYears) : 0;
  const stdDev = vol * sqrtT;
  if (!(stdDev > 0)) {
    const moneyness = forward - strike;
    const sign = isCall ? 1 : -1;
    out.price = Math.max(sign * moneyness, 0);
    out.delta = moneyness === 0 ? 0.5 * sign : sign * moneyness > 0 ? sign : 0;
    out.gamma = 0;
    out.vega = 0;
    out.theta = 0;
    return out;
  }
  const d1 = (Math.log(forward / strike) + 0.5 * stdDev * stdDev) / stdDev;
  const d2 = d1 - stdDev;
  const density = normPdf(d1);
  if (isCall) {
    out.price = forward * normCdf(d1) - strike * normCdf(d2);
    out.delta = normCdf(d1);
  } else {
    out.price = strike * normCdf(-d2) - forward * normCdf(-d1);
    // N(d1) − 1 written as −N(−d1): no cancellation for deep out-of-the-money puts.
    out.delta = -normCdf(-d1);
  }
  out.gamma = density / (forward * stdDev);
  out.vega = forward * density * sqrtT;
  out.theta = (-forward * density * vol) / (2 * sqrtT);
  return out;
}

/**
 * One Deribit-style inverse option (premium and settlement in the coin, 1 option = 1 coin of
 * underlying) seen in coin terms, from its USD Black-76 Greeks (DOMAIN.md §6.4, §5.2).
 * - price: C_coin = C_usd / F, coin per option;
 * - delta: the Black-Scholes delta as Deribit reports it (= USD delta, coin of underlying per
 *   option);
 * - netTransactionDelta: delta − price, coin. The exposure, in coin, of holding the option when
 *   its premium was paid in coin; Deribit sums it into "Delta Total";
 * - coinDelta: ∂C_coin/∂F = (Δ − C_coin)/F, coin per USD of forward;
 * - coinGamma: ∂²C_coin/∂F² = Γ/F − 2(Δ − C_coin)/F², coin per USD²;
 * - coinVega: ν/F, coin per 1.00 of volatility;
 * - coinTheta: Θ/F, coin per year.
 */
export interface InverseOptionGreeks {
  price: number;
  delta: number;
  netTransactionDelta: number;
  coinDelta: number;
  coinGamma: number;
  coinVega: number;
  coinTheta: number;
}

/** A zeroed coin-Greeks object to reuse across calls. */
export function newInverseGreeks(): InverseOptionGreeks {
  return { price: 0, delta: 0, netTransactionDelta: 0, coinDelta: 0, coinGamma: 0, coinVega: 0, coinTheta: 0 };
}

/**
 * Converts USD Black-76 Greeks (from `black76` at the same `forward`) to the coin-denominated
 * view of an inverse option, into `out` (returned). Invalid forward gives NaN fields.
 */
export function inverseOptionCoin(
  usd: Readonly<Black76Greeks>,
  forward: number,
  out: InverseOptionGreeks,
): InverseOptionGreeks {
  const f = forward > 0 && forward < Number.POSITIVE_INFINITY ? forward : Number.NaN;
  const price = usd.price / f;
  if (f !== f) {
    out.price = out.delta = out.netTransactionDelta = Number.NaN;
    out.coinDelta = out.coinGamma = out.coinVega = out.coinTheta = Number.NaN;
    return out;
  }
  const excessDelta = usd.delta - price;
  out.price = price;
  out.delta = usd.delta;
  out.netTransactionDelta = excessDelta;
  out.coinDelta = excessDelta / f;
  out.coinGamma = usd.gamma / f - (2 * excessDelta) / (f * f);
  out.coinVega = usd.vega / f;
  out.coinTheta = usd.theta / f;
  return out;
}
