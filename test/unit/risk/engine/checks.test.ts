/**
 * The check catalogue: for every check an approve case and a reject case, asserting the reason
 * code, its scope and its numbers (limit, observed, projected, utilization).
 */
import { describe, expect, it } from 'vitest';
import type { LimitSet } from '../../../../src/risk/config.js';
import type { Engine } from '../../../../src/risk/engine.js';
import type { Reason } from '../../../../src/risk/reasons.js';
import { black76, newGreeks } from '../../../../src/risk/options/black76.js';
import {
  BTC_CALL,
  BTC_PERP,
  BTC_SPOT,
  check,
  codes,
  DELISTED,
  DERIBIT_PERP,
  engine,
  env,
  ETH_PERP,
  markAll,
  order,
  riskConfig,
  T0,
} from './setup.js';

function fresh(limits: { firm?: LimitSet; strategy?: LimitSet; account?: LimitSet } = {}): Engine {
  const e = engine(riskConfig(limits));
  markAll(e, T0);
  return e;
}

function fill(e: Engine, ts: number, clOrdId: string, instrument: string, side: 'buy' | 'sell', qty: string, price: string, account = 'acct1'): void {
  e.process(env(ts, { type: 'fill', account, execId: `x-${clOrdId}-${ts}`, clOrdId, instrument, side, qty, price }));
}

function deposit(e: Engine, ts: number, amount: string, currency = 'USDT', account = 'acct1'): void {
  e.process(env(ts, { type: 'transfer', account, transferId: `t-${ts}-${account}`, currency, amount }));
}

function only(reasons: Reason[], code: string): Reason {
  const found = reasons.filter((r) => r.code === code);
  expect(found, `expected exactly one ${code} in ${JSON.stringify(reasons)}`).toHaveLength(1);
  return found[0]!;
}

const T = T0 + 100;

describe('reference checks', () => {
  it('approves a plain order on a tradable instrument at the account venue', () => {
    const d = check(fresh(), T, order({ instrument: BTC_PERP, qty: '1', price: '50000' }));
    expect(d.approved).toBe(true);
    expect(d.reasons).toEqual([]);
  });

  it('rejects unknown accounts and instruments with both reasons', () => {
    const d = check(fresh(), T, order({ instrument: 'binance:NOPE/USDT', qty: '1', account: 'ghost' }));
    expect(d.approved).toBe(false);
    expect(codes(d)).toEqual(['REF_UNKNOWN_ACCOUNT', 'REF_UNKNOWN_INSTRUMENT']);
    expect(d.reasons[0]).toMatchObject({ scope: 'account', target: 'ghost' });
  });

  it('rejects an instrument that is not tradable', () => {
    const r = only(check(fresh(), T, order({ instrument: DELISTED, qty: '1', price: '1' })).reasons, 'REF_INSTRUMENT_NOT_TRADABLE');
    expect(r).toMatchObject({ scope: 'instrument', target: DELISTED });
  });

  it('rejects an expired option and approves it before expiry', () => {
    const e = fresh();
    const before = check(e, T, order({ account: 'drb1', instrument: BTC_CALL, qty: '1', price: '0.05' }));
    expect(before.approved).toBe(true);
    const expiry = Date.parse('2026-12-25T08:00:00Z');
    markAll(e, expiry + 1);
    const after = check(e, expiry + 2, order({ account: 'drb1', instrument: BTC_CALL, qty: '1', price: '0.05' }));
    const r = only(after.reasons, 'REF_INSTRUMENT_EXPIRED');
    expect(r).toMatchObject({ limit: expiry, observed: expiry + 2, projected: expiry + 2 });
  });

  it('rejects an instrument at another venue than the account', () => {
    const e = fresh();
    expect(check(e, T, order({ account: 'drb1', instrument: DERIBIT_PERP, qty: '1', price: '50000' })).approved).toBe(true);
    const r = only(check(e, T, order({ account: 'acct1', instrument: DERIBIT_PERP, qty: '1', price: '50000' })).reasons, 'REF_VENUE_NOT_PERMITTED');
    expect(r).toMatchObject({ scope: 'account', target: 'acct1' });
  });
});

