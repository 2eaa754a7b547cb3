import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  black76,
  black76D1,
  type Black76Greeks,
  inverseOptionCoin,
  newGreeks,
  newInverseGreeks,
} from '../../../src/risk/options/black76.js';

function price(forward: number, strike: number, tYears: number, vol: number, isCall: boolean): number {
  return black76(forward, strike, tYears, vol, isCall, newGreeks()).price;
}

/** Option inputs where finite differences are well conditioned: σ√T >= ~0.03. */
const optionInputs = fc.record({
  forward: fc.double({ min: 100, max: 200_000, noNaN: true }),
  logMoneyness: fc.double({ min: -1, max: 1, noNaN: true }),
  tYears: fc.double({ min: 7 / 365, max: 3, noNaN: true }),
  vol: fc.double({ min: 0.2, max: 2, noNaN: true }),
  isCall: fc.boolean(),
});

describe('Black-76', () => {
  it('reproduces the DOMAIN §6.4 test vector (F = K = 100,000, σ = 60%, T = 30/365)', () => {
    const F = 100_000;
    const T = 30 / 365;
    expect(black76D1(F, F, T, 0.6)).toBeCloseTo(0.0860073, 7);
    const call = black76(F, F, T, 0.6, true, newGreeks());
    expect(call.price).toBeCloseTo(6853.9407, 4);
    expect(call.delta).toBeCloseTo(0.5342697, 7);
    expect(call.gamma).toBeCloseTo(2.3106721e-5, 12);
    expect(call.vega).toBeCloseTo(11395.0954, 4);
    expect(call.vega / 100).toBeCloseTo(113.951, 3);
    expect(call.theta).toBeCloseTo(-41592.1, 2);
    expect(call.theta / 365).toBeCloseTo(-113.951, 3);

    const coin = inverseOptionCoin(call, F, newInverseGreeks());
    expect(coin.price).toBeCloseTo(0.06853941, 8);
    expect(coin.delta).toBeCloseTo(0.5342697, 7);
    expect(coin.netTransactionDelta).toBeCloseTo(0.4657303, 7);

    // at the money forward the coin put is worth the same as the coin call
    const put = black76(F, F, T, 0.6, false, newGreeks());
    expect(inverseOptionCoin(put, F, newInverseGreeks()).price).toBeCloseTo(0.06853941, 8);
    expect(put.delta).toBeCloseTo(0.5342697 - 1, 7);
  });

  it('writes into and returns the caller-owned object', () => {
    const out = newGreeks();
    expect(black76(50_000, 60_000, 0.5, 0.8, true, out)).toBe(out);
    const coin = newInverseGreeks();
    expect(inverseOptionCoin(out, 50_000, coin)).toBe(coin);
  });

  it('falls back to intrinsic value at expiry or zero volatility', () => {
    const out = newGreeks();
    for (const [t, vol] of [
      [0, 0.6],
      [-0.01, 0.6],
      [0.5, 0],
    ] as const) {
      expect(black76(110, 100, t, vol, true, out)).toEqual({ price: 10, delta: 1, gamma: 0, vega: 0, theta: 0 });
      expect(black76(90, 100, t, vol, true, out)).toEqual({ price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
      expect(black76(90, 100, t, vol, false, out)).toEqual({ price: 10, delta: -1, gamma: 0, vega: 0, theta: 0 });
      expect(black76(110, 100, t, vol, false, out)).toEqual({ price: 0, delta: 0, gamma: 0, vega: 0, theta: 0 });
      expect(black76(100, 100, t, vol, true, out).delta).toBe(0.5);
      expect(black76(100, 100, t, vol, false, out).delta).toBe(-0.5);
    }
    // and the priced path approaches it continuously
    expect(price(110, 100, 1e-12, 0.6, true)).toBeCloseTo(10, 9);
    expect(black76(110, 100, 1e-12, 0.6, true, out).delta).toBe(1);
  });

  it('answers NaN, never throws, on invalid input', () => {
    const out = newGreeks();
    const bad: [number, number, number, number][] = [
      [0, 100, 1, 0.5],
      [-5, 100, 1, 0.5],
      [100, 0, 1, 0.5],
      [Number.NaN, 100, 1, 0.5],
      [Number.POSITIVE_INFINITY, 100, 1, 0.5],
      [100, Number.NaN, 1, 0.5],
      [100, 100, Number.NaN, 0.5],
      [100, 100, Number.POSITIVE_INFINITY, 0.5],
      [100, 100, 1, -0.1],
      [100, 100, 1, Number.NaN],
    ];
    for (const [f, k, t, v] of bad) {
      const r = black76(f, k, t, v, true, out);
      expect([r.price, r.delta, r.gamma, r.vega, r.theta].every(Number.isNaN)).toBe(true);
    }
    const coin = inverseOptionCoin(black76(100, 100, 1, 0.5, true, newGreeks()), 0, newInverseGreeks());
    expect(Object.values(coin).every(Number.isNaN)).toBe(true);
  });

  it('keeps deep out-of-the-money values positive and tiny instead of cancelling to noise', () => {
    const put = black76(100_000, 10_000, 0.1, 0.5, false, newGreeks());
    expect(put.price).toBeGreaterThan(0);
    expect(put.price).toBeLessThan(1e-40);
    expect(put.delta).toBeLessThan(0);
    expect(put.delta).toBeGreaterThan(-1e-40);
  });

  it('satisfies put-call parity: C − P = F − K, Δc − Δp = 1, equal Γ, ν, Θ', () => {
    fc.assert(
      fc.property(optionInputs, ({ forward, logMoneyness, tYears, vol }) => {
        const strike = forward * Math.exp(logMoneyness);
        const c = black76(forward, strike, tYears, vol, true, newGreeks());
        const p = black76(forward, strike, tYears, vol, false, newGreeks());
        expect(Math.abs(c.price - p.price - (forward - strike))).toBeLessThanOrEqual(1e-12 * Math.max(forward, strike));
        expect(Math.abs(c.delta - p.delta - 1)).toBeLessThanOrEqual(1e-15);
        expect(p.gamma).toBe(c.gamma);
        expect(p.vega).toBe(c.vega);
        expect(p.theta).toBe(c.theta);
      }),
      { seed: 76_001, numRuns: 400 },
    );
  });

  it('has Greeks equal to central finite differences of the price', () => {
    fc.assert(
      fc.property(optionInputs, ({ forward, logMoneyness, tYears, vol, isCall }) => {
        const strike = forward * Math.exp(logMoneyness);
        const g: Black76Greeks = black76(forward, strike, tYears, vol, isCall, newGreeks());
        const stdDev = vol * Math.sqrt(tYears);
        // natural scales (the at-the-money magnitudes) so deep-OTM Greeks are judged sensibly
        const gammaScale = 1 / (forward * stdDev);
        const vegaScale = forward * Math.sqrt(tYears);
        const thetaScale = (forward * vol) / Math.sqrt(tYears);

        const hF = 1e-4 * forward * stdDev;
        const up = price(forward + hF, strike, tYears, vol, isCall);
        const mid = price(forward, strike, tYears, vol, isCall);
        const down = price(forward - hF, strike, tYears, vol, isCall);
        expect(Math.abs((up - down) / (2 * hF) - g.delta)).toBeLessThan(1e-7);

        const hG = 1e-3 * forward * stdDev;
        const up2 = price(forward + hG, strike, tYears, vol, isCall);
        const down2 = price(forward - hG, strike, tYears, vol, isCall);
        expect(Math.abs((up2 - 2 * mid + down2) / (hG * hG) - g.gamma)).toBeLessThan(1e-5 * gammaScale);

        const hV = 1e-5 * vol;
        const vegaFd = (price(forward, strike, tYears, vol + hV, isCall) - price(forward, strike, tYears, vol - hV, isCall)) / (2 * hV);
        expect(Math.abs(vegaFd - g.vega)).toBeLessThan(1e-7 * vegaScale);

        const hT = 1e-5 * tYears;
        const thetaFd = -(price(forward, strike, tYears + hT, vol, isCall) - price(forward, strike, tYears - hT, vol, isCall)) / (2 * hT);
        expect(Math.abs(thetaFd - g.theta)).toBeLessThan(1e-7 * thetaScale);
      }),
      { seed: 76_002, numRuns: 400 },
    );
  });

  it('coin Greeks match finite differences of C_usd/F (DOMAIN §5.2)', () => {
    fc.assert(
      fc.property(optionInputs, ({ forward, logMoneyness, tYears, vol, isCall }) => {
        const strike = forward * Math.exp(logMoneyness);
        const coin = inverseOptionCoin(black76(forward, strike, tYears, vol, isCall, newGreeks()), forward, newInverseGreeks());
        const coinPrice = (f: number): number => price(f, strike, tYears, vol, isCall) / f;
        const stdDev = vol * Math.sqrt(tYears);
        // (C/F)''' and (C/F)'''' carry C/F⁴ and C/F⁵ terms, so the step must stay small vs F too
        const h = 1e-4 * forward * Math.min(stdDev, 1);
        expect(coin.price).toBe(coinPrice(forward));
        expect(coin.netTransactionDelta).toBe(coin.delta - coin.price);
        const slope = (coinPrice(forward + h) - coinPrice(forward - h)) / (2 * h);
        expect(Math.abs(slope - coin.coinDelta)).toBeLessThan(1e-7 / forward);
        const curvature = (coinPrice(forward + h) - 2 * coinPrice(forward) + coinPrice(forward - h)) / (h * h);
        expect(Math.abs(curvature - coin.coinGamma)).toBeLessThan(1e-5 / (forward * forward * stdDev));
      }),
      { seed: 76_003, numRuns: 300 },
    );
  });
});
