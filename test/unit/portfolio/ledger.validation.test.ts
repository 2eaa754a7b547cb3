import { describe, expect, it } from 'vitest';
import { type Fixed, fx } from '../../../src/portfolio/fixed.js';
import { InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import { type FillInput, type FundingInput, Ledger, type LedgerSnapshot, type TransferInput } from '../../../src/portfolio/ledger.js';
import { ACCOUNTS, SPECS, U, fill, mustFill, newLedger, registry, str } from './universe.js';

function code(r: { ok: boolean; code?: string }): string | undefined {
  return r.ok ? undefined : r.code;
}

describe('validation: stable codes, never a throw, nothing changes', () => {
  const cases: [string, Partial<FillInput> | Record<string, unknown>, string][] = [
    ['negative account', { account: -1 }, 'UNKNOWN_ACCOUNT'],
    ['account past the end', { account: 3 }, 'UNKNOWN_ACCOUNT'],
    ['fractional account', { account: 0.5 }, 'UNKNOWN_ACCOUNT'],
    ['no instrument', { instrument: undefined }, 'MISSING_FIELD'],
    ['empty execId', { execId: '' }, 'MISSING_FIELD'],
    ['bad side', { side: 'hold' }, 'MISSING_FIELD'],
    ['zero qty', { qty: fx('0') }, 'INVALID_QTY'],
    ['negative qty', { qty: fx('-1') }, 'INVALID_QTY'],
    ['qty as a float', { qty: 1.5 }, 'INVALID_QTY'],
    ['zero price', { price: fx('0') }, 'INVALID_PRICE'],
    ['negative price', { price: fx('-100') }, 'INVALID_PRICE'],
    ['price as a string', { price: '100' }, 'INVALID_PRICE'],
    ['fee as a float', { fee: 0.1 }, 'MISSING_FIELD'],
    ['empty fee currency', { fee: fx('1'), feeCurrency: '' }, 'MISSING_FIELD'],
  ];
  for (const [name, patch, expected] of cases) {
    it(`refuses a fill with ${name}: ${expected}`, () => {
      const l = newLedger();
      const before = l.snapshot();
      const bad = { ...fill(0, U.linPerp, 'buy', '1', '100'), ...patch } as FillInput;
      expect(code(l.applyFill(bad))).toBe(expected);
      expect(l.snapshot()).toEqual(before);
    });
  }

  it('refuses an instrument from another registry', () => {
    const other = InstrumentRegistry.of(SPECS);
    const l = newLedger();
    expect(code(l.applyFill(fill(0, other.get(U.linPerp.idx), 'buy', '1', '1')))).toBe('UNKNOWN_INSTRUMENT');
    expect(code(l.applySettlement(other.get(U.linFuture.idx), fx('1')))).toBe('UNKNOWN_INSTRUMENT');
  });

  it('does not record the id of a refused event, so a corrected resend applies', () => {
    const l = newLedger();
    expect(code(l.applyFill(fill(0, U.linPerp, 'buy', '0', '100', { execId: 'e1' })))).toBe('INVALID_QTY');
    expect(l.applyFill(fill(0, U.linPerp, 'buy', '1', '100', { execId: 'e1' })).ok).toBe(true);
  });

  it('refuses bad transfers and funding with codes', () => {
    const l = newLedger();
    const t = (patch: Partial<TransferInput>): string | undefined =>
      code(l.applyTransfer({ account: 0, transferId: 't', currency: 'USDT', amount: fx('1'), ...patch }));
    expect(t({ account: 9 })).toBe('UNKNOWN_ACCOUNT');
    expect(t({ transferId: '' })).toBe('MISSING_FIELD');
    expect(t({ currency: '' })).toBe('MISSING_FIELD');
    expect(t({ amount: fx('0') })).toBe('INVALID_QTY');
    expect(t({ amount: 5 as unknown as Fixed })).toBe('INVALID_QTY');
    const f = (patch: Partial<FundingInput>): string | undefined =>
      code(l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f', amount: fx('1'), ...patch }));
    expect(f({ account: -2 })).toBe('UNKNOWN_ACCOUNT');
    expect(f({ fundingId: '' })).toBe('MISSING_FIELD');
    expect(f({ instrument: U.spot })).toBe('NOT_A_PERPETUAL');
    expect(l.balances(0).size).toBe(0);
  });

  it('answers reads for unknown accounts and instruments without throwing', () => {
    const l = newLedger();
    expect(l.position(7, 0)).toBeUndefined();
    expect(l.position(0, 999)).toBeUndefined();
    expect([...l.positions(-1)]).toEqual([]);
    expect(l.cash(42, 'USDT')).toBe(0n);
    expect(l.balances(42).size).toBe(0);
    expect(l.holders(999)).toEqual([]);
  });
});

describe('transfers', () => {
  it('adds deposits and subtracts withdrawals per currency, once per transferId', () => {
    const l = newLedger();
    expect(l.applyTransfer({ account: 1, transferId: 'd1', currency: 'BTC', amount: fx('2') }).ok).toBe(true);
    expect(l.applyTransfer({ account: 1, transferId: 'w1', currency: 'BTC', amount: fx('-0.5') }).ok).toBe(true);
    expect(code(l.applyTransfer({ account: 1, transferId: 'd1', currency: 'BTC', amount: fx('2') }))).toBe('DUPLICATE');
    expect(str(l.cash(1, 'BTC'))).toBe('1.5');
    // ids are per account: the same id on another account is a different transfer
    expect(l.applyTransfer({ account: 2, transferId: 'd1', currency: 'BTC', amount: fx('1') }).ok).toBe(true);
  });
});

describe('idempotency', () => {
  it('a repeated execId, fundingId or transferId changes nothing and says DUPLICATE', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '100', { execId: 'e1', fee: '0.1' });
    l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f1', amount: fx('-0.2') });
    l.applyTransfer({ account: 0, transferId: 't1', currency: 'USDT', amount: fx('1000') });
    const before = l.snapshot();
    // even with different content: the id is the identity
    expect(code(l.applyFill(fill(0, U.linPerp, 'sell', '5', '90', { execId: 'e1' })))).toBe('DUPLICATE');
    expect(code(l.applyFunding({ account: 0, instrument: U.linPerp, fundingId: 'f1', amount: fx('9') }))).toBe('DUPLICATE');
    expect(code(l.applyTransfer({ account: 0, transferId: 't1', currency: 'USDT', amount: fx('1') }))).toBe('DUPLICATE');
    expect(l.snapshot()).toEqual(before);
  });

  it('execIds are per account', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '100', { execId: 'same' });
    expect(l.applyFill(fill(1, U.linPerp, 'buy', '1', '100', { execId: 'same' })).ok).toBe(true);
  });

  it('remembers ids for two dedupe generations, then forgets them', () => {
    const l = newLedger();
    mustFill(l, 0, U.linPerp, 'buy', '1', '100', { execId: 'old' });
    expect(l.dedupeSize()).toBe(1);
    l.rotateDedupe();
    expect(code(l.applyFill(fill(0, U.linPerp, 'buy', '1', '100', { execId: 'old' })))).toBe('DUPLICATE');
    mustFill(l, 0, U.linPerp, 'buy', '1', '100', { execId: 'new' });
    l.rotateDedupe();
    expect(l.dedupeSize()).toBe(1); // 'new' only
    expect(code(l.applyFill(fill(0, U.linPerp, 'buy', '1', '100', { execId: 'new' })))).toBe('DUPLICATE');
    expect(l.applyFill(fill(0, U.linPerp, 'buy', '1', '100', { execId: 'old' })).ok).toBe(true);
  });
});

