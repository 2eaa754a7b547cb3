/**
 * A small portfolio on two venues (binance, deribit) and two underlyings (BTC, ETH), with every
 * figure computed by hand below. Reporting currency USD; USDT taken at 1.
 *
 * bn-basis (binance, basis): deposit 100,000 USDT; long 2 BTCUSDT perp @ 50,000, sold 1 @ 50,500
 *   (realized +500 USDT to cash); bought 10 ETH spot @ 3,000 (−30,000 USDT). Cash 70,500.
 *   perp: 1 × 51,000 = 51,000 long, unrealized +1,000. ETH: 10 × 3,100 = 31,000, unrealized +1,000.
 *   Equity 70,500 + 1,000 + 31,000 = 102,500.
 * db-basis (deribit, basis): deposit 2 BTC; short 10,000 BTC-PERPETUAL (USD 100,000) @ 50,000;
 *   long 30,000 ETH-PERPETUAL (USD 30,000) @ 3,000. Marks 51,000 / 3,100, fx the same.
 *   BTC perp: 100,000·(1/50,000 − 1/51,000) BTC lost = −2,000 USD. ETH perp: +1,000 USD.
 *   Equity 102,000 − 2,000 + 1,000 = 101,000. Notional +30,000 / −100,000.
 * db-vol (deribit, vol): deposit 5 BTC; bought 5 BTC calls @ 0.8 BTC (−4 BTC). Mark 0.81, Δ 0.98.
 *   Cash 1 BTC = 51,000; value 4.05 BTC = 206,550; unrealized 0.05 BTC = 2,550;
 *   notional 5 × 1 × 0.98 × 51,000 = 249,900. Equity 257,550.
 */
import { describe, expect, it } from 'vitest';
import { fx } from '../../../src/portfolio/fixed.js';
import { type ExposureBucket, computeExposure } from '../../../src/portfolio/exposure.js';
import type { Ledger } from '../../../src/portfolio/ledger.js';
import { U, mustFill, newLedger } from './universe.js';

function portfolio(): Ledger {
  const l = newLedger();
  l.applyTransfer({ account: 0, transferId: 'd0', currency: 'USDT', amount: fx('100000') });
  mustFill(l, 0, U.linPerp, 'buy', '2', '50000');
  mustFill(l, 0, U.ethSpot, 'buy', '10', '3000');
  mustFill(l, 0, U.linPerp, 'sell', '1', '50500');
  l.applyTransfer({ account: 1, transferId: 'd1', currency: 'BTC', amount: fx('2') });
  mustFill(l, 1, U.deribitPerp, 'sell', '10000', '50000');
  mustFill(l, 1, U.ethPerp, 'buy', '30000', '3000');
  l.applyTransfer({ account: 2, transferId: 'd2', currency: 'BTC', amount: fx('5') });
  mustFill(l, 2, U.coinCall, 'buy', '5', '0.8');
  return l;
}

const MARKS = new Map([
  [U.linPerp.idx, 51000],
  [U.ethSpot.idx, 3100],
  [U.deribitPerp.idx, 51000],
  [U.ethPerp.idx, 3100],
  [U.coinCall.idx, 0.81],
]);
const FX = new Map([
  ['USDT', 1],
  ['BTC', 51000],
  ['ETH', 3100],
]);

function totals(b: ExposureBucket): Record<string, number | string> {
  return {
    key: b.key, long: b.long, short: b.short, gross: b.gross, net: b.net, cash: b.cash,
    marketValue: b.marketValue, equity: b.equity, unrealized: b.unrealized, realized: b.realized,
  };
}

/** Float view: compare to 1e-6 USD. */
function expectClose(actual: Record<string, number | string>, expected: Record<string, number | string>): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) {
    if (typeof v === 'string') expect(actual[k], k).toBe(v);
    else expect(actual[k], `${String(actual.key)}.${k}`).toBeCloseTo(v, 6);
  }
}

