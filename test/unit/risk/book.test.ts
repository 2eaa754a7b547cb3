import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalEsMultiplier, normalVarMultiplier } from '../../../src/risk/math/normal.js';
import { VarBook } from '../../../src/risk/var/book.js';
import { EwmaCovariance, type CovarianceSource } from '../../../src/risk/var/ewma.js';

const Z99 = normalVarMultiplier(0.99);

/** DOMAIN §1.3: daily vols 3% / 4%, ρ = 0.8. */
const twoAssets: CovarianceSource = { n: 2, matrix: Float64Array.of(0.0009, 0.00096, 0.00096, 0.0016) };

function domainBook(): VarBook {
  const book = new VarBook(twoAssets);
  book.add(0, 1_000_000); // BTC, USD
  book.add(1, 500_000); // ETH, USD
  return book;
}

/** Deterministic PSD covariance from a seed: a factor model B·Bᵀ plus idiosyncratic variance. */
function randomCovariance(n: number, seed: number): Float64Array {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: enough to spread entries; reproducible from the fast-check seed
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  const factors = 3;
  const loadings = Array.from({ length: n * factors }, () => (next() - 0.5) * 0.06);
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let f = 0; f < factors; f++) s += loadings[i * factors + f]! * loadings[j * factors + f]!;
      cov[i * n + j] = s;
    }
    cov[i * n + i]! += (0.005 + 0.03 * next()) ** 2;
  }
  return cov;
}

function naiveG(cov: Float64Array, n: number, w: readonly number[]): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += cov[i * n + j]! * w[j]!;
    return s;
  });
}

function naiveVariance(cov: Float64Array, n: number, w: readonly number[]): number {
  return naiveG(cov, n, w).reduce((sum, gi, i) => sum + gi * w[i]!, 0);
}

/** (Σ|w_i|σ_i)²: the undiversified variance, the natural scale of rounding in wᵀΣw. */
function grossScale(cov: Float64Array, n: number, w: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(w[i]!) * Math.sqrt(cov[i * n + i]!);
  return s * s;
}

