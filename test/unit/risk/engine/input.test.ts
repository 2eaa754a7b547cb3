/**
 * Bad input gets a structured rejection and never throws out of check() or process().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateEnvelope } from '../../../../src/risk/validate.js';
import { BTC_PERP, engine, markAll, T0 } from './setup.js';

const T = T0 + 100;

describe('order validation', () => {
  const e = engine();
  markAll(e, T0);
  const base = { clOrdId: 'x', account: 'acct1', instrument: BTC_PERP, side: 'buy', type: 'limit', qty: '1', price: '50000' };

  it.each([
    [{ ...base, qty: 'NaN' }, 'order.qty', 'not a valid decimal (SYNTAX)'],
    [{ ...base, qty: '-1' }, 'order.qty', 'must be greater than zero'],
    [{ ...base, qty: '0' }, 'order.qty', 'must be greater than zero'],
    [{ ...base, qty: 'abc' }, 'order.qty', 'not a valid decimal (SYNTAX)'],
    [{ ...base, qty: 1 }, 'order.qty', 'must be a decimal string, not a JSON number (exactness)'],
    [{ ...base, qty: '1e400' }, 'order.qty', 'not a valid decimal (TOO_LARGE)'],
    [{ ...base, price: 'Infinity' }, 'order.price', 'not a valid decimal (SYNTAX)'],
    [{ ...base, side: 'long' }, 'order.side', 'must be "buy" or "sell"'],
    [{ ...base, reduceonly: true }, 'order.reduceonly', 'unknown field'],
    [{ ...base, price: undefined }, 'order.price', 'required for limit orders'],
    [{ ...base, type: 'market' }, 'order.price', 'market orders carry no price'],
    [{ ...base, clOrdId: '' }, 'order.clOrdId', 'must be a non-empty string'],
  ])('%j -> INVALID_ORDER at %s', (o, field, problem) => {
    const d = e.check(o, T);
    expect(d.approved).toBe(false);
    expect(d.reasons).toContainEqual({ code: 'INVALID_ORDER', scope: 'order', target: field, limit: null, observed: null, projected: null, utilization: null, detail: problem });
  });

  it('reports every bad field at once', () => {
    const d = e.check({ account: 7, qty: {}, side: 'up' }, T);
    expect(d.reasons.map((r) => r.target).sort()).toEqual(['order.account', 'order.clOrdId', 'order.instrument', 'order.qty', 'order.side', 'order.type']);
  });

  it('never throws, whatever the input (fast-check)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withTypedArray: true }), (input) => {
        const d = e.check(input, T);
        expect(d.approved).toBe(false);
        expect(d.reasons.length).toBeGreaterThan(0);
      }),
      { seed: 7, numRuns: 400 },
    );
  });

  it('never throws on mutated valid orders (fast-check)', () => {
    const field = fc.constantFrom('clOrdId', 'account', 'instrument', 'side', 'type', 'qty', 'price', 'reduceOnly', 'extra');
    const value = fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.constant(undefined), fc.boolean(), fc.constantFrom('1e-30', '0.1', '-0', '1.', '.5', '١'));
    fc.assert(
      fc.property(field, value, (k, v) => {
        const d = e.check({ ...base, clOrdId: `m${Math.random()}`, [k]: v }, T);
        expect(typeof d.approved).toBe('boolean');
        if (!d.approved) expect(d.reasons.every((r) => typeof r.code === 'string')).toBe(true);
      }),
      { seed: 11, numRuns: 400 },
    );
  });
});

describe('envelope validation', () => {
  it('accepts a well-formed market event and rejects unknown fields and bad decimals with paths', () => {
    expect(validateEnvelope({ v: 1, ts: 1, type: 'trade', venue: 'binance', instrument: BTC_PERP, exchTs: 1, recvTs: 1, price: '1.5', size: '2', side: 'buy', tradeId: '9' }).ok).toBe(true);
    const bad = validateEnvelope({ v: 1, ts: 1, type: 'trade', venue: 'binance', instrument: BTC_PERP, exchTs: 1, recvTs: 1, price: 'x', size: '2', side: 'up', tradeId: '9', extra: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors).toEqual([
      { field: 'extra', problem: 'unknown field' },
      { field: 'price', problem: 'not a valid decimal (SYNTAX)' },
      { field: 'side', problem: 'must be "buy", "sell" or "unknown"' },
    ]);
  });
  it('rejects an unknown type and a missing version', () => {
    const r = validateEnvelope({ ts: 1, type: 'teleport' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((x) => x.field)).toEqual(['v', 'type']);
  });
  it('never throws on arbitrary JSON (fast-check)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => typeof validateEnvelope(v).ok === 'boolean'), { seed: 3, numRuns: 500 });
  });
  it('the engine survives invalid market values without crashing', () => {
    const e = engine();
    e.process({ v: 1, ts: T, type: 'quote', venue: 'binance', instrument: BTC_PERP, exchTs: 0, recvTs: 0, bid: 'NaN', bidSize: '1', ask: '-3', askSize: '1' });
    expect(e.state.counters.invalidEvents).toBe(1);
  });
});
