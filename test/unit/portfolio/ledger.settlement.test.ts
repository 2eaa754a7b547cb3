import { describe, expect, it } from 'vitest';
import { fx } from '../../../src/portfolio/fixed.js';
import { Ledger } from '../../../src/portfolio/ledger.js';
import { marketValue, unrealizedPnl } from '../../../src/portfolio/valuation.js';
import { ACCOUNTS, U, mustFill, newLedger, registry, str } from './universe.js';

function settledView(r: ReturnType<Ledger['applySettlement']>): unknown {
  if (!r.ok) return r.code;
  return r.settled.map((s) => ({ account: s.account, realized: str(s.realizedDelta), cash: str(s.cashDelta) }));
}

describe('options: premium moves cash, the position keeps the cost basis', () => {
  it('a Deribit coin option premium is paid in BTC', () => {
    const l = newLedger();
    const buy = mustFill(l, 2, U.coinCall, 'buy', '2', '0.05');
    expect([...buy.cashDeltas].map(([c, v]) => [c, str(v)])).toEqual([['BTC', '-0.1']]);
    expect(str(buy.position.cost)).toBe('0.1');
    expect(str(marketValue(U.coinCall, buy.position, fx('0.062')))).toBe('0.124');
    expect(str(unrealizedPnl(U.coinCall, buy.position, fx('0.062')))).toBe('0.024');
    const sell = mustFill(l, 2, U.coinCall, 'sell', '1', '0.07');
    expect(str(sell.realizedDelta)).toBe('0.02');
    expect(str(l.cash(2, 'BTC'))).toBe('-0.03'); // −0.1 + 0.07; realized is not credited twice
  });

  it('a linear (USDC) option premium is paid in USDC', () => {
    const l = newLedger();
    mustFill(l, 0, U.usdcCall, 'buy', '2', '1500');
    expect(str(l.cash(0, 'USDC'))).toBe('-3000');
  });
});

describe('option expiry (DOMAIN §6.4)', () => {
  it('Deribit example: call K=10,000 bought for 0.05 BTC, delivery 12,500 → settles 0.2 BTC, profit 0.15 BTC', () => {
    const l = newLedger();
    mustFill(l, 2, U.coinCall, 'buy', '1', '0.05');
    mustFill(l, 1, U.coinCall, 'sell', '1', '0.05'); // the writer, in another account
    const r = l.applySettlement(U.coinCall, fx('12500'));
    expect(settledView(r)).toEqual([
      { account: 1, realized: '-0.15', cash: '-0.2' },
      { account: 2, realized: '0.15', cash: '0.2' },
    ]);
    expect(str(l.cash(2, 'BTC'))).toBe('0.15');
    expect(str(l.cash(1, 'BTC'))).toBe('-0.15');
    const pos = l.position(2, U.coinCall.idx)!;
    expect([pos.qty, pos.cost]).toEqual([0n, 0n]);
    expect(str(pos.realized)).toBe('0.15');
    expect(l.holders(U.coinCall.idx)).toEqual([]);
    expect(str(l.settlementPrice(U.coinCall.idx))).toBe('12500');
  });

  it('is idempotent per instrument and refuses later fills', () => {
    const l = newLedger();
    mustFill(l, 2, U.coinCall, 'buy', '1', '0.05');
    expect(l.applySettlement(U.coinCall, fx('12500')).ok).toBe(true);
    const before = l.snapshot();
    const again = l.applySettlement(U.coinCall, fx('13000'));
    expect(!again.ok && again.code).toBe('ALREADY_SETTLED');
    const late = l.applyFill({ account: 2, instrument: U.coinCall, execId: 'late', side: 'buy', qty: fx('1'), price: fx('0.01') });
    expect(!late.ok && late.code).toBe('ALREADY_SETTLED');
    expect(l.snapshot()).toEqual(before);
  });

  it('rounds a coin payoff once: K=10,000, S=30,000 → 2/3 BTC per contract', () => {
    const l = newLedger();
    mustFill(l, 2, U.coinCall, 'buy', '1', '0.6');
    const r = l.applySettlement(U.coinCall, fx('30000'));
    expect(settledView(r)).toEqual([{ account: 2, realized: '0.066666666666666667', cash: '0.666666666666666667' }]);
  });

  it('a coin put pays max(K−S,0)/S, and nothing out of the money', () => {
    const itm = newLedger();
    mustFill(itm, 2, U.coinPut, 'buy', '2', '0.01');
    // (10,000 − 8,000)/8,000 = 0.25 BTC per contract
    expect(settledView(itm.applySettlement(U.coinPut, fx('8000')))).toEqual([{ account: 2, realized: '0.48', cash: '0.5' }]);
    const otm = newLedger();
    mustFill(otm, 2, U.coinPut, 'buy', '2', '0.01');
    expect(settledView(otm.applySettlement(U.coinPut, fx('12500')))).toEqual([{ account: 2, realized: '-0.02', cash: '0' }]);
    expect(str(otm.cash(2, 'BTC'))).toBe('-0.02');
  });

  it('a linear option pays max(S−K,0)·cs in its settle currency', () => {
    const l = newLedger();
    mustFill(l, 0, U.usdcCall, 'buy', '2', '1500');
    const r = l.applySettlement(U.usdcCall, fx('63000'));
    expect(settledView(r)).toEqual([{ account: 0, realized: '3000', cash: '6000' }]);
    expect(str(l.cash(0, 'USDC'))).toBe('3000');
  });
});

