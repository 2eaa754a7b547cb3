/**
 * Seeding the EWMA covariance from daily history (DOMAIN.md §1.1). Pure: the caller reads the
 * price file and passes rows in.
 *
 * Seed choice: Σ_0 is the zero-mean sample second moment of the first `seedDays` returns,
 * (1/N)·Σ_t r_t r_tᵀ, the same zero-mean estimator the RiskMetrics recursion applies afterwards,
 * so the seed and the recursion describe one model. A demeaned (N − 1) sample covariance would
 * differ by the factor about 1 + (μ/σ)² on the diagonal, ~1% for a 0.3%/day drift at 3% daily
 * vol. Either way the seed's weight in Σ decays as λ^(days after the seed): 0.94^250 ≈ 2e-7, so
 * with a year of history after the seed the choice does not show. N >= 75 (the 1%-tolerance
 * window for λ = 0.94) keeps the seed itself from being a handful of noisy days.
 */
import { EwmaCovariance } from './ewma.js';

/** Closes of several symbols on the dates all of them have, oldest first. */
export interface AlignedCloses {
  dates: string[];
  /** closes[s][t]: close of symbols[s] on dates[t]. */
  closes: Float64Array[];
}

/** One row of a daily close file (`date` as YYYY-MM-DD, UTC). */
export interface DailyClose {
  date: string;
  symbol: string;
  close: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Aligns the requested symbols on their common dates, ascending. Rows of other symbols are
 * ignored. A date missing for any symbol is dropped for all, so the return across it spans
 * several days: callers that need strictly one-day returns must check `dates` for gaps.
 * Throws on a malformed date, a non-positive or non-finite close, or a duplicate (date, symbol).
 */
export function alignDailyCloses(rows: readonly DailyClose[], symbols: readonly string[]): AlignedCloses {
  const column = new Map<string, number>();
  symbols.forEach((symbol, s) => {
    if (column.has(symbol)) throw new RangeError(`symbol ${symbol} requested twice`);
    column.set(symbol, s);
  });
  const byDate = new Map<string, Float64Array>();
  for (const row of rows) {
    const s = column.get(row.symbol);
    if (s === undefined) continue;
    if (!ISO_DATE.test(row.date)) throw new RangeError(`bad date ${JSON.stringify(row.date)} for ${row.symbol}`);
    if (!(row.close > 0 && row.close < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`bad close ${row.close} for ${row.symbol} on ${row.date}`);
    }
    let day = byDate.get(row.date);
    if (day === undefined) {
      day = new Float64Array(symbols.length); // 0 marks "no close yet": closes are positive
      byDate.set(row.date, day);
    }
    if (day[s] !== 0) throw new RangeError(`duplicate close for ${row.symbol} on ${row.date}`);
    day[s] = row.close;
  }
  const dates = [...byDate.keys()].filter((date) => byDate.get(date)!.every((close) => close > 0)).sort();
  const closes = symbols.map(() => new Float64Array(dates.length));
  dates.forEach((date, t) => {
    const day = byDate.get(date)!;
    for (let s = 0; s < symbols.length; s++) closes[s]![t] = day[s]!;
  });
  return { dates, closes };
}

/** ln(c_t / c_{t−1}), length m − 1. Throws on a non-positive or non-finite close. */
export function logReturns(closes: ArrayLike<number>): Float64Array {
  const m = closes.length;
  for (let t = 0; t < m; t++) {
    const close = closes[t]!;
    if (!(close > 0 && close < Number.POSITIVE_INFINITY)) throw new RangeError(`close ${t} is not a positive number: ${close}`);
  }
  const out = new Float64Array(Math.max(m - 1, 0));
  for (let t = 1; t < m; t++) out[t - 1] = Math.log(closes[t]! / closes[t - 1]!);
  return out;
}

/**
 * Σ after the whole history: seeded with the zero-mean sample covariance of returns[·][0 ..
 * seedDays − 1] (see the module comment), then λΣ + (1 − λ)·r rᵀ for each later return.
 * `returns[i]` is factor i's series; all must have the same length, >= seedDays >= 1.
 * The result (row-major n×n) is the forecast for the period after the last return.
 */
export function ewmaCovarianceFromReturns(
  returns: readonly Float64Array[],
  lambda: number,
  seedDays: number,
): Float64Array {
  const n = returns.length;
  if (n === 0) throw new RangeError('need at least one return series');
  const length = returns[0]!.length;
  for (let i = 1; i < n; i++) {
    if (returns[i]!.length !== length) {
      throw new RangeError(`return series ${i} has ${returns[i]!.length} points, series 0 has ${length}`);
    }
  }
  if (!Number.isInteger(seedDays) || seedDays < 1 || seedDays > length) {
    throw new RangeError(`seedDays must be an integer in [1, ${length}], got ${seedDays}`);
  }
  const seed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = returns[i]!;
    for (let j = i; j < n; j++) {
      const rj = returns[j]!;
      let sum = 0;
      for (let t = 0; t < seedDays; t++) sum += ri[t]! * rj[t]!;
      seed[i * n + j] = sum / seedDays;
      seed[j * n + i] = sum / seedDays;
    }
  }
  const ewma = new EwmaCovariance(n, lambda);
  ewma.seed(seed); // also rejects non-finite seed returns
  const day = new Float64Array(n);
  for (let t = seedDays; t < length; t++) {
    for (let i = 0; i < n; i++) day[i] = returns[i]![t]!;
    ewma.update(day);
  }
  return Float64Array.from(ewma.matrix as ArrayLike<number>);
}
