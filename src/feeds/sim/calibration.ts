/**
 * Calibration of the simulator's price model from the shared daily data (data/prices_daily.csv,
 * data/dvol_btc.csv, data/funding_btcusdt.csv). Pure: callers read the files and pass the text.
 *
 * - Risky assets: annualised volatility and correlation of daily log returns over the last
 *   `windowDays` returns on the dates where every requested symbol has a close
 *   (sample statistics, mean removed; annualised with sqrt(365), crypto trades every day).
 * - Stablecoins: an Ornstein-Uhlenbeck fit of ln(close) around the peg ln(1) = 0 by an AR(1)
 *   regression through the origin on the last `windowDays` days: phi = sum(x_t x_t+1) / sum(x_t^2),
 *   half-life = ln 2 / -ln(phi) days, stationary sd = sd(residual) / sqrt(1 - phi^2).
 * - Funding: the same AR(1) fit of the 8-hourly BTCUSDT rate around its window mean.
 * - Option ATM level: the last DVOL close (30-day BTC implied vol, percent) / 100.
 *
 * DEFAULT_CALIBRATION holds the numbers these functions give on the shipped files (window 365
 * days; funding window 1095 settlements = 365 days); test/unit/feeds/sim-market.test.ts
 * recomputes them from the files when present.
 */

export interface DailyClose {
  date: string;
  symbol: string;
  close: number;
}

export interface DatedValue {
  date: string;
  value: number;
}

export interface AssetCalibration {
  symbols: string[];
  /** Annualised volatility of daily log returns, per symbol. */
  annualVol: number[];
  /** Correlation of daily log returns (row-major, symbols order). */
  correlation: number[][];
  /** Close on the last date of the window (the model's starting price). */
  lastClose: number[];
  from: string;
  to: string;
  returns: number;
}

export interface PegCalibration {
  symbol: string;
  halfLifeDays: number;
  /** Stationary standard deviation of ln(price). */
  stationarySd: number;
  lastClose: number;
  from: string;
  to: string;
}

export interface FundingCalibration {
  /** Mean rate per 8 h settlement (decimal fraction). */
  mean: number;
  stationarySd: number;
  halfLifeHours: number;
  from: string;
  to: string;
  settlements: number;
}

export interface SimCalibration {
  assets: AssetCalibration;
  pegs: PegCalibration[];
  funding: FundingCalibration;
  /** BTC 30-day ATM implied vol as a fraction (DVOL / 100) and its date. */
  btcAtmVol: number;
  btcAtmVolDate: string;
}

export type CalibrationResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses `date,symbol,close[,volume]` rows; bad rows are reported, not thrown. */
export function parseDailyClosesCsv(text: string): { rows: DailyClose[]; errors: string[] } {
  const rows: DailyClose[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',');
  const iDate = header.indexOf('date');
  const iSymbol = header.indexOf('symbol');
  const iClose = header.indexOf('close');
  if (iDate < 0 || iSymbol < 0 || iClose < 0) return { rows, errors: ['header must name date, symbol and close'] };
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.length === 0) continue;
    const cells = line.split(',');
    const close = Number(cells[iClose]);
    const date = cells[iDate] ?? '';
    const symbol = cells[iSymbol] ?? '';
    if (!(close > 0) || !/^\d{4}-\d{2}-\d{2}$/.test(date) || symbol.length === 0) {
      errors.push(`line ${n + 1}: ${line.slice(0, 80)}`);
      continue;
    }
    rows.push({ date, symbol, close });
  }
  return { rows, errors };
}

/** Parses a two-column `<time>,<value>` file (dvol: date,close; funding: time,rate). */
export function parseDatedValuesCsv(text: string): { rows: DatedValue[]; errors: string[] } {
  const rows: DatedValue[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.length === 0) continue;
    const [date, raw] = line.split(',');
    const value = Number(raw);
    if (date === undefined || date.length === 0 || raw === undefined || raw.length === 0 || !Number.isFinite(value)) {
      errors.push(`line ${n + 1}: ${line.slice(0, 80)}`);
      continue;
    }
    rows.push({ date, value });
  }
  return { rows, errors };
}

export function calibrateAssets(rows: readonly DailyClose[], symbols: readonly string[], windowDays: number): CalibrationResult<AssetCalibration> {
  if (symbols.length === 0) return { ok: false, error: 'no symbols to calibrate' };
  const bySymbol = new Map<string, Map<string, number>>();
  for (const s of symbols) bySymbol.set(s, new Map());
  for (const r of rows) bySymbol.get(r.symbol)?.set(r.date, r.close);
  for (const [s, m] of bySymbol) if (m.size === 0) return { ok: false, error: `no prices for ${s}` };
  const first = bySymbol.get(symbols[0]!)!;
  const common = [...first.keys()].filter((d) => symbols.every((s) => bySymbol.get(s)!.has(d))).sort();
  if (common.length < windowDays + 1) return { ok: false, error: `only ${common.length} common dates for ${symbols.join(',')}, need ${windowDays + 1}` };
  const dates = common.slice(common.length - windowDays - 1);
  const k = symbols.length;
  const returns: number[][] = symbols.map((s) => {
    const m = bySymbol.get(s)!;
    const out: number[] = [];
    for (let t = 1; t < dates.length; t++) out.push(Math.log(m.get(dates[t]!)! / m.get(dates[t - 1]!)!));
    return out;
  });
  const n = windowDays;
  const means = returns.map((r) => r.reduce((a, b) => a + b, 0) / n);
  const cov: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let sum = 0;
      for (let t = 0; t < n; t++) sum += (returns[i]![t]! - means[i]!) * (returns[j]![t]! - means[j]!);
      cov[i]![j] = cov[j]![i] = sum / (n - 1);
    }
  }
  const sd = cov.map((row, i) => Math.sqrt(row[i]!));
  return {
    ok: true,
    value: {
      symbols: [...symbols],
      annualVol: sd.map((s) => s * Math.sqrt(365)),
      correlation: cov.map((row, i) => row.map((c, j) => (i === j ? 1 : c / (sd[i]! * sd[j]!)))),
      lastClose: symbols.map((s) => bySymbol.get(s)!.get(dates[dates.length - 1]!)!),
      from: dates[0]!,
      to: dates[dates.length - 1]!,
      returns: n,
    },
  };
}

