/**
 * Real-time delta-normal VaR of one book (DOMAIN.md §1.2-1.3; docs/var.md).
 *
 * The book holds its exposure vector w (currency units per risk factor, e.g. USD delta-equivalent)
 * against a shared covariance Σ, and caches g = Σw and σ² = wᵀΣw. Changing one exposure by δ is
 *
 *   σ'² = σ² + 2δ·g_k + δ²·Σ_kk      O(1), with g before the change
 *   g'  = g + δ·Σ[:, k]              O(n), one contiguous row (Σ is symmetric)
 *
 * so a pre-trade what-if is O(1) and booking a fill O(n). Rounding drifts the cached values away
 * from wᵀΣw over many updates; `recompute()` rebuilds them from w in O(n·nnz) (only nonzero
 * exposures are visited) and must be called whenever Σ changes. With a covariance `support` (the
 * factors exposures can sit in), g is kept on those s entries only: O(s) and O(s·nnz) instead.
 *
 * Every method taking `z` takes the VaR multiplier for the wanted confidence and horizon:
 * z = normalVarMultiplier(c)·sqrt(h) for an h-period VaR (square-root-of-time, DOMAIN §1.7).
 */
import type { CovarianceSource, ReadonlyFloat64Array } from './ewma.js';

/**
 * The complete cached state of a book, JSON-safe. Unlike `snapshot()` (w only, recomputed on
 * restore) it keeps g, σ² and the order of the nonzero list, so a restored book continues
 * bit-for-bit as the original would have: what exact replay after a restart needs.
 */
export interface VarBookState {
  exposures: number[];
  covarianceWithBook: number[];
  variance: number;
  nonzero: number[];
  updatesSinceRecompute: number;
}

export class VarBook {
  readonly n: number;
  private readonly cov: ReadonlyFloat64Array;
  private readonly w: Float64Array;
  private readonly g: Float64Array;
  private sigma2 = 0;
  /** Indices k with w_k !== 0, unordered; `slot[k]` is k's position there, or -1. */
  private readonly nonzero: Int32Array;
  private readonly slot: Int32Array;
  private nonzeroLength = 0;
  private updates = 0;
  /** Factors g is kept for (CovarianceSource.support). */
  private readonly support: Int32Array;
  /** Each index's position in the support (-1 outside), and Σ on the support (s×s, live). */
  private readonly local: Int32Array;
  private readonly sub: ReadonlyFloat64Array;

  /**
   * A flat book against `covariance`, whose `matrix` must stay the same array for the book's life
   * (EwmaCovariance updates in place). Call `recompute()` after the matrix changes.
   */
  constructor(covariance: CovarianceSource) {
    const n = covariance.n;
    if (covariance.matrix.length !== n * n) {
      throw new RangeError(`covariance matrix has ${covariance.matrix.length} entries, expected ${n * n}`);
    }
    this.n = n;
    this.cov = covariance.matrix;
    this.w = new Float64Array(n);
    this.nonzero = new Int32Array(n);
    this.slot = new Int32Array(n).fill(-1);
    this.support = covariance.support ?? Int32Array.from({ length: n }, (_, k) => k);
    const s = this.support.length;
    this.g = new Float64Array(s);
    this.sub = covariance.support === undefined ? covariance.matrix : (covariance.supportMatrix ?? new Float64Array(0));
    if (this.sub.length !== s * s) throw new RangeError(`support matrix has ${this.sub.length} entries, expected ${s * s}`);
    this.local = new Int32Array(n).fill(-1);
    this.support.forEach((k, b) => (this.local[k] = b));
  }

  /** w_k, the exposure to factor k (currency). */
  exposure(k: number): number {
    this.checkIndex(k);
    return this.w[k]!;
  }

  /** g_k = (Σw)_k, the covariance of factor k's return with the book's P&L (currency). */
  covarianceWithBook(k: number): number {
    this.checkIndex(k);
    return this.g[this.local[k]!]!;
  }

  /** Number of factors with a nonzero exposure. */
  get nonzeroCount(): number {
    return this.nonzeroLength;
  }

