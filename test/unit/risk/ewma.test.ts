import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EwmaCovariance } from '../../../src/risk/var/ewma.js';

/** Naive reference: the full matrix formula, element by element, with absent returns as 0. */
function naiveUpdate(cov: Float64Array, n: number, lambda: number, returns: ArrayLike<number>, present?: ArrayLike<number>): void {
  const r = Array.from({ length: n }, (_, i) => (present !== undefined && present[i] === 0 ? 0 : returns[i]!));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) cov[i * n + j] = lambda * cov[i * n + j]! + (1 - lambda) * r[i]! * r[j]!;
  }
}

function quadraticForm(m: ArrayLike<number>, n: number, x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += x[i]! * m[i * n + j]! * x[j]!;
  return sum;
}

/** Cholesky of m + jitter·I: succeeds (all pivots > 0) iff m has no eigenvalue below −jitter. */
function choleskySucceeds(m: ArrayLike<number>, n: number, jitter: number): boolean {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let pivot = m[j * n + j]! + jitter;
    for (let k = 0; k < j; k++) pivot -= l[j * n + k]! * l[j * n + k]!;
    if (!(pivot > 0)) return false;
    const root = Math.sqrt(pivot);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let s = m[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / root;
    }
  }
  return true;
}

/** A random PSD seed A·Aᵀ with daily-return-sized entries. */
function psdFrom(a: readonly number[], n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * a[j * n + k]!;
      m[i * n + j] = s;
    }
  }
  return m;
}

const dailyReturn = fc.double({ min: -0.4, max: 0.4, noNaN: true });

describe('EwmaCovariance', () => {
  it('reproduces the acadifi worked example (DOMAIN §1.1)', () => {
    const ewma = new EwmaCovariance(1, 0.94);
    ewma.seed([0.000324]);
    ewma.update([-0.023]);
    expect(ewma.variance(0)).toBeCloseTo(0.0003363, 12);
    expect(Math.sqrt(ewma.variance(0))).toBeCloseTo(0.0183385, 7);
  });

  it('updates covariances and correlation by the RiskMetrics formula', () => {
    const ewma = new EwmaCovariance(2, 0.9);
    ewma.seed([0.0004, 0.0001, 0.0001, 0.0009]);
    ewma.update([0.02, -0.03]);
    // 0.9·0.0004 + 0.1·0.0004; 0.9·0.0001 + 0.1·(−0.0006); 0.9·0.0009 + 0.1·0.0009
    expect(ewma.variance(0)).toBeCloseTo(0.0004, 15);
    expect(ewma.get(0, 1)).toBeCloseTo(0.00003, 15);
    expect(ewma.get(1, 0)).toBe(ewma.get(0, 1));
    expect(ewma.variance(1)).toBeCloseTo(0.0009, 15);
    expect(ewma.correlation(0, 1)).toBeCloseTo(0.00003 / (0.02 * 0.03), 12);
    expect(ewma.correlation(0, 0)).toBeCloseTo(1, 15);
  });

  it('treats an absent factor as a zero return: its row decays by λ, the rest updates', () => {
    const ewma = new EwmaCovariance(2, 0.94);
    ewma.seed([0.0004, 0.0002, 0.0002, 0.0009]);
    ewma.update([Number.NaN, 0.01], Uint8Array.of(0, 1));
    expect(ewma.variance(0)).toBeCloseTo(0.94 * 0.0004, 15);
    expect(ewma.get(0, 1)).toBeCloseTo(0.94 * 0.0002, 15);
    expect(ewma.variance(1)).toBeCloseTo(0.94 * 0.0009 + 0.06 * 0.0001, 15);
  });

  it('the PSD check used below does detect an indefinite matrix', () => {
    expect(choleskySucceeds([1, 0.99, 0.99, 1], 2, 1e-12)).toBe(true);
    expect(choleskySucceeds([1, 1.01, 1.01, 1], 2, 1e-12)).toBe(false);
  });

  it('rejects bad input before touching Σ', () => {
    const ewma = new EwmaCovariance(2, 0.94);
    ewma.seed([0.0004, 0.0002, 0.0002, 0.0009]);
    const before = Array.from(ewma.matrix as ArrayLike<number>);
    expect(() => ewma.update([0.01, Number.NaN])).toThrow(RangeError);
    expect(() => ewma.update([0.01])).toThrow(RangeError);
    expect(() => ewma.update([0.01, 0.02], Uint8Array.of(1))).toThrow(RangeError);
    expect(Array.from(ewma.matrix as ArrayLike<number>)).toEqual(before);
    expect(() => ewma.seed([0.0004, 0.0002, 0.0003, 0.0009])).toThrow(RangeError); // asymmetric
    expect(() => ewma.seed([-0.0004, 0, 0, 0.0009])).toThrow(RangeError);
    expect(() => ewma.seed([0.0004, 0, 0])).toThrow(RangeError);
    expect(() => new EwmaCovariance(0, 0.94)).toThrow(RangeError);
    expect(() => new EwmaCovariance(2, 1)).toThrow(RangeError);
    expect(new EwmaCovariance(2, 0.94).correlation(0, 1)).toBeNaN(); // unseeded: zero variances
  });

  it('matches the naive full-matrix update, stays exactly symmetric and PSD over random histories', () => {
    const scenario = fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        lambda: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        seedFactor: fc.array(fc.double({ min: -0.05, max: 0.05, noNaN: true }), { minLength: n * n, maxLength: n * n }),
        days: fc.array(
          fc.record({
            returns: fc.array(dailyReturn, { minLength: n, maxLength: n }),
            present: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        probes: fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), {
          minLength: 5,
          maxLength: 5,
        }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ n, lambda, seedFactor, days, probes }) => {
        const seed = psdFrom(seedFactor, n);
        const ewma = new EwmaCovariance(n, lambda);
        ewma.seed(seed);
        const reference = Float64Array.from(seed);
        for (const day of days) {
          ewma.update(day.returns, day.present);
          naiveUpdate(reference, n, lambda, day.returns, day.present);
        }
        const m = ewma.matrix;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            expect(m[i * n + j]).toBe(m[j * n + i]);
            expect(Math.abs(m[i * n + j]! - reference[i * n + j]!)).toBeLessThanOrEqual(1e-15);
          }
        }
        for (const x of probes) expect(quadraticForm(m, n, x)).toBeGreaterThanOrEqual(-1e-12);
        expect(choleskySucceeds(m, n, 1e-12)).toBe(true);
      }),
      { seed: 9_400_001, numRuns: 200 },
    );
  });
});