describe('holders and ordering', () => {
  it('lists accounts with a nonzero position in ascending order', () => {
    const l = newLedger();
    mustFill(l, 2, U.linPerp, 'buy', '1', '100');
    mustFill(l, 0, U.linPerp, 'sell', '1', '100');
    mustFill(l, 1, U.linPerp, 'buy', '1', '100');
    expect(l.holders(U.linPerp.idx)).toEqual([0, 1, 2]);
    mustFill(l, 1, U.linPerp, 'sell', '1', '101');
    expect(l.holders(U.linPerp.idx)).toEqual([0, 2]);
  });

  it('iterates an account’s positions in first-trade order, flat ones included', () => {
    const l = newLedger();
    mustFill(l, 0, U.spot, 'buy', '1', '100');
    mustFill(l, 0, U.linPerp, 'buy', '1', '100');
    mustFill(l, 0, U.spot, 'sell', '1', '100');
    expect([...l.positions(0)].map((p) => [p.instrument, str(p.qty)])).toEqual([
      [U.spot.idx, '0'],
      [U.linPerp.idx, '1'],
    ]);
  });
});

describe('snapshots', () => {
  function busyLedger(): Ledger {
    const l = newLedger();
    l.applyTransfer({ account: 1, transferId: 't1', currency: 'BTC', amount: fx('2') });
    mustFill(l, 1, U.xbtusd, 'buy', '3000', '30000', { fee: '0.0000001' });
    mustFill(l, 1, U.xbtusd, 'sell', '1000', '31000');
    mustFill(l, 0, U.spot, 'buy', '0.3', '60000', { fee: '0.01', feeCurrency: 'BNB' });
    l.applyFunding({ account: 1, instrument: U.xbtusd, fundingId: 'f1', rate: fx('0.0001'), markPrice: fx('30500') });
    mustFill(l, 2, U.coinCall, 'buy', '1', '0.05');
    l.applySettlement(U.coinCall, fx('12500'));
    l.rotateDedupe();
    mustFill(l, 0, U.linPerp, 'sell', '2', '60000');
    return l;
  }

  it('is JSON-safe and restores to an identical ledger', () => {
    const l = busyLedger();
    const snap = l.snapshot();
    const json = JSON.stringify(snap);
    expect(json).not.toMatch(/\d+n\b/);
    const restored = Ledger.restore(registry, ACCOUNTS, JSON.parse(json) as LedgerSnapshot);
    expect(restored.snapshot()).toEqual(snap);
    expect(restored.holders(U.xbtusd.idx)).toEqual([1]);
    expect(str(restored.cash(1, 'BTC'))).toBe(str(l.cash(1, 'BTC')));
  });

  it('survives a reordered account list (accounts are matched by id)', () => {
    const l = busyLedger();
    const reordered = [ACCOUNTS[2]!, ACCOUNTS[0]!, ACCOUNTS[1]!];
    const restored = Ledger.restore(registry, reordered, l.snapshot());
    expect(str(restored.cash(2, 'BTC'))).toBe(str(l.cash(1, 'BTC'))); // db-basis is now index 2
    expect(restored.holders(U.xbtusd.idx)).toEqual([2]);
  });

  it('diagnoses a bad snapshot instead of half-applying it', () => {
    const good = busyLedger().snapshot();
    const mutate = (f: (s: LedgerSnapshot) => void): LedgerSnapshot => {
      const s = JSON.parse(JSON.stringify(good)) as LedgerSnapshot;
      f(s);
      return s;
    };
    const bad: [string, LedgerSnapshot][] = [
      ['version', mutate((s) => ((s as { v: number }).v = 2))],
      ['unknown account', mutate((s) => (s.accounts[0]!.id = 'ghost'))],
      ['unknown instrument', mutate((s) => (s.accounts[1]!.positions[0]!.instrument = 'nowhere:X'))],
      ['bad decimal', mutate((s) => (s.accounts[1]!.cash[0]![1] = '1.2.3'))],
      ['cost inconsistent with the anchor', mutate((s) => (s.accounts[1]!.positions[0]!.cost = '0.5'))],
      ['run state', mutate((s) => (s.accounts[1]!.positions[0]!.runSide = null))],
    ];
    for (const [, snap] of bad) {
      const r = Ledger.tryRestore(registry, ACCOUNTS, snap);
      expect(r.ok ? 'ok' : r.code).toBe('BAD_SNAPSHOT');
    }
    expect(() => Ledger.restore(registry, ACCOUNTS, bad[0]![1])).toThrow(/BAD_SNAPSHOT/);
  });
});
