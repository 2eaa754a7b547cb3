import { describe, expect, it } from 'vitest';
import { fx, roundTo } from '../../../src/portfolio/fixed.js';
import { accountEquity, averageEntry, unrealizedPnl } from '../../../src/portfolio/valuation.js';
import { U, mustFill, newLedger, str } from './universe.js';

describe('inverse contracts: P&L in coin (DOMAIN §6.1)', () => {
  it('100,000 XBTUSD-style contracts long 10,000 → 10,500 = 0.476190476… BTC', () => {
    const l = newLedger();
    const open = mustFill(l, 1, U.xbtusd, 'buy', '100000', '10000');
    expect(str(open.position.cost)).toBe('10'); // 100,000 USD / 10,000
    expect(open.cashDeltas.size).toBe(0);
    const close = mustFill(l, 1, U.xbtusd, 'sell', '100000', '10500');
    // exact 0.476190476190476190476…, rounded half-even once at 1e-18
    expect(str(close.realizedDelta)).toBe('0.47619047619047619');
    expect(str(roundTo(close.realizedDelta, 9))).toBe('0.476190476');
    expect(str(l.cash(1, 'BTC'))).toBe('0.47619047619047619');
    expect(close.position.qty).toBe(0n);
    expect(close.position.cost).toBe(0n);
  });

  it('10 Deribit BTC-PERPETUAL (USD 10 each) long 60,000 → 66,000 = 0.000151515… BTC', () => {
    const l = newLedger();
    const open = mustFill(l, 1, U.deribitPerp, 'buy', '10', '60000');
    expect(str(open.position.cost)).toBe('0.001666666666666667');
    expect(str(unrealizedPnl(U.deribitPerp, open.position, fx('66000')))).toBe('0.000151515151515152');
    const close = mustFill(l, 1, U.deribitPerp, 'sell', '10', '66000');
    expect(str(close.realizedDelta)).toBe('0.000151515151515152');
    expect(str(roundTo(close.realizedDelta, 9))).toBe('0.000151515');
  });

  it('averages entries harmonically: 1,000 @ 5,000 + 2,000 @ 6,000 → 5,625', () => {
    const l = newLedger();
    mustFill(l, 1, U.xbtusd, 'buy', '1000', '5000');
    const r = mustFill(l, 1, U.xbtusd, 'buy', '2000', '6000');
    expect(str(r.position.cost)).toBe('0.533333333333333333');
    const avg = averageEntry(U.xbtusd, r.position)!;
    // the cost was rounded at 1e-18 (2000/6000), so the mean is off by 3.5e-15 (docs/ledger.md)
    expect(str(avg)).toBe('5625.000000000000003516');
    expect(str(roundTo(avg, 10))).toBe('5625');
  });

  it('profits on a short when the price falls: short USD 1,000 from 50,000 to 40,000 = 0.005 BTC', () => {
    const l = newLedger();
    const open = mustFill(l, 1, U.deribitPerp, 'sell', '100', '50000');
    expect(str(open.position.cost)).toBe('-0.02');
    const close = mustFill(l, 1, U.deribitPerp, 'buy', '100', '40000');
    expect(str(close.realizedDelta)).toBe('0.005');
    expect(str(l.cash(1, 'BTC'))).toBe('0.005');
  });

  it('partially closes pro rata and flips at the fill price', () => {
    const l = newLedger();
    mustFill(l, 1, U.xbtusd, 'buy', '3000', '30000');
    const add = mustFill(l, 1, U.xbtusd, 'buy', '3000', '20000');
    expect(str(add.position.cost)).toBe('0.25');
    expect(str(averageEntry(U.xbtusd, add.position))).toBe('24000');
    const part = mustFill(l, 1, U.xbtusd, 'sell', '2000', '25000');
    // removed = round(0.25·2000/6000) = 0.083333333333333333; exit value 2000/25000 = 0.08
    expect(str(part.realizedDelta)).toBe('0.003333333333333333');
    expect(str(part.position.cost)).toBe('0.166666666666666667');
    const flip = mustFill(l, 1, U.xbtusd, 'sell', '6000', '24000');
    // closes 4,000 at the average entry: no P&L; opens short 2,000 @ 24,000
    expect(flip.realizedDelta).toBe(0n);
    expect(str(flip.position.qty)).toBe('-2000');
    expect(str(flip.position.cost)).toBe('-0.083333333333333333');
    expect(str(averageEntry(U.xbtusd, flip.position))).toBe('24000.000000000000096');
    expect(str(flip.position.realized)).toBe('0.003333333333333333');
  });
});

describe('inverse funding (DOMAIN §6.2: coin amount = −contracts·cs/mark·rate)', () => {
  it('a long pays in coin when the rate is positive', () => {
    const l = newLedger();
    mustFill(l, 1, U.deribitPerp, 'buy', '10', '50000');
    const r = l.applyFunding({ account: 1, instrument: U.deribitPerp, fundingId: 'f1', rate: fx('0.0001'), markPrice: fx('50000') });
    // USD 100 / 50,000 = 0.002 BTC nominal × 0.01%
    expect(r.ok && str(r.amount)).toBe('-0.0000002');
    expect(str(l.cash(1, 'BTC'))).toBe('-0.0000002');
  });

  it('rounds a non-terminating coin amount half-even once', () => {
    const l = newLedger();
    mustFill(l, 1, U.deribitPerp, 'buy', '10', '60000');
    const r = l.applyFunding({ account: 1, instrument: U.deribitPerp, fundingId: 'f1', rate: fx('0.0001'), markPrice: fx('60000') });
    expect(r.ok && str(r.amount)).toBe('-0.000000166666666667');
  });

  it('a short pays when the rate is negative', () => {
    const l = newLedger();
    mustFill(l, 2, U.deribitPerp, 'sell', '10', '50000');
    const r = l.applyFunding({ account: 2, instrument: U.deribitPerp, fundingId: 'f1', rate: fx('-0.0001'), markPrice: fx('50000') });
    expect(r.ok && str(r.amount)).toBe('-0.0000002');
    expect(str(l.position(2, U.deribitPerp.idx)!.funding)).toBe('-0.0000002');
  });
});

describe('equity with an inverse position', () => {
  it('values cash and unrealized coin P&L at the coin rate', () => {
    const l = newLedger();
    l.applyTransfer({ account: 1, transferId: 't1', currency: 'BTC', amount: fx('1') });
    mustFill(l, 1, U.deribitPerp, 'buy', '10', '60000');
    const marks = new Map([[U.deribitPerp.idx, fx('66000')]]);
    const rates = new Map([['BTC', fx('66000')]]);
    const e = accountEquity(l, 1, (i) => marks.get(i), (c) => rates.get(c));
    // 1 BTC + 0.000151515151515152 BTC, each × 66,000
    expect(str(e.equity)).toBe('66010.000000000000032');
    expect(e.missing).toEqual([]);
    const noFx = accountEquity(l, 1, (i) => marks.get(i), () => undefined);
    expect(noFx.missing).toEqual(['fx:BTC']);
    expect(noFx.equity).toBe(0n);
    const noMark = accountEquity(l, 1, () => undefined, (c) => rates.get(c));
    expect(noMark.missing).toEqual(['mark:deribit:BTC/USD:BTC']);
    expect(str(noMark.equity)).toBe('66000');
  });
});
