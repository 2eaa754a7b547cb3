import { describe, expect, it } from 'vitest';
import { fx } from '../../../src/portfolio/fixed.js';
import { averageEntry, unrealizedPnl } from '../../../src/portfolio/valuation.js';
import { U, fill, mustFill, newLedger, str } from './universe.js';

describe('linear perpetual: average cost, partial close, flip', () => {
  it('adds to cost on increase and averages the entry', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '2', '100');
    const r = mustFill(l, 0, U.linPerp, 'buy', '1', '130');
    expect(str(r.position.qty)).toBe('3');
    expect(str(r.position.cost)).toBe('330');
    expect(str(averageEntry(U.linPerp, r.position))).toBe('110');
    expect(str(r.realizedDelta)).toBe('0');
    // futures/perps move no cash on open
    expect(r.cashDeltas.size).toBe(0);
    expect(l.balances(0).size).toBe(0);
  });

  it('removes cost pro rata on a partial close and credits realized P&L to the settle currency', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '2', '100');
    mustFill(l, 0, U.linPerp, 'buy', '1', '130');
    const r = mustFill(l, 0, U.linPerp, 'sell', '1', '140');
    // removed = 330·1/3 = 110; realized = 140 − 110
    expect(str(r.realizedDelta)).toBe('30');
    expect(str(r.position.cost)).toBe('220');
    expect(str(r.position.qty)).toBe('2');
    expect(str(averageEntry(U.linPerp, r.position))).toBe('110');
    expect([...r.cashDeltas].map(([c, a]) => [c, str(a)])).toEqual([['USDT', '30']]);
    expect(str(l.cash(0, 'USDT'))).toBe('30');
  });

  it('closes fully and opens the remainder at the fill price when a fill flips the sign', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '2', '100');
    mustFill(l, 0, U.linPerp, 'buy', '1', '130');
    mustFill(l, 0, U.linPerp, 'sell', '1', '140');
    const r = mustFill(l, 0, U.linPerp, 'sell', '3', '120');
    // closes 2 (cost 220) at 120 → +20; opens short 1 at 120
    expect(str(r.realizedDelta)).toBe('20');
    expect(str(r.position.qty)).toBe('-1');
    expect(str(r.position.cost)).toBe('-120');
    expect(str(r.position.realized)).toBe('50');
    expect(str(averageEntry(U.linPerp, r.position))).toBe('120');
    expect(str(l.cash(0, 'USDT'))).toBe('50');
    // short 1 from 120, mark 110: +10
    expect(str(unrealizedPnl(U.linPerp, r.position, fx('110')))).toBe('10');
    expect(l.holders(U.linPerp.idx)).toEqual([0]);
  });

  it('rounds the pro-rata removal half-even once and never leaks the residue', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '100');
    mustFill(l, 0, U.linPerp, 'buy', '2', '101');
    const first = mustFill(l, 0, U.linPerp, 'sell', '1', '102');
    // removed = round(302/3) = 100.666666666666666667
    expect(str(first.realizedDelta)).toBe('1.333333333333333333');
    expect(str(first.position.cost)).toBe('201.333333333333333333');
    const second = mustFill(l, 0, U.linPerp, 'sell', '2', '102');
    expect(str(second.realizedDelta)).toBe('2.666666666666666667');
    expect(str(second.position.cost)).toBe('0');
    // total realized = 3·102 − 302 exactly
    expect(str(second.position.realized)).toBe('4');
    expect(l.holders(U.linPerp.idx)).toEqual([]);
  });

  it('books a short the same way: profit when the price falls', () => {
    const l = newLedger();
    mustFill(l, 1, U.linPerp, 'sell', '0.5', '60000');
    const r = mustFill(l, 1, U.linPerp, 'buy', '0.2', '58000');
    expect(str(r.realizedDelta)).toBe('400');
    expect(str(r.position.qty)).toBe('-0.3');
    expect(str(r.position.cost)).toBe('-18000');
  });

  it('uses the contract size (OKX BTC-USDT-SWAP, 0.01 BTC per contract)', () => {
    const l = newLedger();
    mustFill(l, 0, U.okxPerp, 'buy', '100', '60000');
    const r = mustFill(l, 0, U.okxPerp, 'sell', '100', '61000');
    expect(str(r.realizedDelta)).toBe('1000');
    expect(str(l.cash(0, 'USDT'))).toBe('1000');
  });
});

describe('fees', () => {
  it('debits fees in their own currency; only settle-currency fees stay on the position', () => {
    const l = newLedger();
    const a = mustFill(l, 0, U.linPerp, 'buy', '1', '50000', { fee: '20', feeCurrency: 'USDT' });
    expect([...a.cashDeltas].map(([c, v]) => [c, str(v)])).toEqual([['USDT', '-20']]);
    const b = mustFill(l, 0, U.linPerp, 'buy', '1', '50000', { fee: '0.03', feeCurrency: 'BNB' });
    expect([...b.cashDeltas].map(([c, v]) => [c, str(v)])).toEqual([['BNB', '-0.03']]);
    // maker rebate: a negative fee credits cash
    mustFill(l, 0, U.linPerp, 'sell', '1', '50100', { fee: '-5' });
    const pos = l.position(0, U.linPerp.idx)!;
    expect(str(pos.fees)).toBe('15');
    expect(str(pos.realized)).toBe('100'); // realized excludes fees
    expect(str(l.cash(0, 'USDT'))).toBe('85'); // −20 + 100 + 5
    expect(str(l.cash(0, 'BNB'))).toBe('-0.03');
    expect([...l.fees(0)].map(([c, v]) => [c, str(v)])).toEqual([['USDT', '15'], ['BNB', '0.03']]);
  });

  it('defaults the fee currency to the instrument value currency', () => {
    const l = newLedger();
    mustFill(l, 1, U.xbtusd, 'buy', '1000', '50000', { fee: '0.00001' });
    expect(str(l.cash(1, 'BTC'))).toBe('-0.00001');
    expect(str(l.position(1, U.xbtusd.idx)!.fees)).toBe('0.00001');
  });
});