  /** The factor index of the i-th nonzero exposure, i in [0, nonzeroCount). Order is unspecified. */
  nonzeroAt(i: number): number {
    return this.nonzero[i]!;
  }

  /** Incremental updates applied since the last full recomputation (for a drift-control policy). */
  get updatesSinceRecompute(): number {
    return this.updates;
  }

  /** σ² = wᵀΣw, P&L variance per period (currency²); rounding below zero reads as 0. */
  variance(): number {
    return this.sigma2 > 0 ? this.sigma2 : 0;
  }

  /** σ_p, P&L standard deviation per period (currency). */
  sigma(): number {
    return Math.sqrt(this.variance());
  }

  /** VaR = z·σ_p (zero mean). */
  valueAtRisk(z: number): number {
    return z * this.sigma();
  }

  /** Normal ES = σ_p·φ(z_c)/(1 − c); pass that multiplier (normalEsMultiplier(c)·sqrt(h)). */
  expectedShortfall(esMultiplier: number): number {
    return esMultiplier * this.sigma();
  }

  /** Adds `delta` to w_k: O(n). */
  add(k: number, delta: number): void {
    this.checkIndex(k);
    if (!Number.isFinite(delta)) throw new RangeError(`exposure change must be finite, got ${delta}`);
    if (delta === 0) return;
    this.apply(k, delta, this.w[k]! + delta);
  }

  /** Sets w_k to `value`: O(n). */
  set(k: number, value: number): void {
    this.checkIndex(k);
    if (!Number.isFinite(value)) throw new RangeError(`exposure must be finite, got ${value}`);
    const delta = value - this.w[k]!;
    if (delta === 0) return;
    if (!Number.isFinite(delta)) throw new RangeError(`exposure change overflows: ${this.w[k]} to ${value}`);
    this.apply(k, delta, value);
  }

  /** Projected σ² if `delta` were added to w_k: O(1), no mutation. */
  whatIfVariance(k: number, delta: number): number {
    const projected = this.sigma2 + this.varianceChange(k, delta);
    return projected > 0 ? projected : 0;
  }

  /**
   * IVaR = z·(σ' − σ) for adding `delta` to w_k, exact (no first-order approximation): O(1).
   * Computed as z·(σ'² − σ²)/(σ' + σ) so a small order next to a large book keeps its digits.
   */
  incrementalVar(k: number, delta: number, z: number): number {
    const change = this.varianceChange(k, delta);
    const before = this.sigma2 > 0 ? this.sigma2 : 0;
    const projected = this.sigma2 + change;
    const after = projected > 0 ? projected : 0;
    const rootSum = Math.sqrt(before) + Math.sqrt(after);
    if (rootSum === 0) return 0;
    const difference = this.sigma2 >= 0 && projected >= 0 ? change : after - before;
    return (z * difference) / rootSum;
  }

  /**
   * MVaR_k = ∂VaR/∂w_k = z·g_k/σ_p (per unit of currency exposure). On a book with σ_p = 0 the
   * gradient does not exist; this returns the one-sided derivative for increasing w_k, z·sqrt(Σ_kk).
   */
  marginalVar(k: number, z: number): number {
    this.checkIndex(k);
    const sigma = this.sigma();
    if (sigma > 0) return (z * this.g[this.local[k]!]!) / sigma;
    return z * Math.sqrt(this.cov[k * this.n + k]!);
  }

  /** CVaR_k = w_k·MVaR_k = z·w_k·g_k/σ_p; the components sum to VaR (Euler). 0 when σ_p = 0. */
  componentVar(k: number, z: number): number {
    this.checkIndex(k);
    const sigma = this.sigma();
    return sigma > 0 ? (z / sigma) * this.w[k]! * this.g[this.local[k]!]! : 0; // same rounding as componentVars
  }