describe('increments (lot, minimum, tick)', () => {
  it('approves on-grid quantities and prices', () => {
    expect(check(fresh(), T, order({ instrument: BTC_SPOT, qty: '0.002', price: '50000.01' })).approved).toBe(true);
  });
  it('rejects off-lot quantity, below-minimum quantity and off-tick price exactly', () => {
    const e = fresh();
    expect(only(check(e, T, order({ instrument: BTC_PERP, qty: '0.0015', price: '50000' })).reasons, 'INVALID_QTY_INCREMENT')).toMatchObject({ observed: 0.0015 });
    expect(only(check(e, T, order({ instrument: BTC_SPOT, qty: '0.001', price: '50000' })).reasons, 'INVALID_QTY_BELOW_MIN')).toMatchObject({ limit: 0.002, observed: 0.001 });
    expect(only(check(e, T, order({ instrument: BTC_PERP, qty: '1', price: '50000.05' })).reasons, 'INVALID_PRICE_TICK')).toMatchObject({ observed: 50000.05 });
  });
});

describe('trading state (kill switches)', () => {
  it('REDUCING rejects risk-increasing orders and lets risk-reducing ones through', () => {
    const e = fresh();
    const open = check(e, T, order({ instrument: BTC_PERP, qty: '2', price: '50000', clOrdId: 'open' }));
    expect(open.approved).toBe(true);
    fill(e, T + 1, 'open', BTC_PERP, 'buy', '2', '50000');
    e.process(env(T + 2, { type: 'admin.state', scope: 'account', target: 'acct1', state: 'REDUCING', actor: 'risk.mgr', reason: 'test' }));
    const more = check(e, T + 3, order({ instrument: BTC_PERP, qty: '1', price: '50000' }));
    expect(only(more.reasons, 'STATE_REDUCING')).toMatchObject({ scope: 'account', target: 'acct1' });
    const reduce = check(e, T + 4, order({ instrument: BTC_PERP, qty: '1', side: 'sell', price: '50000' }));
    expect(reduce.approved).toBe(true);
  });

  it('HALTED at the firm rejects everything, with the firm as scope', () => {
    const e = fresh();
    e.process(env(T, { type: 'admin.state', scope: 'firm', state: 'HALTED', actor: 'cro', reason: 'kill switch' }));
    const d = check(e, T + 1, order({ instrument: BTC_PERP, qty: '1', price: '50000' }));
    expect(only(d.reasons, 'STATE_HALTED')).toMatchObject({ scope: 'firm', target: 'firm' });
    e.process(env(T + 2, { type: 'admin.state', scope: 'firm', state: 'ACTIVE', actor: 'cro', reason: 'resolved' }));
    expect(check(e, T + 3, order({ instrument: BTC_PERP, qty: '1', price: '50000' })).approved).toBe(true);
  });
});

describe('reduce-only', () => {
  it('rejects a reduce-only order that would open or grow a position', () => {
    const r = only(check(fresh(), T, order({ instrument: BTC_PERP, qty: '1', price: '50000', reduceOnly: true })).reasons, 'STATE_REDUCE_ONLY_WOULD_INCREASE');
    expect(r).toMatchObject({ observed: 0, projected: 1 });
  });
  it('approves a reduce-only order that reduces', () => {
    const e = fresh();
    check(e, T, order({ instrument: BTC_PERP, qty: '1', price: '50000', clOrdId: 'l' }));
    fill(e, T + 1, 'l', BTC_PERP, 'buy', '1', '50000');
    expect(check(e, T + 2, order({ instrument: BTC_PERP, side: 'sell', qty: '1', price: '50000', reduceOnly: true })).approved).toBe(true);
    const flip = check(e, T + 3, order({ instrument: BTC_PERP, side: 'sell', qty: '1', price: '50000', reduceOnly: true }));
    expect(codes(flip)).toContain('STATE_REDUCE_ONLY_WOULD_INCREASE');
  });
});

