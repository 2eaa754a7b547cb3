/**
 * RiskMetrics EWMA covariance of n risk-factor returns (DOMAIN.md §1.1):
 *
 *   Σ_t = λ·Σ_{t−1} + (1 − λ)·r_{t−1} r_{t−1}ᵀ
 *
 * Σ lives row-major in one preallocated Float64Array(n·n) and is kept exactly symmetric (each
 * update computes the upper triangle once and mirrors it), so readers may take row k as column k.
 * One update is O(n²) with no allocation; at n = 1000 that is 8 MB of matrix streamed once.
 *
 * Missing observations: a factor with no return for the period (`present[i] === 0`) is updated
 * with r_i = 0. Its variance and covariances decay by λ and nothing else changes. The result is
 * λ·Σ + (1 − λ)·r rᵀ with a real vector r, so Σ stays positive semidefinite. Keeping the absent
 * factor's row frozen instead looks neutral but can make Σ indefinite. The cost: a factor that
 * stays absent for m periods has its variance understated by λ^m, so callers should treat long
 * gaps as stale data (fail closed) rather than let its risk fade.
 */

/** A Float64Array the holder may read but must not write: the mutators are typed away. */
export type ReadonlyFloat64Array = Omit<Float64Array, 'set' | 'fill' | 'copyWithin' | 'sort' | 'reverse' | number> & {
  readonly [index: number]: number;
};

/** What a book needs from a covariance: its size and the row-major symmetric matrix. */
export interface CovarianceSource {
  readonly n: number;
  readonly matrix: ReadonlyFloat64Array;
  /**
   * The factor indices books may hold exposure in, ascending (all n when absent). A book keeps
   * g = Σw on these only: nothing reads g elsewhere, and with 50 factors among 1,000 instruments
   * that makes a fill O(50) instead of O(1,000) and a recompute 20× cheaper.
   */
  readonly support?: Int32Array;
  /** Σ restricted to the support, row-major s×s (a live view; required with `support`). */
  readonly supportMatrix?: ReadonlyFloat64Array;
}

export class EwmaCovariance implements CovarianceSource {
  readonly n: number;
  readonly lambda: number;
  private readonly cov: Float64Array;
  /** Returns with absent factors zeroed, reused by every update. */
  private readonly effective: Float64Array;

  readonly support: Int32Array | undefined;
  /** Σ on the support, contiguous, so a book's O(s) row walks stay in cache. */
  private readonly sub: Float64Array | undefined;

