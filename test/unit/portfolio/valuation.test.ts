import { describe, expect, it } from 'vitest';
import { type Fixed, fx } from '../../../src/portfolio/fixed.js';
import {
  accountEquity,
  averageEntry,
  marketValue,
  optionPayoff,
  pricingModel,
  strikeOf,
  unrealizedPnl,
  valueCurrency,
  valuePosition,
} from '../../../src/portfolio/valuation.js';
import { U, mustFill, newLedger, str } from './universe.js';

describe('pricing model and currencies', () => {
  it('prices inverse perps and futures in coin, every option on its premium', () => {
    expect([U.linPerp, U.xbtusd, U.deribitFuture, U.coinCall, U.usdcCall, U.spot].map(pricingModel)).toEqual([
      'linear', 'inverse', 'inverse', 'linear', 'linear', 'linear',
    ]);
    expect([U.spot, U.ethBtc, U.xbtusd, U.coinCall, U.usdcCall].map(valueCurrency)).toEqual(['USDT', 'BTC', 'BTC', 'BTC', 'USDC']);
    expect(str(strikeOf(U.coinCall))).toBe('10000');
    expect(strikeOf(U.linPerp)).toBeUndefined();
  });
});

describe('market value: premium-style vs margined', () => {
  it('spot and options are worth qty·mark·cs; perps and futures their unrealized P&L', () => {
    const l = newLedger();
    const spot = mustFill(l, 0, U.spot, 'buy', '0.5', '60000').position;
    const perp = mustFill(l, 0, U.linPerp, 'buy', '0.5', '60000').position;
    expect(str(marketValue(U.spot, spot, fx('61000')))).toBe('30500');
    expect(str(unrealizedPnl(U.spot, spot, fx('61000')))).toBe('500');
    expect(str(marketValue(U.linPerp, perp, fx('61000')))).toBe('500');
    // an option can be marked at zero (worthless), and is then worth nothing
    const call = mustFill(l, 2, U.coinCall, 'buy', '1', '0.01').position;
    expect(str(marketValue(U.coinCall, call, fx('0')))).toBe('0');
    expect(str(unrealizedPnl(U.coinCall, call, fx('0')))).toBe('-0.01');
  });

  it('refuses a non-positive mark on an inverse contract: structured, or a RangeError from the Fixed-only API', () => {
    const l = newLedger();
    const pos = mustFill(l, 1, U.xbtusd, 'buy', '100', '50000').position;
    const v = valuePosition(U.xbtusd, pos, fx('0'));
    expect(v.ok ? 'ok' : v.code).toBe('INVALID_PRICE');
    expect(() => unrealizedPnl(U.xbtusd, pos, fx('0'))).toThrow(RangeError);
  });

  it('has no average entry when flat', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '100');
    const pos = mustFill(l, 0, U.linPerp, 'sell', '1', '101').position;
    expect(averageEntry(U.linPerp, pos)).toBeUndefined();
  });
});

describe('option payoff', () => {
  it('pays calls above and puts below the strike, signed by the position', () => {
    const k = fx('10000');
    expect(str(optionPayoff(U.coinCall, fx('1'), k, fx('12500')))).toBe('0.2');
    expect(str(optionPayoff(U.coinCall, fx('-3'), k, fx('12500')))).toBe('-0.6');
    expect(str(optionPayoff(U.coinCall, fx('1'), k, fx('9000')))).toBe('0');
    expect(str(optionPayoff(U.coinPut, fx('1'), k, fx('8000')))).toBe('0.25');
    expect(str(optionPayoff(U.usdcCall, fx('2'), fx('60000'), fx('63000')))).toBe('6000');
  });
});

describe('account equity (linear, exact)', () => {
  it('sums cash and market values at the reporting rates', () => {
    const l = newLedger();
    l.applyTransfer({ account: 0, transferId: 't', currency: 'USDT', amount: fx('50000') });
    mustFill(l, 0, U.spot, 'buy', '0.5', '60000'); // −30,000 USDT
    mustFill(l, 0, U.linPerp, 'sell', '0.1', '60000'); // no cash
    mustFill(l, 0, U.ethBtc, 'buy', '2', '0.05', { fee: '0.001', feeCurrency: 'ETH' }); // −0.1 BTC, −0.001 ETH
    const marks = new Map<number, Fixed>([
      [U.spot.idx, fx('62000')],
      [U.linPerp.idx, fx('62000')],
      [U.ethBtc.idx, fx('0.051')],
    ]);
    const rates = new Map<string, Fixed>([
      ['USDT', fx('0.9998')],
      ['BTC', fx('62000')],
      ['ETH', fx('3162')],
    ]);
    const e = accountEquity(l, 0, (i) => marks.get(i), (c) => rates.get(c));
    // cash: 20,000 USDT·0.9998 − 0.1 BTC·62,000 − 0.001 ETH·3,162 = 19,996 − 6,200 − 3.162
    // spot 0.5·62,000 = 31,000 USDT·0.9998 = 30,993.8; perp −0.1·2,000 = −200 USDT → −199.96
    // ETH/BTC 2·0.051 = 0.102 BTC·62,000 = 6,324
    expect(str(e.equity)).toBe('50910.678');
    expect(e.missing).toEqual([]);
  });
});
