import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EwmaCovariance } from '../../../src/risk/var/ewma.js';
import { alignDailyCloses, type DailyClose, ewmaCovarianceFromReturns, logReturns } from '../../../src/risk/var/history.js';

/** The daily history shipped with Keel (data/SOURCES.md), the same closes the engine seeds VaR from. */
const PRICES_CSV = join(import.meta.dirname, '..', '..', '..', 'data', 'prices_daily.csv');

function readCloses(path: string): DailyClose[] {
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('date,symbol,close,volume');
  return lines.slice(1).map((line) => {
    const [date, symbol, close] = line.split(',');
    return { date: date!, symbol: symbol!, close: Number(close) };
  });
}

describe('history helpers', () => {
  it('logReturns: ln(c_t / c_{t−1})', () => {
    const r = logReturns(Float64Array.of(100, 110, 99));
    expect(r.length).toBe(2);
    expect(r[0]).toBeCloseTo(Math.log(1.1), 15);
    expect(r[1]).toBeCloseTo(Math.log(0.9), 15);
    expect(logReturns([100]).length).toBe(0);
    expect(() => logReturns([100, 0, 5])).toThrow(RangeError);
    expect(() => logReturns([100, Number.NaN])).toThrow(RangeError);
  });

  it('alignDailyCloses keeps only common dates, sorted, ignoring other symbols', () => {
    const rows: DailyClose[] = [
      { date: '2024-01-03', symbol: 'ETH', close: 2300 },
      { date: '2024-01-01', symbol: 'BTC', close: 42000 },
      { date: '2024-01-02', symbol: 'BTC', close: 45000 },
      { date: '2024-01-03', symbol: 'BTC', close: 44000 },
      { date: '2024-01-01', symbol: 'ETH', close: 2350 },
      { date: '2024-01-02', symbol: 'SOL', close: 100 },
      { date: '2024-01-04', symbol: 'BTC', close: 43000 },
    ];
    const aligned = alignDailyCloses(rows, ['BTC', 'ETH']);
    expect(aligned.dates).toEqual(['2024-01-01', '2024-01-03']);
    expect(Array.from(aligned.closes[0]!)).toEqual([42000, 44000]);
    expect(Array.from(aligned.closes[1]!)).toEqual([2350, 2300]);
    expect(() => alignDailyCloses([...rows, { date: '2024-01-01', symbol: 'BTC', close: 1 }], ['BTC'])).toThrow(RangeError);
    expect(() => alignDailyCloses([{ date: '2024-1-1', symbol: 'BTC', close: 1 }], ['BTC'])).toThrow(RangeError);
    expect(() => alignDailyCloses([{ date: '2024-01-01', symbol: 'BTC', close: -1 }], ['BTC'])).toThrow(RangeError);
    expect(() => alignDailyCloses(rows, ['BTC', 'BTC'])).toThrow(RangeError);
  });

  it('ewmaCovarianceFromReturns: zero-mean seed then the recursion (worked by hand)', () => {
    // seed on days 0-1: s11 = (0.01² + 0.02²)/2 = 2.5e-4, s12 = (0.01·0.02 + (−0.02)·0)/2 = 1e-4,
    // s22 = (0.02² + 0²)/2 = 2e-4; then λ = 0.5 with r = (0.03, −0.01):
    // s11 = 0.5·2.5e-4 + 0.5·9e-4 = 5.75e-4, s12 = 0.5·1e-4 + 0.5·(−3e-4) = −1e-4, s22 = 0.5·2e-4 + 0.5·1e-4 = 1.5e-4
    const cov = ewmaCovarianceFromReturns([Float64Array.of(0.01, -0.02, 0.03), Float64Array.of(0.02, 0, -0.01)], 0.5, 2);
    const expected = [5.75e-4, -1e-4, -1e-4, 1.5e-4];
    expected.forEach((v, i) => expect(cov[i]).toBeCloseTo(v, 17));
    // seedDays = all: just the seed
    const seedOnly = ewmaCovarianceFromReturns([Float64Array.of(0.01, -0.02, 0.03)], 0.94, 3);
    expect(seedOnly[0]).toBeCloseTo((1e-4 + 4e-4 + 9e-4) / 3, 17);
    expect(() => ewmaCovarianceFromReturns([Float64Array.of(0.01), Float64Array.of(0.01, 0.02)], 0.94, 1)).toThrow(RangeError);
    expect(() => ewmaCovarianceFromReturns([Float64Array.of(0.01)], 0.94, 2)).toThrow(RangeError);
    expect(() => ewmaCovarianceFromReturns([], 0.94, 1)).toThrow(RangeError);
  });

  it('BTC/ETH EWMA (λ = 0.94) at 2025-12-31 from data/prices_daily.csv is sane', () => {
    const aligned = alignDailyCloses(readCloses(PRICES_CSV), ['BTC', 'ETH']);
    expect(aligned.dates.at(-1)).toBe('2025-12-31');
    expect(aligned.dates.length).toBe(1096); // 2023-01-01 .. 2025-12-31, every day (2024 is a leap year)
    const returns = aligned.closes.map((closes) => logReturns(closes));
    const cov = ewmaCovarianceFromReturns(returns, 0.94, 75);
    const ewma = new EwmaCovariance(2, 0.94);
    ewma.seed(cov);
    const btcAnnual = Math.sqrt(ewma.variance(0) * 365);
    const ethAnnual = Math.sqrt(ewma.variance(1) * 365);
    const rho = ewma.correlation(0, 1);
    for (const v of [btcAnnual, ethAnnual, rho]) expect(Number.isFinite(v)).toBe(true);
    expect(btcAnnual).toBeGreaterThan(0.2);
    expect(btcAnnual).toBeLessThan(1.5);
    expect(ethAnnual).toBeGreaterThan(0.2);
    expect(ethAnnual).toBeLessThan(2.5);
    expect(rho).toBeGreaterThan(0.3);
    expect(rho).toBeLessThan(1);
  });
});