  /**
   * n factors, decay λ in (0, 1) (0.94 for daily data), optionally the `support` books may use
   * (ascending, distinct, in range). Σ starts at zero: seed it.
   */
  constructor(n: number, lambda: number, support?: ArrayLike<number>) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`factor count must be a positive integer, got ${n}`);
    if (!(lambda > 0 && lambda < 1)) throw new RangeError(`lambda must be in (0, 1), got ${lambda}`);
    if (support !== undefined) {
      for (let k = 0; k < support.length; k++) {
        const f = support[k]!;
        if (!Number.isInteger(f) || f < 0 || f >= n || (k > 0 && f <= support[k - 1]!)) {
          throw new RangeError(`support must list distinct factor indices in [0, ${n}) in ascending order; entry ${k} is ${f}`);
        }
      }
      this.support = Int32Array.from(support);
      this.sub = new Float64Array(support.length * support.length);
    } else {
      this.support = undefined;
      this.sub = undefined;
    }
    this.n = n;
    this.lambda = lambda;
    this.cov = new Float64Array(n * n);
    this.effective = new Float64Array(n);
  }

  /** Σ, row-major n×n, exactly symmetric. A live view: it changes with `seed` and `update`. */
  get matrix(): ReadonlyFloat64Array {
    return this.cov;
  }

  /**
   * Replaces Σ with a copy of `cov` (row-major n×n). Entries must be finite and the matrix
   * symmetric to 1e-12 relative; it is stored with each pair averaged, so exactly symmetric.
   */
  seed(cov: ArrayLike<number>): void {
    const n = this.n;
    if (cov.length !== n * n) throw new RangeError(`seed needs ${n * n} entries, got ${cov.length}`);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const upper = cov[i * n + j]!;
        const lower = cov[j * n + i]!;
        if (!Number.isFinite(upper) || !Number.isFinite(lower)) {
          throw new RangeError(`seed entry (${i}, ${j}) is not finite`);
        }
        if (Math.abs(upper - lower) > 1e-12 * Math.max(Math.abs(upper), Math.abs(lower))) {
          throw new RangeError(`seed is not symmetric at (${i}, ${j}): ${upper} vs ${lower}`);
        }
        if (i === j && upper < 0) throw new RangeError(`seed variance ${i} is negative: ${upper}`);
      }
    }
    const out = this.cov;
    for (let i = 0; i < n; i++) {
      out[i * n + i] = cov[i * n + i]!;
      for (let j = i + 1; j < n; j++) {
        const v = 0.5 * (cov[i * n + j]! + cov[j * n + i]!);
        out[i * n + j] = v;
        out[j * n + i] = v;
      }
    }
    this.refreshSupport();
  }

  /**
   * One EWMA step with this period's returns (length n). With `present`, factors whose flag is 0
   * count as r = 0 (see the module comment) and their entry in `returns` is ignored, so it may be
   * NaN. A present return that is not finite throws before Σ is touched.
   */
  update(returns: ArrayLike<number>, present?: ArrayLike<number>): void {
    const n = this.n;
    if (returns.length !== n) throw new RangeError(`update needs ${n} returns, got ${returns.length}`);
    if (present !== undefined && present.length !== n) {
      throw new RangeError(`presence mask needs ${n} flags, got ${present.length}`);
    }
    const r = this.effective;
    for (let i = 0; i < n; i++) {
      const value = present !== undefined && present[i] === 0 ? 0 : returns[i]!;
      if (!Number.isFinite(value)) throw new RangeError(`return ${i} is not finite: ${value}`);
      r[i] = value;
    }
    const lambda = this.lambda;
    const weight = 1 - lambda;
    const cov = this.cov;
    for (let i = 0; i < n; i++) {
      const ri = r[i]!;
      const row = i * n;
      cov[row + i] = lambda * cov[row + i]! + weight * (ri * ri);
      for (let j = i + 1; j < n; j++) {
        const v = lambda * cov[row + j]! + weight * (ri * r[j]!);
        cov[row + j] = v;
        cov[j * n + i] = v;
      }
    }
    this.refreshSupport();
  }

  get supportMatrix(): ReadonlyFloat64Array | undefined {
    return this.sub;
  }

  /** Copies Σ's support rows and columns into the contiguous s×s matrix. */
  private refreshSupport(): void {
    const support = this.support;
    const sub = this.sub;
    if (support === undefined || sub === undefined) return;
    const n = this.n;
    const s = support.length;
    for (let a = 0; a < s; a++) {
      const row = support[a]! * n;
      for (let b = 0; b < s; b++) sub[a * s + b] = this.cov[row + support[b]!]!;
    }
  }

  /** Σ_ij, for i, j in [0, n) (unchecked: this sits on hot paths). */
  get(i: number, j: number): number {
    return this.cov[i * this.n + j]!;
  }

  /** Σ_ii, the variance of factor i per period. */
  variance(i: number): number {
    return this.cov[i * this.n + i]!;
  }

  /** ρ_ij = Σ_ij / (σ_i σ_j); NaN when either variance is zero (correlation undefined). */
  correlation(i: number, j: number): number {
    const denom = Math.sqrt(this.variance(i)) * Math.sqrt(this.variance(j));
    return denom > 0 ? this.get(i, j) / denom : Number.NaN;
  }
}