describe('spot: premium-style cash', () => {
  it('pays the quote on a buy, receives it on a sell, keeps the cost basis for P&L', () => {
    const l = newLedger();
    const buy = mustFill(l, 0, U.spot, 'buy', '0.5', '60000');
    expect([...buy.cashDeltas].map(([c, v]) => [c, str(v)])).toEqual([['USDT', '-30000']]);
    const sell = mustFill(l, 0, U.spot, 'sell', '0.2', '65000');
    expect([...sell.cashDeltas].map(([c, v]) => [c, str(v)])).toEqual([['USDT', '13000']]);
    expect(str(sell.realizedDelta)).toBe('1000');
    expect(str(sell.position.qty)).toBe('0.3');
    expect(str(sell.position.cost)).toBe('18000');
    // realized is not credited again: the sale proceeds already were
    expect(str(l.cash(0, 'USDT'))).toBe('-17000');
  });

  it('books a cross pair in its quote coin (ETH/BTC pays BTC)', () => {
    const l = newLedger();
    mustFill(l, 0, U.ethBtc, 'buy', '10', '0.05123');
    expect(str(l.cash(0, 'BTC'))).toBe('-0.5123');
    expect(l.cash(0, 'ETH')).toBe(0n);
  });
});

describe('decimal exactness', () => {
  it('0.1 + 0.2 contracts at 0.1 is exactly 0.3 contracts costing 0.03', () => {
    const l = newLedger();
    mustFill(l, 0, U.spot, 'buy', '0.1', '0.1');
    const r = mustFill(l, 0, U.spot, 'buy', '0.2', '0.1');
    expect(str(r.position.qty)).toBe('0.3');
    expect(str(r.position.cost)).toBe('0.03');
    expect(str(l.cash(0, 'USDT'))).toBe('-0.03');
    const out = mustFill(l, 0, U.spot, 'sell', '0.3', '0.1');
    expect(out.position.qty).toBe(0n);
    expect(out.position.cost).toBe(0n);
    expect(out.realizedDelta).toBe(0n);
    expect(l.cash(0, 'USDT')).toBe(0n);
  });

  it('keeps satoshi-sized trades exact at large prices', () => {
    const l = newLedger();
    mustFill(l, 0, U.spot, 'buy', '0.00000001', '87648.22');
    expect(str(l.cash(0, 'USDT'))).toBe('-0.0008764822');
  });
});

describe('linear funding (DOMAIN §6.2)', () => {
  it('longs pay when the rate is positive: 10,000 USDT long × 0.05% = 5 USDT', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '0.2', '50000');
    const r = l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f1', rate: fx('0.0005'), markPrice: fx('50000') });
    expect(r.ok && str(r.amount)).toBe('-5');
    expect(str(l.cash(0, 'USDT'))).toBe('-5');
    expect(str(l.position(0, U.linPerp.idx)!.funding)).toBe('-5');
  });

  it('shorts receive when the rate is positive and pay when it is negative', () => {
    const l = newLedger();
    mustFill(l, 1, U.linPerp, 'sell', '0.2', '50000');
    const plus = l.applyFunding({ account: 1, instrument: U.linPerp, fundingId: 'f1', rate: fx('0.0001'), markPrice: fx('51000') });
    expect(plus.ok && str(plus.amount)).toBe('1.02');
    const minus = l.applyFunding({ account: 1, instrument: U.linPerp, fundingId: 'f2', rate: fx('-0.0003'), markPrice: fx('50000') });
    expect(minus.ok && str(minus.amount)).toBe('-3');
    expect(str(l.position(1, U.linPerp.idx)!.funding)).toBe('-1.98');
  });

  it('takes a venue-reported amount as is, over a rate', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '50000');
    const r = l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f1', amount: fx('-4.99'), rate: fx('0.0005'), markPrice: fx('50000') });
    expect(r.ok && str(r.amount)).toBe('-4.99');
    expect(str(l.cash(0, 'USDT'))).toBe('-4.99');
  });

  it('refuses funding on anything but a perpetual, and a rate without a mark', () => {
    const l = newLedger();
    const fut = l.applyFunding({ account: 0, instrument: U.linFuture, fundingId: 'f1', amount: fx('1') });
    expect(!fut.ok && fut.code).toBe('NOT_A_PERPETUAL');
    const noMark = l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f2', rate: fx('0.0001') });
    expect(!noMark.ok && noMark.code).toBe('MISSING_FIELD');
    const nothing = l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f3' });
    expect(!nothing.ok && nothing.code).toBe('MISSING_FIELD');
    const zeroMark = l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f4', rate: fx('0.0001'), markPrice: fx('0') });
    expect(!zeroMark.ok && zeroMark.code).toBe('INVALID_PRICE');
    expect(l.balances(0).size).toBe(0);
  });
});

describe('fill helper sanity', () => {
  it('builds distinct exec ids', () => {
    expect(fill(0, U.spot, 'buy', '1', '1').execId).not.toBe(fill(0, U.spot, 'buy', '1', '1').execId);
  });
});