  /**
   * Writes the component VaR of every nonzero exposure: factor indices into `indices`, values into
   * `values` (same order). Returns how many were written. Both arrays need nonzeroCount slots.
   */
  componentVars(z: number, indices: Int32Array, values: Float64Array): number {
    const count = this.nonzeroLength;
    if (indices.length < count || values.length < count) {
      throw new RangeError(`output arrays need ${count} slots, have ${indices.length} and ${values.length}`);
    }
    const sigma = this.sigma();
    const scale = sigma > 0 ? z / sigma : 0;
    for (let i = 0; i < count; i++) {
      const k = this.nonzero[i]!;
      indices[i] = k;
      values[i] = scale * this.w[k]! * this.g[this.local[k]!]!;
    }
    return count;
  }

  /**
   * Rebuilds g and σ² from w and the current Σ: O(n·nnz). Returns |σ_cached − σ_exact| (currency)
   * as found before the rebuild: the accumulated drift when Σ did not change since the last call.
   * Nonzero exposures are visited in ascending factor order, so the result depends only on w and Σ.
   */
  recompute(): number {
    const w = this.w;
    const g = this.g;
    const count = this.nonzeroLength;
    const nonzero = this.nonzero;
    const cachedSigma = this.sigma();
    if (count > 1) {
      nonzero.subarray(0, count).sort();
      for (let i = 0; i < count; i++) this.slot[nonzero[i]!] = i;
    }
    const s = this.support.length;
    g.fill(0);
    const sub = this.sub;
    for (let a = 0; a < count; a++) {
      const j = nonzero[a]!;
      const wj = w[j]!;
      const row = this.local[j]! * s;
      for (let b = 0; b < s; b++) g[b] += wj * sub[row + b]!;
    }
    let variance = 0;
    for (let a = 0; a < count; a++) {
      const j = nonzero[a]!;
      variance += w[j]! * g[this.local[j]!]!;
    }
    this.sigma2 = variance;
    this.updates = 0;
    return Math.abs(cachedSigma - this.sigma());
  }

  /** Flattens the book. */
  clear(): void {
    for (let i = 0; i < this.nonzeroLength; i++) {
      const k = this.nonzero[i]!;
      this.w[k] = 0;
      this.slot[k] = -1;
    }
    this.nonzeroLength = 0;
    this.g.fill(0);
    this.sigma2 = 0;
    this.updates = 0;
  }

  /** The exposure vector w (dense, length n). g and σ² are derived and not saved. */
  snapshot(): number[] {
    return Array.from(this.w);
  }