describe('futures expiry', () => {
  it('closes a linear future at the settlement price and credits realized P&L', () => {
    const l = newLedger();
    mustFill(l, 0, U.linFuture, 'buy', '0.5', '60000');
    mustFill(l, 1, U.linFuture, 'sell', '0.2', '61000');
    const r = l.applySettlement(U.linFuture, fx('62000'));
    expect(settledView(r)).toEqual([
      { account: 0, realized: '1000', cash: '1000' },
      { account: 1, realized: '-200', cash: '-200' },
    ]);
    expect(str(l.cash(0, 'USDT'))).toBe('1000');
    expect(l.position(0, U.linFuture.idx)!.qty).toBe(0n);
  });

  it('closes an inverse future in coin: USD 1,000 long 50,000 → 40,000 = −0.005 BTC', () => {
    const l = newLedger();
    mustFill(l, 1, U.deribitFuture, 'buy', '100', '50000');
    mustFill(l, 2, U.deribitFuture, 'sell', '100', '50000');
    const r = l.applySettlement(U.deribitFuture, fx('40000'));
    expect(settledView(r)).toEqual([
      { account: 1, realized: '-0.005', cash: '-0.005' },
      { account: 2, realized: '0.005', cash: '0.005' },
    ]);
    expect(l.holders(U.deribitFuture.idx)).toEqual([]);
  });

  it('settles an instrument nobody holds (and remembers it)', () => {
    const l = newLedger();
    expect(settledView(l.applySettlement(U.linFuture, fx('62000')))).toEqual([]);
    const restored = Ledger.restore(registry, ACCOUNTS, JSON.parse(JSON.stringify(l.snapshot())));
    const again = restored.applySettlement(U.linFuture, fx('62000'));
    expect(!again.ok && again.code).toBe('ALREADY_SETTLED');
  });

  it('refuses instruments that do not expire and non-positive prices', () => {
    const l = newLedger();
    const perp = l.applySettlement(U.linPerp, fx('1'));
    expect(!perp.ok && perp.code).toBe('NOT_EXPIRING');
    const spot = l.applySettlement(U.spot, fx('1'));
    expect(!spot.ok && spot.code).toBe('NOT_EXPIRING');
    const zero = l.applySettlement(U.linFuture, fx('0'));
    expect(!zero.ok && zero.code).toBe('INVALID_PRICE');
    // a refused settlement does not mark the instrument settled
    expect(l.applySettlement(U.linFuture, fx('62000')).ok).toBe(true);
  });
});