describe('duplicate client order id', () => {
  it('approves the first use and rejects the second', () => {
    const e = fresh();
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'dup' })).approved).toBe(true);
    const r = only(check(e, T + 1, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'dup' })).reasons, 'ORDER_DUPLICATE_ID');
    expect(r).toMatchObject({ scope: 'account', target: 'acct1' });
    expect(check(e, T + 2, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'dup', account: 'acct2' })).approved).toBe(true);
  });

  it('rejects an id older than the window while its order is still open, and frees it once the order is done', () => {
    const e = engine({ ...riskConfig(), duplicateWindowMs: 1_000 });
    markAll(e, T0);
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'rest' })).approved).toBe(true);
    e.process(env(T, { type: 'order.ack', account: 'acct1', clOrdId: 'rest' }));
    markAll(e, T + 5_000);
    const r = only(check(e, T + 5_000, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'rest' })).reasons, 'ORDER_DUPLICATE_ID');
    expect(r).toMatchObject({ scope: 'account', target: 'acct1', detail: 'client order id rest is still open' });
    e.process(env(T + 5_000, { type: 'order.cancel', account: 'acct1', clOrdId: 'rest' }));
    expect(e.state.reservations.size).toBe(0);
    expect(check(e, T + 5_001, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'rest' })).approved).toBe(true);
  });
});

describe('order rate (sliding window)', () => {
  it('allows maxOrders per window and rejects the next, then allows again after the window', () => {
    const e = fresh({ account: { orderRate: { maxOrders: 2, windowMs: 1000 } } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.1' })).approved).toBe(true);
    expect(check(e, T + 10, order({ instrument: BTC_PERP, qty: '0.1' })).approved).toBe(true);
    const r = only(check(e, T + 20, order({ instrument: BTC_PERP, qty: '0.1' })).reasons, 'ORDER_RATE_LIMIT');
    expect(r).toMatchObject({ scope: 'account', limit: 2, observed: 2, projected: 3, utilization: 1.5 });
    expect(check(e, T + 1001, order({ instrument: BTC_PERP, qty: '0.1' })).approved).toBe(true);
  });
});

describe('max order quantity (exact)', () => {
  it('compares exactly at the boundary and applies instrument overrides', () => {
    const e = fresh({ account: { maxOrderQty: 2 }, strategy: { instruments: { [ETH_PERP]: { maxOrderQty: 1 } } } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '2' })).approved).toBe(true);
    expect(only(check(e, T, order({ instrument: BTC_PERP, qty: '2.001' })).reasons, 'ORDER_MAX_QTY')).toMatchObject({ scope: 'account', limit: 2, observed: 2.001 });
    const eth = only(check(e, T, order({ instrument: ETH_PERP, qty: '1.01', price: '2500' })).reasons, 'ORDER_MAX_QTY');
    expect(eth).toMatchObject({ scope: 'instrument', target: ETH_PERP, limit: 1, observed: 1.01 });
  });
});

