import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { L2Book } from '../../../src/feeds/book.js';
import { parseScaled } from '../../../src/feeds/decimal.js';
import {
  DEFAULT_CALIBRATION,
  calibrateAssets,
  calibrateFunding,
  calibratePeg,
  parseDailyClosesCsv,
  parseDatedValuesCsv,
  roundSignificant,
} from '../../../src/feeds/sim/calibration.js';
import { FUNDING_INTERVAL_MS, MS_PER_YEAR, SimMarket, cholesky, currenciesOf, type SimMarketOptions } from '../../../src/feeds/sim/market.js';
import { SeededRandom } from '../../../src/feeds/sim/random.js';
import type { SimTick } from '../../../src/feeds/sim/types.js';
import { black76, newGreeks } from '../../../src/risk/options/black76.js';
import { InstrumentRegistry, type InstrumentSpec } from '../../../src/portfolio/instruments.js';
import type { Level } from '../../../src/risk/events.js';

const defaults = simSectionSchema.parse({});
const START = Date.parse('2026-11-25T00:00:00Z');

const spec = (s: Partial<InstrumentSpec> & Pick<InstrumentSpec, 'venue' | 'venueSymbol' | 'kind' | 'base' | 'quote' | 'tickSize' | 'lotSize'>): InstrumentSpec => ({
  settlementType: 'linear',
  settle: s.quote,
  underlying: s.base,
  contractSize: '1',
  ...s,
});