  /** Replaces w with `exposures` (length n, finite) and recomputes g and σ². */
  restore(exposures: ArrayLike<number>): void {
    const n = this.n;
    if (exposures.length !== n) throw new RangeError(`restore needs ${n} exposures, got ${exposures.length}`);
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(exposures[k]!)) throw new RangeError(`exposure ${k} is not finite: ${exposures[k]}`);
      if (exposures[k] !== 0 && this.local[k]! < 0) throw new RangeError(`exposure ${k} is outside the covariance's support`);
    }
    this.clear();
    for (let k = 0; k < n; k++) {
      const value = exposures[k]!;
      if (value !== 0) {
        this.w[k] = value;
        this.slot[k] = this.nonzeroLength;
        this.nonzero[this.nonzeroLength++] = k;
      }
    }
    this.recompute();
  }

  /** The exact cached state (see VarBookState). */
  exportState(): VarBookState {
    return {
      exposures: Array.from(this.w),
      covarianceWithBook: Array.from({ length: this.n }, (_, k) => (this.local[k]! >= 0 ? this.g[this.local[k]!]! : 0)),
      variance: this.sigma2,
      nonzero: Array.from(this.nonzero.subarray(0, this.nonzeroLength)),
      updatesSinceRecompute: this.updates,
    };
  }

  /**
   * Loads a state from `exportState()`, e.g. decoded from a snapshot. Everything is checked
   * before anything changes: sizes, finiteness, and that `nonzero` lists exactly the nonzero
   * exposures. Throws RangeError naming the first problem.
   */
  importState(state: unknown): void {
    const n = this.n;
    if (typeof state !== 'object' || state === null) throw new RangeError('book state must be an object');
    const s = state as Partial<Record<keyof VarBookState, unknown>>;
    const w = finiteArray(s.exposures, n, 'exposures');
    const g = finiteArray(s.covarianceWithBook, n, 'covarianceWithBook');
    if (typeof s.variance !== 'number' || !Number.isFinite(s.variance)) throw new RangeError('book state variance must be finite');
    const updates = s.updatesSinceRecompute;
    if (typeof updates !== 'number' || !Number.isInteger(updates) || updates < 0) {
      throw new RangeError('book state updatesSinceRecompute must be a non-negative integer');
    }
    if (!Array.isArray(s.nonzero)) throw new RangeError('book state nonzero must be an array');
    const order: unknown[] = s.nonzero;
    const seen = new Uint8Array(n);
    for (const k of order) {
      if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= n) throw new RangeError(`book state nonzero index ${String(k)} out of range`);
      if (seen[k] === 1) throw new RangeError(`book state nonzero index ${k} repeated`);
      if (w[k] === 0) throw new RangeError(`book state lists factor ${k} as nonzero but its exposure is 0`);
      if (this.local[k]! < 0) throw new RangeError(`book state holds exposure in factor ${k}, outside the covariance's support`);
      seen[k] = 1;
    }
    for (let k = 0; k < n; k++) {
      if (w[k] !== 0 && seen[k] === 0) throw new RangeError(`book state omits nonzero factor ${k}`);
    }
    this.clear();
    for (let k = 0; k < n; k++) {
      this.w[k] = w[k]!;
      // g outside the support is never read (and books before the support kept it there).
      if (this.local[k]! >= 0) this.g[this.local[k]!] = g[k]!;
    }
    for (const k of order as number[]) {
      this.slot[k] = this.nonzeroLength;
      this.nonzero[this.nonzeroLength++] = k;
    }
    this.sigma2 = s.variance;
    this.updates = updates;
  }

  /** δ·(2g_k + δ·Σ_kk), the exact change of σ² for w_k += δ. Validates: a NaN must not pass a limit. */
  private varianceChange(k: number, delta: number): number {
    this.checkIndex(k);
    if (!Number.isFinite(delta)) throw new RangeError(`exposure change must be finite, got ${delta}`);
    return delta * (2 * this.g[this.local[k]!]! + delta * this.cov[k * this.n + k]!);
  }

  private apply(k: number, delta: number, next: number): void {
    const n = this.n;
    const cov = this.cov;
    const g = this.g;
    this.sigma2 += delta * (2 * g[this.local[k]!]! + delta * cov[k * n + k]!); // g before it moves
    const s = this.support.length;
    const sub = this.sub;
    const row = this.local[k]! * s;
    for (let b = 0; b < s; b++) g[b] += delta * sub[row + b]!;
    this.w[k] = next;
    this.updates++;
    const at = this.slot[k]!;
    if (next !== 0) {
      if (at < 0) {
        this.slot[k] = this.nonzeroLength;
        this.nonzero[this.nonzeroLength++] = k;
      }
      return;
    }
    if (at >= 0) {
      const lastIndex = --this.nonzeroLength;
      const moved = this.nonzero[lastIndex]!;
      this.nonzero[at] = moved;
      this.slot[moved] = at;
      this.slot[k] = -1;
      // A flat book has exactly zero risk: drop the rounding residue instead of carrying it.
      if (lastIndex === 0) {
        g.fill(0);
        this.sigma2 = 0;
        this.updates = 0;
      }
    }
  }

  private checkIndex(k: number): void {
    if (!(k >= 0 && k < this.n && Math.floor(k) === k)) throw new RangeError(`factor index ${k} out of range [0, ${this.n})`);
    if (this.local[k]! < 0) throw new RangeError(`index ${k} is not a risk factor of this covariance (outside its support)`);
  }
}

function finiteArray(value: unknown, length: number, name: string): readonly number[] {
  if (!Array.isArray(value) || value.length !== length) throw new RangeError(`book state ${name} must be an array of ${length} numbers`);
  const items: unknown[] = value;
  items.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new RangeError(`book state ${name}[${i}] is not a finite number`);
  });
  return items as number[];
}