describe('market data (fail closed)', () => {
  it('rejects when no mark has arrived', () => {
    const e = engine();
    const d = check(e, T, order({ instrument: BTC_PERP, qty: '1' }));
    expect(codes(d)).toEqual(['DATA_MARK_MISSING']);
  });
  it('rejects a stale mark with its age', () => {
    const e = fresh();
    const r = only(check(e, T0 + 10_001, order({ instrument: ETH_PERP, qty: '1', price: '2500' })).reasons, 'DATA_MARK_STALE');
    expect(r).toMatchObject({ limit: 10_000, observed: 10_001 });
  });
  it('rejects while the feed resyncs the instrument and approves once it is back', () => {
    const e = fresh();
    e.process(env(T, { type: 'status', venue: 'binance', instrument: BTC_PERP, exchTs: 0, recvTs: T, status: 'resyncing', reason: 'gap' }));
    expect(only(check(e, T + 1, order({ instrument: BTC_PERP, qty: '1' })).reasons, 'DATA_FEED_UNHEALTHY').detail).toBe('feed status resyncing');
    expect(check(e, T + 1, order({ instrument: ETH_PERP, qty: '1', price: '2500' })).approved).toBe(true);
    e.process(env(T + 2, { type: 'status', venue: 'binance', instrument: BTC_PERP, exchTs: 0, recvTs: T + 2, status: 'ok' }));
    expect(check(e, T + 3, order({ instrument: BTC_PERP, qty: '1' })).approved).toBe(true);
  });
  it('rejects an option without implied volatility', () => {
    const e = engine();
    markAll(e, T0);
    const fresh2 = engine();
    fresh2.process(env(T, { type: 'quote', venue: 'coinbase', instrument: 'coinbase:BTC/USD', exchTs: T, recvTs: T, bid: '49999', bidSize: '1', ask: '50001', askSize: '1' }));
    fresh2.process(env(T, { type: 'quote', venue: 'deribit', instrument: BTC_CALL, exchTs: T, recvTs: T, bid: '0.049', bidSize: '1', ask: '0.051', askSize: '1' }));
    const d = check(fresh2, T + 1, order({ account: 'drb1', instrument: BTC_CALL, qty: '1', price: '0.05' }));
    expect(codes(d)).toEqual(['DATA_GREEKS_UNAVAILABLE']);
    expect(check(e, T + 1, order({ account: 'drb1', instrument: BTC_CALL, qty: '1', price: '0.05' })).approved).toBe(true);
  });
});