const registry = InstrumentRegistry.of([
  spec({ venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'spot', base: 'BTC', quote: 'USDT', tickSize: '0.01', lotSize: '0.00001' }),
  spec({ venue: 'binance', venueSymbol: 'ETHBTC', kind: 'spot', base: 'ETH', quote: 'BTC', tickSize: '0.00001', lotSize: '0.0001' }),
  spec({ venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'perpetual', base: 'BTC', quote: 'USDT', tickSize: '0.1', lotSize: '0.001' }),
  spec({ venue: 'kraken', venueSymbol: 'USDT/USD', kind: 'spot', base: 'USDT', quote: 'USD', tickSize: '0.0001', lotSize: '0.00000001' }),
  spec({ venue: 'deribit', venueSymbol: 'BTC-PERPETUAL', kind: 'perpetual', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', contractSize: '10', tickSize: '0.5', lotSize: '1' }),
  spec({ venue: 'deribit', venueSymbol: 'BTC-25DEC26', kind: 'future', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', contractSize: '10', tickSize: '2.5', lotSize: '1', expiry: '2026-12-25T08:00:00Z' }),
  spec({ venue: 'deribit', venueSymbol: 'BTC-26MAR27-100000-C', kind: 'option', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', tickSize: '0.0001', lotSize: '0.1', expiry: '2027-03-26T08:00:00Z', strike: '100000', optionType: 'call' }),
  spec({ venue: 'deribit', venueSymbol: 'BTC-26MAR27-80000-P', kind: 'option', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', tickSize: '0.0001', lotSize: '0.1', expiry: '2027-03-26T08:00:00Z', strike: '80000', optionType: 'put' }),
  spec({ venue: 'okx', venueSymbol: 'SOL-USDT-SWAP', kind: 'perpetual', base: 'SOL', quote: 'USDT', contractSize: '1', tickSize: '0.01', lotSize: '0.01' }),
]);

function options(patch: Partial<SimMarketOptions> = {}, flowRate = 20_000): SimMarketOptions {
  return {
    instruments: registry.all,
    seed: 7,
    startMs: START,
    model: { ...defaults.model, calibration: DEFAULT_CALIBRATION },
    flow: { ...defaults.flow, messagesPerSecond: flowRate },
    book: defaults.book,
    ...patch,
  };
}

function market(patch: Partial<SimMarketOptions> = {}, flowRate?: number): SimMarket {
  const r = SimMarket.create(options(patch, flowRate));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.market;
}

function run(m: SimMarket, steps: number, dtMs = 2): SimTick[] {
  const ticks: SimTick[] = [];
  for (let i = 0; i < steps; i++) m.step(dtMs, (t) => ticks.push(t));
  return ticks;
}

const serialise = (ticks: SimTick[]): string => JSON.stringify(ticks.map((t) => ({ ...t, instrument: t.instrument.id })));

function isMultiple(text: string, step: string): boolean {
  const v = parseScaled(text);
  const s = parseScaled(step);
  if (v === null || s === null) return false;
  if (v.decimals !== s.decimals) return false;
  return v.units % s.units === 0;
}

describe('calibration', () => {
  // Log returns X: +0.1, 0, -0.1; Y = 2X; Z: 0, +0.1, -0.1 -> sd 0.1, corr(X,Y) = 1, corr(X,Z) = 0.5.
  const path = (returns: number[]): number[] => returns.reduce<number[]>((acc, r) => [...acc, acc[acc.length - 1]! * Math.exp(r)], [100]);
  const dates = ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04'];
  const csv = [
    'date,symbol,close,volume',
    ...(
      [
        ['X', path([0.1, 0, -0.1])],
        ['Y', path([0.2, 0, -0.2])],
        ['Z', path([0, 0.1, -0.1])],
      ] as const
    ).flatMap(([sym, closes]) => closes.map((c, i) => `${dates[i]},${sym},${c},`)),
    '2025-01-05,X,not-a-number,',
  ].join('\n');

  it('computes annualised vol and correlation of daily log returns', () => {
    const parsed = parseDailyClosesCsv(csv);
    expect(parsed.errors).toEqual(['line 14: 2025-01-05,X,not-a-number,']);
    const r = calibrateAssets(parsed.rows, ['X', 'Y', 'Z'], 3);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.annualVol[0]).toBeCloseTo(0.1 * Math.sqrt(365), 12);
    expect(r.value.annualVol[1]).toBeCloseTo(0.2 * Math.sqrt(365), 12);
    expect(r.value.correlation[0]![1]).toBeCloseTo(1, 12);
    expect(r.value.correlation[0]![2]).toBeCloseTo(0.5, 12);
    expect(r.value.lastClose[0]).toBeCloseTo(100, 10);
    expect([r.value.from, r.value.to, r.value.returns]).toEqual(['2025-01-01', '2025-01-04', 3]);
    expect(calibrateAssets(parsed.rows, ['X'], 10)).toEqual({ ok: false, error: 'only 4 common dates for X, need 11' });
    expect(calibrateAssets(parsed.rows, ['Q'], 1)).toEqual({ ok: false, error: 'no prices for Q' });
  });

  it('recovers the half-life and stationary sd of a seeded OU peg', () => {
    const rnd = new SeededRandom(3);
    const phi = Math.exp(-Math.LN2 / 2); // half-life 2 days
    const sd = 0.0005;
    const rows = [];
    let x = 0;
    for (let d = 0; d < 4_000; d++) {
      x = phi * x + sd * Math.sqrt(1 - phi * phi) * rnd.normal();
      rows.push({ date: new Date(Date.UTC(2010, 0, 1) + d * 86_400_000).toISOString().slice(0, 10), symbol: 'USDT', close: Math.exp(x) });
    }
    const r = calibratePeg(rows, 'USDT', 3_999);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.halfLifeDays).toBeGreaterThan(1.8);
    expect(r.value.halfLifeDays).toBeLessThan(2.2);
    expect(r.value.stationarySd / sd).toBeGreaterThan(0.93);
    expect(r.value.stationarySd / sd).toBeLessThan(1.07);
  });

  const data = join(import.meta.dirname, '..', '..', '..', 'data');
  it('DEFAULT_CALIBRATION is what the shipped data files give', () => {
    const prices = parseDailyClosesCsv(readFileSync(`${data}/prices_daily.csv`, 'utf8'));
    const a = calibrateAssets(prices.rows, DEFAULT_CALIBRATION.assets.symbols, 365);
    if (!a.ok) throw new Error(a.error);
    expect(a.value.annualVol.map((v) => roundSignificant(v))).toEqual(DEFAULT_CALIBRATION.assets.annualVol);
    expect(a.value.correlation.map((row) => row.map((v) => roundSignificant(v)))).toEqual(DEFAULT_CALIBRATION.assets.correlation);
    expect(a.value.lastClose).toEqual(DEFAULT_CALIBRATION.assets.lastClose);
    for (const peg of DEFAULT_CALIBRATION.pegs) {
      const p = calibratePeg(prices.rows, peg.symbol, 365);
      if (!p.ok) throw new Error(p.error);
      expect(roundSignificant(p.value.halfLifeDays)).toBe(peg.halfLifeDays);
      expect(roundSignificant(p.value.stationarySd)).toBe(peg.stationarySd);
    }
    const funding = calibrateFunding(parseDatedValuesCsv(readFileSync(`${data}/funding_btcusdt.csv`, 'utf8')).rows, 1_095);
    if (!funding.ok) throw new Error(funding.error);
    expect([funding.value.mean, funding.value.stationarySd, funding.value.halfLifeHours].map((v) => roundSignificant(v))).toEqual([
      DEFAULT_CALIBRATION.funding.mean,
      DEFAULT_CALIBRATION.funding.stationarySd,
      DEFAULT_CALIBRATION.funding.halfLifeHours,
    ]);
    const dvol = parseDatedValuesCsv(readFileSync(`${data}/dvol_btc.csv`, 'utf8')).rows.at(-1)!;
    expect([dvol.date, dvol.value / 100]).toEqual([DEFAULT_CALIBRATION.btcAtmVolDate, DEFAULT_CALIBRATION.btcAtmVol]);
  });
});

describe('SimMarket construction', () => {
  it('lists what it cannot model instead of throwing', () => {
    const odd = InstrumentRegistry.of([spec({ venue: 'kraken', venueSymbol: 'EUR/USD', kind: 'spot', base: 'EUR', quote: 'USD', tickSize: '0.0001', lotSize: '1' })]);
    const r = SimMarket.create(options({ instruments: odd.all }));
    expect(r).toEqual({ ok: false, errors: ['kraken:EUR/USD: no price model for EUR (calibrate it or add it to the calibration)'] });
    const jumpy = SimMarket.create(options({ model: { ...defaults.model, calibration: DEFAULT_CALIBRATION, jumps: { intensityPerYear: 500, meanLog: -0.05, stdLog: 0.1 } } }));
    expect(jumpy.ok).toBe(false);
  });

  it('factors a covariance exactly (Cholesky)', () => {
    const l = cholesky(new Float64Array([4, 2, 2, 5]), 2)!;
    expect([...l]).toEqual([2, 0, 1, 2]);
    expect(cholesky(new Float64Array([1, 2, 2, 1]), 2)).toBeUndefined();
  });

  it('names the currencies a universe needs', () => {
    expect(currenciesOf(registry.all)).toEqual({ risky: ['BTC', 'ETH', 'SOL'], stable: ['USDT'] });
  });
});

describe('SimMarket ticks', () => {
  it('is deterministic: same seed and steps give identical ticks; another seed differs', () => {
    const a = serialise(run(market(), 500));
    const b = serialise(run(market(), 500));
    const c = serialise(run(market({ seed: 8 }), 500));
    expect(a.length).toBeGreaterThan(10_000);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('emits exact tick/lot multiples with the instrument precision, never float artefacts', () => {
    const ticks = run(market(), 1_000);
    expect(new Set(ticks.map((t) => t.kind))).toEqual(new Set(['book', 'trade', 'mark', 'option']));
    const bad: string[] = [];
    for (const t of ticks) {
      const { tickSize, lotSize } = t.instrument.spec;
      const prices: string[] = [];
      const sizes: string[] = [];
      if (t.kind === 'trade') {
        prices.push(t.price);
        sizes.push(t.size);
      } else if (t.kind === 'book') {
        for (const [p, s] of [...t.bids, ...t.asks]) {
          prices.push(p);
          if (s !== '0') sizes.push(s);
        }
      } else if (t.kind === 'mark') prices.push(t.markPrice, t.indexPrice);
      else prices.push(t.markPrice, ...[t.bestBid, t.bestAsk].filter((p) => p !== '0'));
      for (const p of prices) if (!isMultiple(p, tickSize)) bad.push(`${t.instrument.id} price ${p} tick ${tickSize}`);
      for (const s of sizes) if (!isMultiple(s, lotSize)) bad.push(`${t.instrument.id} size ${s} lot ${lotSize}`);
    }
    expect(bad).toEqual([]);
  });

  it('book ticks carry changes only, and replaying them reproduces the book; trades hit the touch', () => {
    const m = market({}, 5_000);
    const books = new Map<number, L2Book>();
    for (const ins of m.instruments) {
      const b = new L2Book();
      const snap = m.book(ins);
      b.loadSnapshot(snap.bids, snap.asks);
      books.set(ins.idx, b);
    }
    let trades = 0;
    for (const t of run(m, 2_000)) {
      const book = books.get(t.instrument.idx)!;
      if (t.kind === 'trade') {
        trades++;
        const touch = t.side === 'buy' ? book.bestAsk() : book.bestBid();
        expect(touch?.[0]).toBe(t.price);
        expect(Number(t.size)).toBeLessThanOrEqual(Number(touch![1]));
      } else if (t.kind === 'book') {
        expect(t.bids.length + t.asks.length).toBeGreaterThan(0);
        const prices = [...t.bids.map((l) => `b${l[0]}`), ...t.asks.map((l) => `a${l[0]}`)];
        expect(new Set(prices).size).toBe(prices.length);
        for (const [p, s] of t.bids) book.set('bid', p, s);
        for (const [p, s] of t.asks) book.set('ask', p, s);
        expect(book.isCrossed()).toBe(false);
      }
    }
    expect(trades).toBeGreaterThan(50);
    const out: Level[] = [];
    for (const ins of m.instruments) {
      const expected = m.book(ins);
      const book = books.get(ins.idx)!;
      book.top('bid', 1_000, out);
      expect(out).toEqual(expected.bids);
      book.top('ask', 1_000, out);
      expect(out).toEqual(expected.asks);
      expect(expected.bids.length).toBeLessThanOrEqual(defaults.book.levels);
    }
  });

  it('mid is the exact half-sum of the touch', () => {
    const m = market();
    run(m, 200);
    for (const ins of m.instruments) {
      const b = m.book(ins);
      const mid = m.mid(ins);
      expect(mid.includes('e')).toBe(false);
      expect(Number(mid)).toBeCloseTo((Number(b.bids[0]![0]) + Number(b.asks[0]![0])) / 2, 10);
    }
  });

  it('emits about messagesPerSecond ticks and caps a burst at maxBurstMs', () => {
    const m = market({}, 10_000);
    const ticks = run(m, 1_000, 1); // one virtual second
    expect(ticks.length).toBeGreaterThan(9_300);
    expect(ticks.length).toBeLessThan(10_200);
    let burst = 0;
    m.step(60_000, () => burst++);
    expect(burst).toBeLessThanOrEqual(10_000 * (defaults.flow.maxBurstMs / 1_000) + 10);
    expect(m.now()).toBe(START + 61_000);
  });

  it('perpetual marks carry a funding rate near the calibrated mean and the next 00/08/16 UTC time', () => {
    // Hourly steps over ~83 days (~170 funding half-lives), 2 mark ticks per step.
    const m = market({ flow: { messagesPerSecond: 20, mix: { book: 0, trade: 0, mark: 1, option: 0 }, maxBurstMs: 100 } });
    const rates: number[] = [];
    for (const t of run(m, 2_000, 3_600_000)) {
      if (t.kind !== 'mark') continue;
      if (t.instrument.kind === 'future') {
        expect(t.ts).toBeLessThan(t.instrument.expiryMs); // no ticks after expiry
        expect([t.fundingRate, t.nextFundingTs]).toEqual(['', 0]);
        if (t.instrument.expiryMs - t.ts > 30 * 86_400_000) expect(Number(t.markPrice)).toBeGreaterThan(Number(t.indexPrice)); // carry
        continue;
      }
      expect(t.fundingRate).toMatch(/^-?\d\.\d{8}$/);
      expect(t.nextFundingTs % FUNDING_INTERVAL_MS).toBe(0);
      expect(t.nextFundingTs).toBeGreaterThan(t.ts);
      expect(t.nextFundingTs - t.ts).toBeLessThanOrEqual(FUNDING_INTERVAL_MS);
      rates.push(Number(t.fundingRate));
    }
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(Math.abs(mean - DEFAULT_CALIBRATION.funding.mean)).toBeLessThan(2e-5);
  });

  it('prices options with Black-76 on its IV surface, in coin for inverse options', () => {
    const m = market({ flow: { messagesPerSecond: 1_000, mix: { book: 0, trade: 0, mark: 0, option: 1 }, maxBurstMs: 100 } });
    const ticks = run(m, 100, 10).filter((t): t is Extract<SimTick, { kind: 'option' }> => t.kind === 'option');
    expect(ticks.length).toBeGreaterThan(500);
    const g = newGreeks();
    for (const t of ticks) {
      const f = Number(t.underlyingPrice);
      const years = (t.instrument.expiryMs - t.ts) / MS_PER_YEAR;
      black76(f, t.instrument.strikeF, years, t.markIv, t.instrument.isCall, g);
      expect(Math.abs(Number(t.markPrice) - g.price / f)).toBeLessThanOrEqual(0.0001);
      expect(t.delta).toBeCloseTo(g.delta, 3);
      expect(t.vega).toBeCloseTo(g.vega / 100, 2);
      expect(t.markIv).toBeGreaterThan(0.2);
      expect(t.markIv).toBeLessThan(1.5);
      expect(Number(t.bestBid)).toBeLessThanOrEqual(Number(t.bestAsk));
    }
    // Put skew: the 80k put (below the forward) trades at a higher IV than the 100k call.
    const put = ticks.find((t) => !t.instrument.isCall)!;
    const call = ticks.find((t) => t.instrument.isCall)!;
    expect(put.markIv).toBeGreaterThan(call.markIv);
  });

  function realised(jumps: { intensityPerYear: number; meanLog: number; stdLog: number }, seed: number) {
    const m = market({ seed, model: { ...defaults.model, calibration: DEFAULT_CALIBRATION, jumps } }, 0);
    const symbols = ['BTC', 'ETH', 'SOL'];
    const last = symbols.map((s) => Math.log(m.assetPrice(s)));
    const returns: number[][] = symbols.map(() => []);
    const noop = (): void => {};
    for (let day = 0; day < 365 * 25; day++) {
      for (let h = 0; h < 24; h++) m.step(3_600_000, noop);
      symbols.forEach((s, i) => {
        const x = Math.log(m.assetPrice(s));
        returns[i]!.push(x - last[i]!);
        last[i] = x;
      });
    }
    const n = returns[0]!.length;
    const mean = returns.map((r) => r.reduce((a, b) => a + b, 0) / n);
    const cov = (i: number, j: number) => returns[i]!.reduce((a, r, t) => a + (r - mean[i]!) * (returns[j]![t]! - mean[j]!), 0) / (n - 1);
    const vol = symbols.map((_, i) => Math.sqrt(cov(i, i) * 365));
    const corr = (i: number, j: number) => cov(i, j) / Math.sqrt(cov(i, i) * cov(j, j));
    return { vol, corr01: corr(0, 1), corr02: corr(0, 2), corr12: corr(1, 2) };
  }

  it('reproduces the calibrated vols and correlations over a long seeded run (no jumps)', () => {
    const r = realised({ intensityPerYear: 0, meanLog: 0, stdLog: 0 }, 11);
    const [btc, eth, sol] = DEFAULT_CALIBRATION.assets.annualVol;
    const c = DEFAULT_CALIBRATION.assets.correlation;
    expect(r.vol[0]! / btc!).toBeCloseTo(1, 1);
    expect(r.vol[1]! / eth!).toBeCloseTo(1, 1);
    expect(r.vol[2]! / sol!).toBeCloseTo(1, 1);
    expect(Math.abs(r.corr01 - c[0]![1]!)).toBeLessThan(0.02);
    expect(Math.abs(r.corr02 - c[0]![2]!)).toBeLessThan(0.02);
    expect(Math.abs(r.corr12 - c[1]![2]!)).toBeLessThan(0.02);
  });

  it('keeps total vols and correlations calibrated when jumps are on', () => {
    const r = realised(defaults.model.jumps, 12);
    const vols = DEFAULT_CALIBRATION.assets.annualVol;
    const c = DEFAULT_CALIBRATION.assets.correlation;
    for (let i = 0; i < 3; i++) expect(Math.abs(r.vol[i]! / vols[i]! - 1)).toBeLessThan(0.07);
    expect(Math.abs(r.corr01 - c[0]![1]!)).toBeLessThan(0.04);
    expect(Math.abs(r.corr02 - c[0]![2]!)).toBeLessThan(0.04);
  });

  it('keeps stablecoins near the peg and crosses consistent with their legs', () => {
    const m = market({}, 400);
    run(m, 2_000, 50);
    const usdt = m.assetPrice('USDT');
    expect(Math.abs(usdt - 1)).toBeLessThan(0.005);
    const ethbtc = Number(m.mid(registry.byCanonical('binance:ETH/BTC')!));
    expect(ethbtc / (m.assetPrice('ETH') / m.assetPrice('BTC'))).toBeCloseTo(1, 2);
    const usdtUsd = Number(m.mid(registry.byCanonical('kraken:USDT/USD')!));
    expect(Math.abs(usdtUsd - usdt)).toBeLessThan(0.001);
  });

  it('never throws on odd step sizes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -10, max: 5_000, noNaN: false }), fc.constant(Number.POSITIVE_INFINITY)), { maxLength: 50 }), (dts) => {
        const m = market({}, 5_000);
        for (const dt of dts) m.step(dt, () => {});
        expect(Number.isFinite(m.now())).toBe(true);
      }),
      { seed: 99, numRuns: 20 },
    );
  });
});


describe('SeededRandom', () => {
  it('is reproducible per seed and stream, and streams differ', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    const other = new SeededRandom(42).derive(1);
    expect(Array.from({ length: 5 }, () => other.nextUint32())).not.toEqual(seqA);
    expect(Array.from({ length: 5 }, () => new SeededRandom(43).nextUint32())).not.toEqual(seqA);
  });

  it('draws standard normals and Poisson counts with the right moments', () => {
    const r = new SeededRandom(5);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.015);
    for (const lambda of [0.01, 3, 45, 400]) {
      let s = 0;
      let s2 = 0;
      const m = 40_000;
      for (let i = 0; i < m; i++) {
        const k = r.poisson(lambda);
        expect(Number.isInteger(k) && k >= 0).toBe(true);
        s += k;
        s2 += k * k;
      }
      const mean = s / m;
      const variance = s2 / m - mean * mean;
      expect(Math.abs(mean - lambda)).toBeLessThan(4 * Math.sqrt(lambda / m) + 1e-3);
      expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.1);
    }
    expect(r.poisson(0)).toBe(0);
    expect(r.poisson(Number.NaN)).toBe(0);
  });
});