describe('exposure views', () => {
  const report = computeExposure({
    ledger: portfolio(),
    reportingCurrency: 'USD',
    marks: (i) => MARKS.get(i),
    fx: (c) => FX.get(c),
    delta: (i) => (i === U.coinCall.idx ? 0.98 : undefined),
  });

  it('needs nothing it was not given', () => {
    expect(report.missing).toEqual([]);
  });

  it('firm totals', () => {
    expectClose(totals(report.firm), {
      key: 'firm', long: 361900, short: 100000, gross: 461900, net: 261900, cash: 223500,
      marketValue: 237550, equity: 461050, unrealized: 3550, realized: 500,
    });
  });

  it('by account, in account order', () => {
    expect(report.byAccount.map((b) => b.key)).toEqual(['bn-basis', 'db-basis', 'db-vol']);
    const [bn, db, vol] = report.byAccount.map(totals);
    expectClose(bn!, { key: 'bn-basis', long: 82000, short: 0, gross: 82000, net: 82000, cash: 70500, marketValue: 32000, equity: 102500, unrealized: 2000, realized: 500 });
    expectClose(db!, { key: 'db-basis', long: 30000, short: 100000, gross: 130000, net: -70000, cash: 102000, marketValue: -1000, equity: 101000, unrealized: -1000, realized: 0 });
    expectClose(vol!, { key: 'db-vol', long: 249900, short: 0, gross: 249900, net: 249900, cash: 51000, marketValue: 206550, equity: 257550, unrealized: 2550, realized: 0 });
  });

  it('by strategy', () => {
    expect(report.byStrategy.map((b) => b.key)).toEqual(['basis', 'vol']);
    expectClose(totals(report.byStrategy[0]!), { key: 'basis', long: 112000, short: 100000, gross: 212000, net: 12000, cash: 172500, marketValue: 31000, equity: 203500, unrealized: 1000, realized: 500 });
  });

  it('by underlying: coin balances sit under their coin, so the buckets sum to the firm', () => {
    expect(report.byUnderlying.map((b) => b.key)).toEqual(['BTC', 'ETH', 'USDT']);
    const [btc, eth, usdt] = report.byUnderlying.map(totals);
    expectClose(btc!, { key: 'BTC', long: 300900, short: 100000, gross: 400900, net: 200900, cash: 153000, marketValue: 205550, equity: 358550, unrealized: 1550, realized: 500 });
    expectClose(eth!, { key: 'ETH', long: 61000, short: 0, gross: 61000, net: 61000, cash: 0, marketValue: 32000, equity: 32000, unrealized: 2000, realized: 0 });
    expectClose(usdt!, { key: 'USDT', long: 0, short: 0, gross: 0, net: 0, cash: 70500, marketValue: 0, equity: 70500, unrealized: 0, realized: 0 });
    const sum = report.byUnderlying.reduce((s, b) => s + b.equity, 0);
    expect(sum).toBeCloseTo(report.firm.equity, 6);
  });

  it('by venue: what the firm has at each counterparty', () => {
    expect(report.byVenue.map((b) => b.key)).toEqual(['binance', 'deribit']);
    expectClose(totals(report.byVenue[0]!), { key: 'binance', long: 82000, short: 0, gross: 82000, net: 82000, cash: 70500, marketValue: 32000, equity: 102500, unrealized: 2000, realized: 500 });
    expectClose(totals(report.byVenue[1]!), { key: 'deribit', long: 279900, short: 100000, gross: 379900, net: 179900, cash: 153000, marketValue: 205550, equity: 358550, unrealized: 1550, realized: 0 });
  });

  it('lists positions deterministically, with their inputs', () => {
    expect(report.firm.positions.map((p) => [p.account, p.instrument])).toEqual([
      ['bn-basis', 'binance:BTC/USDT:USDT'],
      ['bn-basis', 'binance:ETH/USDT'],
      ['db-basis', 'deribit:BTC/USD:BTC'],
      ['db-basis', 'deribit:ETH/USD:ETH'],
      ['db-vol', 'deribit:BTC/USD:BTC-261225-10000-C'],
    ]);
    const inverse = report.firm.positions[2]!;
    expect(inverse.qty).toBe(-10000);
    expect(inverse.notional).toBe(-100000); // contracts × USD 10, no mark needed
    expect(inverse.unrealized).toBeCloseTo(-2000, 6);
    const call = report.firm.positions[4]!;
    expect(call.delta).toBe(0.98);
    expect(call.notional).toBeCloseTo(249900, 6);
    expect(report.byAccount[1]!.balances).toEqual([{ accountIdx: 1, account: 'db-basis', currency: 'BTC', amount: 2, value: 102000 }]);
  });

  it('names what is missing and stays conservative: a call without delta counts at Δ = 1', () => {
    const partial = computeExposure({
      ledger: portfolio(),
      reportingCurrency: 'USD',
      marks: (i) => (i === U.ethSpot.idx ? undefined : MARKS.get(i)),
      fx: (c) => FX.get(c),
    });
    expect(partial.missing).toEqual(['delta:deribit:BTC/USD:BTC-261225-10000-C', 'mark:binance:ETH/USDT']);
    const call = partial.firm.positions[4]!;
    expect(call.delta).toBe(1);
    expect(call.notional).toBeCloseTo(255000, 6);
    const eth = partial.firm.positions[1]!;
    expect([eth.notional, eth.marketValue]).toEqual([0, 0]);
  });
});