/** AR(1) through the origin: x_t+1 = phi x_t + e. */
function ar1(xs: readonly number[]): { phi: number; residualSd: number } {
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t + 1 < xs.length; t++) {
    sxy += xs[t]! * xs[t + 1]!;
    sxx += xs[t]! * xs[t]!;
  }
  const phi = sxx > 0 ? sxy / sxx : 0;
  let sse = 0;
  for (let t = 0; t + 1 < xs.length; t++) {
    const e = xs[t + 1]! - phi * xs[t]!;
    sse += e * e;
  }
  return { phi, residualSd: Math.sqrt(sse / Math.max(1, xs.length - 2)) };
}

export function calibratePeg(rows: readonly DailyClose[], symbol: string, windowDays: number): CalibrationResult<PegCalibration> {
  const series = rows.filter((r) => r.symbol === symbol).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  if (series.length < windowDays + 1) return { ok: false, error: `only ${series.length} closes for ${symbol}` };
  const window = series.slice(series.length - windowDays - 1);
  const { phi, residualSd } = ar1(window.map((r) => Math.log(r.close)));
  if (!(phi > 0 && phi < 1)) return { ok: false, error: `${symbol}: AR(1) coefficient ${phi} is not mean-reverting` };
  return {
    ok: true,
    value: {
      symbol,
      halfLifeDays: Math.LN2 / -Math.log(phi),
      stationarySd: residualSd / Math.sqrt(1 - phi * phi),
      lastClose: window[window.length - 1]!.close,
      from: window[0]!.date,
      to: window[window.length - 1]!.date,
    },
  };
}

export function calibrateFunding(rows: readonly DatedValue[], windowSettlements: number): CalibrationResult<FundingCalibration> {
  if (rows.length < windowSettlements + 1) return { ok: false, error: `only ${rows.length} funding settlements` };
  const window = rows.slice(rows.length - windowSettlements);
  const mean = window.reduce((a, r) => a + r.value, 0) / window.length;
  const { phi, residualSd } = ar1(window.map((r) => r.value - mean));
  if (!(phi > 0 && phi < 1)) return { ok: false, error: `funding AR(1) coefficient ${phi} is not mean-reverting` };
  return {
    ok: true,
    value: {
      mean,
      stationarySd: residualSd / Math.sqrt(1 - phi * phi),
      halfLifeHours: (8 * Math.LN2) / -Math.log(phi),
      from: window[0]!.date,
      to: window[window.length - 1]!.date,
      settlements: window.length,
    },
  };
}

/** Symbols treated as USD stablecoins (modelled as a peg, not as GBM). */
export const STABLECOINS: readonly string[] = ['USDT', 'USDC'];

/**
 * What the functions above give on the shipped files, rounded to 4 significant digits:
 * prices: the last 365 daily returns (2024-12-31..2025-12-31 closes); USDT and USDC: each file's
 * last 365 days (USDT ends 2024-06-18, USDC 2025-08-13); funding: the last 1095 settlements
 * (2025-04-02..2026-04-01); DVOL: the last close (2026-04-05, 47.53).
 */
export const DEFAULT_CALIBRATION: SimCalibration = {
  assets: {
    symbols: ['BTC', 'ETH', 'SOL', 'XRP', 'BNB', 'ADA', 'DOGE'],
    annualVol: [0.4167, 0.7444, 0.8598, 0.8196, 0.5194, 1.032, 0.9356],
    correlation: [
      [1, 0.821, 0.8033, 0.7845, 0.6671, 0.7859, 0.8074],
      [0.821, 1, 0.8004, 0.7505, 0.7159, 0.7881, 0.8617],
      [0.8033, 0.8004, 1, 0.7862, 0.6631, 0.7937, 0.8167],
      [0.7845, 0.7505, 0.7862, 1, 0.607, 0.8508, 0.7949],
      [0.6671, 0.7159, 0.6631, 0.607, 1, 0.6245, 0.7111],
      [0.7859, 0.7881, 0.7937, 0.8508, 0.6245, 1, 0.81],
      [0.8074, 0.8617, 0.8167, 0.7949, 0.7111, 0.81, 1],
    ],
    lastClose: [87648.22, 2971.64, 124.65, 1.8423, 864.3, 0.3335, 0.11747],
    from: '2024-12-31',
    to: '2025-12-31',
    returns: 365,
  },
  pegs: [
    { symbol: 'USDT', halfLifeDays: 2.209, stationarySd: 0.000503, lastClose: 0.999876, from: '2023-06-19', to: '2024-06-18' },
    { symbol: 'USDC', halfLifeDays: 0.7372, stationarySd: 0.0001334, lastClose: 0.999867, from: '2024-08-13', to: '2025-08-13' },
  ],
  funding: {
    mean: 0.00003763,
    stationarySd: 0.00004515,
    halfLifeHours: 11.55,
    from: '2025-04-02T00:00:00Z',
    to: '2026-04-01T16:00:00Z',
    settlements: 1095,
  },
  btcAtmVol: 0.4753,
  btcAtmVolDate: '2026-04-05',
};

/** Rounds to `digits` significant digits (for printing the defaults). */
export function roundSignificant(x: number, digits = 4): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}