describe('VarBook', () => {
  it('reproduces the DOMAIN §1.3 two-asset vector', () => {
    const book = domainBook();
    expect(book.variance()).toBeCloseTo(2.26e9, 3);
    expect(book.sigma()).toBeCloseTo(47_539.4573, 4);
    expect(book.valueAtRisk(Z99)).toBeCloseTo(110_593.3154, 4);
    expect(book.covarianceWithBook(0)).toBeCloseTo(1380, 9);
    expect(book.covarianceWithBook(1)).toBeCloseTo(1760, 9);
    expect(book.marginalVar(0, Z99)).toBeCloseTo(0.06753043, 8);
    expect(book.marginalVar(1, Z99)).toBeCloseTo(0.08612577, 8);
    const btc = book.componentVar(0, Z99);
    const eth = book.componentVar(1, Z99);
    expect(btc).toBeCloseTo(67_530.4315, 4);
    expect(eth).toBeCloseTo(43_062.8839, 4);
    expect(btc / book.valueAtRisk(Z99)).toBeCloseTo(0.6106, 4);
    expect(eth / book.valueAtRisk(Z99)).toBeCloseTo(0.3894, 4);
    expect(btc + eth).toBeCloseTo(book.valueAtRisk(Z99), 8);

    const indices = new Int32Array(2);
    const values = new Float64Array(2);
    expect(book.componentVars(Z99, indices, values)).toBe(2);
    expect(Array.from(indices)).toEqual([0, 1]);
    expect(Array.from(values)).toEqual([btc, eth]);

    // standalone VaRs and the diversification benefit
    const btcAlone = new VarBook(twoAssets);
    btcAlone.add(0, 1_000_000);
    const ethAlone = new VarBook(twoAssets);
    ethAlone.add(1, 500_000);
    expect(btcAlone.valueAtRisk(Z99)).toBeCloseTo(69_790.4362, 4);
    expect(ethAlone.valueAtRisk(Z99)).toBeCloseTo(46_526.9575, 4);
    expect(btcAlone.valueAtRisk(Z99) + ethAlone.valueAtRisk(Z99)).toBeCloseTo(116_317.3937, 4);

    // pre-trade what-if of +100,000 USD of BTC, then booking it
    expect(book.whatIfVariance(0, 100_000)).toBeCloseTo(2.545e9, 3);
    expect(book.incrementalVar(0, 100_000, Z99)).toBeCloseTo(6_766.2659, 4);
    expect(book.marginalVar(0, Z99) * 100_000).toBeCloseTo(6_753.0432, 4);
    expect(book.variance()).toBeCloseTo(2.26e9, 3); // what-if did not mutate
    book.add(0, 100_000);
    expect(book.variance()).toBeCloseTo(2.545e9, 3);
    expect(book.valueAtRisk(Z99)).toBeCloseTo(117_359.5813, 4);
    expect(book.recompute()).toBeLessThan(1e-9); // update formula = full recompute
    expect(book.variance()).toBeCloseTo(2.545e9, 3);
  });

  it('computes normal ES and horizon-scaled VaR through the multiplier', () => {
    const book = domainBook();
    expect(book.expectedShortfall(normalEsMultiplier(0.975))).toBeCloseTo(47_539.4573 * 2.3378028, 1);
    expect(book.valueAtRisk(Z99 * Math.sqrt(10))).toBeCloseTo(110_593.3154 * Math.sqrt(10), 3);
  });

  it('set and add agree, and flattening returns exactly zero risk', () => {
    const book = domainBook();
    book.set(0, 1_100_000);
    expect(book.exposure(0)).toBe(1_100_000);
    expect(book.variance()).toBeCloseTo(2.545e9, 3);
    book.set(0, 0);
    book.add(1, -500_000);
    expect(book.nonzeroCount).toBe(0);
    expect(book.variance()).toBe(0);
    expect(book.covarianceWithBook(0)).toBe(0);
    expect(book.covarianceWithBook(1)).toBe(0);
  });

  it('handles a flat book: zero VaR, one-sided marginal VaR, exact IVaR of the first trade', () => {
    const book = new VarBook(twoAssets);
    expect(book.sigma()).toBe(0);
    expect(book.componentVar(0, Z99)).toBe(0);
    expect(book.marginalVar(1, Z99)).toBeCloseTo(Z99 * 0.04, 15);
    expect(book.incrementalVar(1, -250_000, Z99)).toBeCloseTo(Z99 * 0.04 * 250_000, 8);
    expect(book.componentVars(Z99, new Int32Array(0), new Float64Array(0))).toBe(0);
  });

  it('rejects invalid indices and amounts instead of producing NaN', () => {
    const book = domainBook();
    expect(() => book.add(2, 1)).toThrow(RangeError);
    expect(() => book.add(-1, 1)).toThrow(RangeError);
    expect(() => book.add(0.5, 1)).toThrow(RangeError);
    expect(() => book.add(0, Number.NaN)).toThrow(RangeError);
    expect(() => book.set(0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => book.whatIfVariance(0, Number.NaN)).toThrow(RangeError);
    expect(() => book.incrementalVar(5, 1, Z99)).toThrow(RangeError);
    expect(() => book.componentVars(Z99, new Int32Array(1), new Float64Array(2))).toThrow(RangeError);
    expect(() => book.restore([1, 2, 3])).toThrow(RangeError);
    expect(() => book.restore([1, Number.NaN])).toThrow(RangeError);
    expect(() => new VarBook({ n: 3, matrix: new Float64Array(4) })).toThrow(RangeError);
    expect(book.variance()).toBeCloseTo(2.26e9, 3);
  });

  it('snapshot/restore keeps w and recomputes; exportState/importState continues bit-for-bit', () => {
    const book = domainBook();
    book.add(0, 123_456.789);
    const copy = new VarBook(twoAssets);
    copy.restore(book.snapshot());
    expect(copy.snapshot()).toEqual(book.snapshot());
    expect(copy.variance()).toBeCloseTo(book.variance(), 3);

    const twin = new VarBook(twoAssets);
    twin.importState(JSON.parse(JSON.stringify(book.exportState())));
    book.add(1, -77_000.5);
    twin.add(1, -77_000.5);
    expect(twin.exportState()).toEqual(book.exportState());

    const state = book.exportState();
    expect(() => twin.importState({ ...state, nonzero: [0] })).toThrow(RangeError);
    expect(() => twin.importState({ ...state, exposures: [1] })).toThrow(RangeError);
    expect(() => twin.importState({ ...state, variance: Number.NaN })).toThrow(RangeError);
    expect(() => twin.importState(null)).toThrow(RangeError);
    expect(twin.exportState()).toEqual(book.exportState()); // failed imports changed nothing
  });

  it('incremental g and σ² equal full recomputation over random books and order flow', () => {
    // currency amounts: subnormal-sized exposures only test underflow, so they become 0
    const amount = fc.double({ min: -2e6, max: 2e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-6 ? 0 : x));
    const op = fc.record({ kind: fc.constantFrom('add', 'add', 'set', 'flatten'), k: fc.nat(), amount });
    const scenario = fc.record({
      n: fc.integer({ min: 1, max: 30 }),
      matrixSeed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      ops: fc.array(op, { minLength: 1, maxLength: 120 }),
      probe: fc.record({ k: fc.nat(), amount }),
    });
    fc.assert(
      fc.property(scenario, ({ n, matrixSeed, ops, probe }) => {
        const cov = randomCovariance(n, matrixSeed);
        const book = new VarBook({ n, matrix: cov });
        const w = new Array<number>(n).fill(0);
        let peakScale = 0;
        for (const { kind, k: rawK, amount } of ops) {
          const k = rawK % n;
          if (kind === 'add') {
            book.add(k, amount);
            w[k]! += amount;
          } else if (kind === 'set') {
            book.set(k, amount);
            w[k] = amount;
          } else {
            book.add(k, -book.exposure(k));
            w[k] = 0;
          }
          peakScale = Math.max(peakScale, grossScale(cov, n, w));
        }
        const tolerance = 1e-9 * peakScale + 1e-300;
        const g = naiveG(cov, n, w);
        const variance = naiveVariance(cov, n, w);
        for (let i = 0; i < n; i++) {
          expect(book.exposure(i)).toBe(w[i]);
          expect(Math.abs(book.covarianceWithBook(i) - g[i]!)).toBeLessThanOrEqual(1e-9 * Math.sqrt(peakScale * cov[i * n + i]!));
        }
        expect(Math.abs(book.variance() - variance)).toBeLessThanOrEqual(tolerance);
        expect(book.nonzeroCount).toBe(w.filter((x) => x !== 0).length);

        // what-if equals add-then-recompute
        const k = probe.k % n;
        const projected = [...w];
        projected[k]! += probe.amount;
        const projectedScale = Math.max(peakScale, grossScale(cov, n, projected));
        expect(Math.abs(book.whatIfVariance(k, probe.amount) - naiveVariance(cov, n, projected))).toBeLessThanOrEqual(
          1e-9 * projectedScale,
        );
        const ivar = book.incrementalVar(k, probe.amount, Z99);
        expect(Math.abs(ivar - Z99 * (Math.sqrt(book.whatIfVariance(k, probe.amount)) - book.sigma()))).toBeLessThanOrEqual(
          1e-9 * Z99 * Math.sqrt(projectedScale),
        );

        // Euler: components sum to VaR
        const indices = new Int32Array(n);
        const values = new Float64Array(n);
        const count = book.componentVars(Z99, indices, values);
        let sum = 0;
        for (let i = 0; i < count; i++) {
          expect(values[i]).toBe(book.componentVar(indices[i]!, Z99));
          sum += values[i]!;
        }
        expect(Math.abs(sum - book.valueAtRisk(Z99))).toBeLessThanOrEqual(1e-9 * Z99 * Math.sqrt(peakScale));

        // full recomputation lands on the reference to rounding
        book.recompute();
        expect(Math.abs(book.variance() - Math.max(variance, 0))).toBeLessThanOrEqual(1e-12 * peakScale + 1e-300);
        expect(book.updatesSinceRecompute).toBe(0);
      }),
      { seed: 1_300_001, numRuns: 300 },
    );
  });

  it('keeps drift tiny over a long stream of fills (20,000 updates)', () => {
    const n = 20;
    const cov = randomCovariance(n, 42);
    const book = new VarBook({ n, matrix: cov });
    let state = 7;
    let peakSigma = 0;
    for (let t = 0; t < 20_000; t++) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      const k = state % n;
      const amount = ((state / 2 ** 31) * 2 - 1) * 1e6 - book.exposure(k) * 0.01;
      book.add(k, amount);
      peakSigma = Math.max(peakSigma, book.sigma());
    }
    expect(book.updatesSinceRecompute).toBe(20_000);
    expect(book.recompute() / peakSigma).toBeLessThan(1e-10);
  });

  it('on a covariance support, gives bit-for-bit the VaR of a book over the whole matrix, and refuses indices outside it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(fc.tuple(fc.nat(5), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 60 }), (seed, flow) => {
        const n = 12;
        const support = [1, 4, 5, 8, 10, 11];
        const ewma = new EwmaCovariance(n, 0.94, support);
        ewma.seed(randomCovariance(n, seed));
        const full = new VarBook({ n, matrix: ewma.matrix });
        const sparse = new VarBook(ewma);
        for (const [pick, amount] of flow) {
          const k = support[pick]!;
          full.add(k, amount);
          sparse.add(k, amount);
          expect(sparse.variance()).toBe(full.variance());
          expect(sparse.whatIfVariance(k, amount)).toBe(full.whatIfVariance(k, amount));
        }
        for (const k of support) {
          expect(sparse.covarianceWithBook(k)).toBe(full.covarianceWithBook(k));
          expect(sparse.componentVar(k, Z99)).toBe(full.componentVar(k, Z99));
        }
        // A new Σ (an EWMA step) reaches the support matrix; recompute agrees again.
        ewma.update(Array.from({ length: n }, (_, i) => ((i * 7919 + seed) % 200) / 10_000 - 0.01));
        full.recompute();
        sparse.recompute();
        expect(sparse.variance()).toBe(full.variance());
        const restored = new VarBook(ewma);
        restored.importState(sparse.exportState());
        expect(restored.exportState()).toEqual(sparse.exportState());
      }),
      { seed: 611, numRuns: 100 },
    );
    const book = new VarBook(new EwmaCovariance(4, 0.94, [0, 2]));
    expect(() => book.add(1, 5)).toThrow(/not a risk factor/);
    // A state saved by a book over the whole matrix (g everywhere) loads; g off the support is unused.
    const old = { exposures: [2, 0, 0, 0], covarianceWithBook: [0.5, 0.25, 0.125, 0.0625], variance: 1, nonzero: [0], updatesSinceRecompute: 0 };
    book.importState(old);
    expect(book.covarianceWithBook(0)).toBe(0.5);
    expect(book.covarianceWithBook(2)).toBe(0.125);
    expect(book.exportState().covarianceWithBook).toEqual([0.5, 0, 0.125, 0]);
    expect(() => book.restore([0, 1, 0, 0])).toThrow(/outside the covariance's support/);
    expect(() => new EwmaCovariance(4, 0.94, [2, 1])).toThrow(/ascending/);
  });
});