describe('price collar', () => {
  it('uses ±pct of the mark: the band edge passes, one cent beyond fails', () => {
    const e = fresh({ account: { priceCollarPct: 0.02 } });
    expect(check(e, T, order({ instrument: BTC_SPOT, qty: '0.01', price: '51000' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_SPOT, qty: '0.01', price: '51000.01' })).reasons, 'ORDER_PRICE_COLLAR');
    expect(r.limit).toBeCloseTo(1000, 9);
    expect(r.projected).toBeCloseTo(1000.01, 6);
  });
  it('uses ±ticks when configured (wider band wins)', () => {
    const e = fresh({ account: { priceCollarTicks: 20 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.01', price: '49998' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.01', price: '49997.9' })).reasons, 'ORDER_PRICE_COLLAR');
    expect(r.limit).toBeCloseTo(2, 12);
    expect(r.projected).toBeCloseTo(2.1, 9);
  });
  it('market orders need a best opposite price', () => {
    const e = fresh({ account: { priceCollarPct: 0.02 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.01', type: 'market' })).approved).toBe(true);
    e.process(env(T, { type: 'quote', venue: 'binance', instrument: BTC_PERP, exchTs: T, recvTs: T, bid: '49999.5', bidSize: '1', ask: null, askSize: null }));
    expect(codes(check(e, T + 1, order({ instrument: BTC_PERP, qty: '0.01', type: 'market' })))).toEqual(['ORDER_NO_REFERENCE_PRICE']);
  });
});

describe('max order notional', () => {
  it('approves at the limit and rejects above it', () => {
    const e = fresh({ account: { maxOrderNotional: 100_000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '2', price: '50000' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '2.001', price: '50000' })).reasons, 'ORDER_MAX_NOTIONAL');
    expect(r).toMatchObject({ limit: 100_000, observed: 100_050, projected: 100_050 });
    expect(r.utilization).toBeCloseTo(1.0005, 12);
  });
});

describe('position limit per instrument (exact, with open orders)', () => {
  it('counts same-side reservations and lets the other side through', () => {
    const e = fresh({ account: { instruments: { [BTC_PERP]: { maxPosition: 3 } } } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '2' })).approved).toBe(true);
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.001' })).reasons, 'RISK_POSITION');
    expect(r).toMatchObject({ scope: 'account', target: `acct1/${BTC_PERP}`, limit: 3, observed: 3, projected: 3.001 });
    expect(check(e, T, order({ instrument: BTC_PERP, side: 'sell', qty: '1' })).approved).toBe(true);
  });
  it('sums accounts at the strategy level', () => {
    const e = fresh({ strategy: { instruments: { [BTC_PERP]: { maxPosition: 1 } } } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '0.6' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.5', account: 'acct2' })).reasons, 'RISK_POSITION');
    expect(r).toMatchObject({ scope: 'strategy', target: `alpha/${BTC_PERP}`, limit: 1, observed: 0.6, projected: 1.1 });
  });
});

describe('underlying position', () => {
  it('sums delta-equivalent units across instruments on the underlying', () => {
    const e = fresh({ account: { underlyings: { BTC: { maxPosition: 2 } } } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1.5' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_SPOT, qty: '1', price: '50000' })).reasons, 'RISK_UNDERLYING_POSITION');
    expect(r).toMatchObject({ target: 'acct1/BTC', limit: 2, observed: 1.5, projected: 2.5 });
  });
});

describe('gross notional', () => {
  it('rejects beyond the limit and lets a reducing order through even at the limit', () => {
    const e = fresh({ account: { maxGrossNotional: 100_000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '2', clOrdId: 'g1' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.001' })).reasons, 'RISK_GROSS_NOTIONAL');
    expect(r).toMatchObject({ scope: 'account', limit: 100_000, observed: 100_000, projected: 100_050 });
    fill(e, T + 1, 'g1', BTC_PERP, 'buy', '2', '50000');
    expect(check(e, T + 2, order({ instrument: BTC_PERP, side: 'sell', qty: '1' })).approved).toBe(true);
  });
});

describe('net notional', () => {
  it('rejects when |net| grows beyond the limit, approves when it shrinks', () => {
    const e = fresh({ account: { maxNetNotional: 60_000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.3' })).reasons, 'RISK_NET_NOTIONAL');
    expect(r).toMatchObject({ limit: 60_000, observed: 50_000, projected: 65_000 });
    expect(check(e, T, order({ instrument: BTC_PERP, side: 'sell', qty: '0.5' })).approved).toBe(true);
  });
});

describe('concentration', () => {
  it('checks one underlying’s share of gross once gross reaches the floor', () => {
    const e = fresh({ account: { maxConcentration: 0.6, concentrationMinGross: 100_000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1.5' })).approved).toBe(true); // 75k < floor
    expect(check(e, T, order({ instrument: ETH_PERP, qty: '20', price: '2500' })).approved).toBe(true); // ETH 40%
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.5' })).reasons, 'RISK_CONCENTRATION');
    expect(r.target).toBe('acct1/BTC');
    expect(r.limit).toBe(0.6);
    expect(r.observed).toBeCloseTo(0.6, 12);
    expect(r.projected).toBeCloseTo(100_000 / 150_000, 12);
  });
});

describe('venue exposure', () => {
  it('counts equity at the venue plus open orders and this order', () => {
    const e = fresh({ account: { venues: { binance: { maxExposure: 50_000 } } } });
    deposit(e, T, '1000');
    expect(check(e, T + 1, order({ instrument: BTC_PERP, qty: '0.98' })).approved).toBe(true);
    const r = only(check(e, T + 2, order({ instrument: BTC_PERP, qty: '0.001' })).reasons, 'RISK_VENUE_EXPOSURE');
    expect(r).toMatchObject({ target: 'acct1/binance', limit: 50_000, observed: 50_000, projected: 50_050 });
  });
});

describe('margin', () => {
  it('compares projected initial margin with equity', () => {
    const e = fresh({ account: { maxMarginUtilization: 0.5 } });
    deposit(e, T, '10000');
    expect(check(e, T + 1, order({ instrument: BTC_PERP, qty: '1' })).approved).toBe(true); // IM 5000 / 10000
    const r = only(check(e, T + 2, order({ instrument: BTC_PERP, qty: '0.001' })).reasons, 'RISK_MARGIN');
    expect(r.limit).toBe(0.5);
    expect(r.observed).toBeCloseTo(0.5, 12);
    expect(r.projected).toBeCloseTo(0.5005, 12);
  });
  it('rejects any risk-increasing order when there is no equity', () => {
    const e = fresh({ account: { maxMarginUtilization: 0.5 } });
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.001' })).reasons, 'RISK_MARGIN');
    expect(r.projected).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('daily loss limit and its trigger', () => {
  it('moves the account to REDUCING with an alert and rejects risk-increasing orders', () => {
    const e = fresh({ account: { maxDailyLoss: 1000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'd1' })).approved).toBe(true);
    fill(e, T + 1, 'd1', BTC_PERP, 'buy', '1', '50000');
    e.drainOutputs();
    markAll(e, T + 2, 48_900);
    const alerts = e.drainOutputs().filter((o) => o.type === 'alert' && o.code === 'TRIGGER_DAILY_LOSS');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ scope: 'account', target: 'acct1', severity: 'critical' });
    const d = check(e, T + 3, order({ instrument: BTC_PERP, qty: '0.1', price: '48900' }));
    expect(only(d.reasons, 'RISK_DAILY_LOSS')).toMatchObject({ limit: 1000, observed: 1100, projected: 1100, utilization: 1.1 });
    expect(codes(d)).toContain('STATE_REDUCING');
    expect(check(e, T + 4, order({ instrument: BTC_PERP, side: 'sell', qty: '0.5', price: '48900' })).approved).toBe(true);
  });
});

describe('trailing drawdown and its trigger', () => {
  it('halts the account when equity falls from its peak by the limit', () => {
    const e = fresh({ account: { maxDrawdown: 500 } });
    deposit(e, T, '10000');
    check(e, T + 1, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'p1' }));
    fill(e, T + 2, 'p1', BTC_PERP, 'buy', '1', '50000');
    markAll(e, T + 3, 51_000);
    expect(check(e, T + 4, order({ instrument: BTC_PERP, qty: '0.1', price: '51000' })).approved).toBe(true);
    markAll(e, T + 5, 50_400);
    const d = check(e, T + 6, order({ instrument: BTC_PERP, qty: '0.1', price: '50400' }));
    expect(only(d.reasons, 'RISK_DRAWDOWN')).toMatchObject({ limit: 500, observed: 600, projected: 600 });
    expect(codes(d)).toContain('STATE_HALTED');
  });
});

describe('VaR limit (incremental, with the open-order bound)', () => {
  const Z99 = 2.3263478740408408;
  it('approves within the limit and rejects when the order would take VaR beyond it', () => {
    const e = fresh({ account: { maxVar: 5000 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '1' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '0.5' })).reasons, 'RISK_VAR');
    // The open order of 1 BTC (50,000 at 3% daily) bounds VaR by z·1,500; adding 0.5 BTC adds z·750.
    expect(r.limit).toBe(5000);
    expect(r.observed).toBeCloseTo(Z99 * 1500, 6);
    expect(r.projected).toBeCloseTo(Z99 * 2250, 6);
  });
  it('lets a hedge through that lowers VaR', () => {
    const e = fresh({ account: { maxVar: 3000 } });
    check(e, T, order({ instrument: BTC_PERP, qty: '1', clOrdId: 'v1' }));
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'acct1', limit: 'maxVar', value: 3000, actor: 't', reason: 't' }));
    fill(e, T + 1, 'v1', BTC_PERP, 'buy', '1', '50000');
    expect(e.state.valueAtRisk(e.state.universe.node('account', 'acct1'))).toBeCloseTo(Z99 * 1500, 6);
    expect(check(e, T + 2, order({ instrument: BTC_SPOT, side: 'sell', qty: '0.5', price: '50000' })).approved).toBe(true);
    expect(codes(check(e, T + 3, order({ instrument: BTC_PERP, qty: '0.5' })))).toContain('RISK_VAR');
  });
});

describe('Greek limits per underlying', () => {
  it('delta: inverse perpetual contracts are worth cs/mark of the underlying', () => {
    // 10 USD per contract at 50,000 = 0.0002 BTC; 50 contracts = 0.01 BTC.
    const e = fresh();
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'drb1', limit: 'underlying.maxDelta', key: 'BTC', value: 0.01, actor: 't', reason: 't' }));
    expect(check(e, T + 1, order({ account: 'drb1', instrument: DERIBIT_PERP, qty: '50', price: '50000' })).approved).toBe(true);
    const r = only(check(e, T + 2, order({ account: 'drb1', instrument: DERIBIT_PERP, qty: '1', price: '50000' })).reasons, 'RISK_DELTA');
    expect(r.target).toBe('drb1/BTC');
    expect(r.observed).toBeCloseTo(0.01, 12);
    expect(r.projected).toBeCloseTo(0.0102, 12);
  });
  it('gamma and vega from Black-76 on the venue mark IV', () => {
    const e = fresh();
    const t = (Date.parse('2026-12-25T08:00:00Z') - (T + 1)) / (365 * 86_400_000);
    const g = black76(50_000, 100_000, t, 0.6, true, newGreeks());
    const gamma1 = g.gamma * 50_000 * 0.01; // delta change per 1% move, per contract
    const vega1 = g.vega * 0.01; // USD per vol point, per contract
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'drb1', limit: 'underlying.maxGamma', key: 'BTC', value: gamma1 * 15, actor: 't', reason: 't' }));
    e.process(env(T, { type: 'admin.limit', scope: 'account', target: 'drb1', limit: 'underlying.maxVega', key: 'BTC', value: vega1 * 15, actor: 't', reason: 't' }));
    expect(check(e, T + 1, order({ account: 'drb1', instrument: BTC_CALL, qty: '10', price: '0.05' })).approved).toBe(true);
    const d = check(e, T + 1, order({ account: 'drb1', instrument: BTC_CALL, qty: '10', price: '0.05' }));
    const rg = only(d.reasons, 'RISK_GAMMA');
    expect(rg.observed! / gamma1).toBeCloseTo(10, 9);
    expect(rg.projected! / gamma1).toBeCloseTo(20, 9);
    const rv = only(d.reasons, 'RISK_VEGA');
    expect(rv.observed! / vega1).toBeCloseTo(10, 9);
    expect(rv.projected! / vega1).toBeCloseTo(20, 9);
  });
});

describe('liquidity', () => {
  it('order size against the best opposite level', () => {
    const e = fresh({ account: { maxBookFraction: 0.5 } });
    expect(check(e, T, order({ instrument: BTC_PERP, qty: '5' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_PERP, qty: '5.001' })).reasons, 'RISK_LIQUIDITY_BOOK');
    expect(r).toMatchObject({ limit: 0.5 });
    expect(r.projected).toBeCloseTo(0.5001, 12);
  });
  it('position against average daily volume', () => {
    const e = fresh({ account: { maxAdvFraction: 0.01 } });
    expect(check(e, T, order({ instrument: BTC_SPOT, qty: '10', price: '50000' })).approved).toBe(true);
    const r = only(check(e, T, order({ instrument: BTC_SPOT, qty: '0.002', price: '50000' })).reasons, 'RISK_LIQUIDITY_ADV');
    expect(r.observed).toBeCloseTo(0.01, 12);
    expect(r.projected).toBeCloseTo(0.010002, 12);
  });
});

describe('every failed check is reported, not only the first', () => {
  it('collects reasons across checks and levels', () => {
    const e = fresh({ account: { maxOrderQty: 1, maxOrderNotional: 10_000 }, firm: { maxOrderQty: 1.5 } });
    const d = check(e, T, order({ instrument: BTC_PERP, qty: '2', price: '50000' }));
    expect(codes(d)).toEqual(['ORDER_MAX_QTY', 'ORDER_MAX_QTY', 'ORDER_MAX_NOTIONAL']);
    expect(d.reasons.map((r) => r.scope)).toEqual(['account', 'firm', 'account']);
  });
});
