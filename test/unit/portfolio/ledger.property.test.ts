/**
 * Model-based properties of the ledger over random fill streams (fast-check, committed seeds).
 * Expected values are computed here independently, with plain bigint arithmetic; the only shared
 * piece is `divRound` (half-even), which test/unit/fixed.test.ts covers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Fixed, SCALE, divRound, fx } from '../../../src/portfolio/fixed.js';
import type { Instrument } from '../../../src/portfolio/instruments.js';
import { type FillInput, Ledger, type LedgerSnapshot } from '../../../src/portfolio/ledger.js';
import { isPremiumStyle, pricingModel, unrealizedPnl, valueCurrency } from '../../../src/portfolio/valuation.js';
import { ACCOUNTS, U, newLedger, registry } from './universe.js';

/** Instruments under test with a lot size and a few prices (repeats make same-price runs likely). */
const TABLE: readonly { ins: Instrument; lot: Fixed; prices: readonly Fixed[] }[] = [
  { ins: U.linPerp, lot: fx('0.001'), prices: ['100', '100.01', '99.99', '123.45', '77.77'].map(fx) },
  { ins: U.okxPerp, lot: fx('1'), prices: ['60000', '60000.1', '59999.9', '61234.5'].map(fx) },
  { ins: U.xbtusd, lot: fx('1'), prices: ['7', '13', '30000', '30000.5', '29999.5'].map(fx) },
  { ins: U.deribitPerp, lot: fx('1'), prices: ['60000', '66000', '61234.5', '3'].map(fx) },
  { ins: U.spot, lot: fx('0.00001'), prices: ['60000', '60000.01', '59999.99'].map(fx) },
  { ins: U.coinCall, lot: fx('0.1'), prices: ['0.05', '0.0515', '0.0007'].map(fx) },
];

interface FillOp {
  account: number;
  row: number;
  side: 'buy' | 'sell';
  units: number;
  priceIdx: number;
  /** Where to cut this fill for the split-replay property. */
  cuts: number[];
}

const fillOp: fc.Arbitrary<FillOp> = fc.record({
  account: fc.integer({ min: 0, max: 2 }),
  row: fc.integer({ min: 0, max: TABLE.length - 1 }),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  units: fc.integer({ min: 1, max: 60 }),
  priceIdx: fc.nat(),
  cuts: fc.array(fc.nat(), { maxLength: 3 }),
});

const fillStream = fc.array(fillOp, { minLength: 1, maxLength: 40 });
const markIdx = fc.array(fc.nat(), { minLength: TABLE.length, maxLength: TABLE.length });

function priceOf(op: FillOp): Fixed {
  const prices = TABLE[op.row]!.prices;
  return prices[op.priceIdx % prices.length]!;
}

function toFill(op: FillOp, execId: string, units = op.units): FillInput {
  const row = TABLE[op.row]!;
  return {
    account: op.account,
    instrument: row.ins,
    execId,
    side: op.side,
    qty: (row.lot * BigInt(units)) as Fixed,
    price: priceOf(op),
    // a fee proportional to size, so a split fill pays the same in total
    fee: (fx('0.0001') * BigInt(units)) as Fixed,
  };
}

function applyAll(l: Ledger, ops: readonly FillOp[]): void {
  ops.forEach((op, i) => {
    const r = l.applyFill(toFill(op, `e${i}`));
    if (!r.ok) throw new Error(`fill ${i} refused: ${r.code} ${r.detail}`);
  });
}

/** The snapshot without dedupe memory: what the books say, not which ids produced them. */
function books(snap: LedgerSnapshot): unknown {
  return snap.accounts.map(({ execIds: _e, fundingIds: _f, transferIds: _t, ...rest }) => rest);
}

const key = (account: number, ins: number): string => `${account}/${ins}`;

describe('ledger properties', () => {
  it('position qty equals the sum of signed fills', () => {
    fc.assert(
      fc.property(fillStream, (ops) => {
        const l = newLedger();
        applyAll(l, ops);
        const expected = new Map<string, bigint>();
        for (const op of ops) {
          const k = key(op.account, TABLE[op.row]!.ins.idx);
          const signed = (op.side === 'buy' ? 1n : -1n) * TABLE[op.row]!.lot * BigInt(op.units);
          expected.set(k, (expected.get(k) ?? 0n) + signed);
        }
        for (const [k, qty] of expected) {
          const [a, i] = k.split('/').map(Number) as [number, number];
          expect(l.position(a, i)!.qty).toBe(qty);
          expect(l.holders(i).includes(a)).toBe(qty !== 0n);
        }
      }),
      { seed: 20260101, numRuns: 300 },
    );
  });

  it('realized + unrealized equals the mark-to-market P&L of the trades, exactly', () => {
    fc.assert(
      fc.property(fillStream, markIdx, (ops, marksPick) => {
        const l = newLedger();
        applyAll(l, ops);
        // group each position's fills; inverse values round once per run (same side and price)
        const perPosition = new Map<string, FillOp[]>();
        for (const op of ops) {
          const k = key(op.account, TABLE[op.row]!.ins.idx);
          perPosition.set(k, [...(perPosition.get(k) ?? []), op]);
        }
        for (const [k, fills] of perPosition) {
          const [a, i] = k.split('/').map(Number) as [number, number];
          const row = TABLE.find((r) => r.ins.idx === i)!;
          const ins = row.ins;
          const cs = ins.contractSize;
          const mark = row.prices[marksPick[TABLE.indexOf(row)]! % row.prices.length]!;
          const pos = l.position(a, i)!;
          let expected: bigint;
          if (pricingModel(ins) === 'linear') {
            // Σ −side·q·p·cs + qty·m·cs; every product here fits in 18 decimals, so no rounding
            let flows = 0n;
            for (const op of fills) {
              const exact = row.lot * BigInt(op.units) * priceOf(op) * cs;
              expect(exact % (SCALE * SCALE)).toBe(0n);
              flows -= (op.side === 'buy' ? 1n : -1n) * (exact / (SCALE * SCALE));
            }
            const held = pos.qty * mark * cs;
            expect(held % (SCALE * SCALE)).toBe(0n);
            expected = flows + held / (SCALE * SCALE);
          } else {
            // Σ_runs side·round(runQty·cs/p) − round(qty·cs/m)   (docs/ledger.md)
            let flows = 0n;
            let run: { side: string; price: bigint; qty: bigint } | undefined;
            const closeRun = (): void => {
              if (run !== undefined) flows += (run.side === 'buy' ? 1n : -1n) * divRound(run.qty * cs, run.price);
            };
            for (const op of fills) {
              const q = row.lot * BigInt(op.units);
              if (run !== undefined && run.side === op.side && run.price === priceOf(op)) run.qty += q;
              else {
                closeRun();
                run = { side: op.side, price: priceOf(op), qty: q };
              }
            }
            closeRun();
            expected = flows - divRound(pos.qty * cs, mark);
          }
          expect(pos.realized + unrealizedPnl(ins, pos, mark)).toBe(expected);
        }
      }),
      { seed: 424242, numRuns: 300 },
    );
  });

  it('cash is conserved: per currency, premium flows plus derivative realized P&L minus fees', () => {
    fc.assert(
      fc.property(fillStream, (ops) => {
        const l = newLedger();
        applyAll(l, ops);
        for (let a = 0; a < ACCOUNTS.length; a++) {
          const expected = new Map<string, bigint>();
          for (const pos of l.positions(a)) {
            const ins = registry.get(pos.instrument);
            // premium-style: realized − cost is exactly the premium cash that changed hands
            const flow = isPremiumStyle(ins) ? pos.realized - pos.cost : pos.realized;
            const ccy = valueCurrency(ins);
            expected.set(ccy, (expected.get(ccy) ?? 0n) + flow - pos.fees);
          }
          for (const [ccy, amount] of l.balances(a)) expect(amount).toBe(expected.get(ccy) ?? 0n);
        }
      }),
      { seed: 77, numRuns: 200 },
    );
  });

  it('splitting fills into same-price parts gives the same positions, cost, P&L and cash', () => {
    fc.assert(
      fc.property(fillStream, (ops) => {
        const whole = newLedger();
        applyAll(whole, ops);
        const split = newLedger();
        let n = 0;
        for (const op of ops) {
          const points = [...new Set(op.units > 1 ? op.cuts.map((c) => 1 + (c % (op.units - 1))) : [])].sort((x, y) => x - y);
          let from = 0;
          for (const to of [...points, op.units]) {
            const r = split.applyFill(toFill(op, `s${n++}`, to - from));
            expect(r.ok).toBe(true);
            from = to;
          }
        }
        expect(books(split.snapshot())).toEqual(books(whole.snapshot()));
      }),
      { seed: 31337, numRuns: 300 },
    );
  });

  it('a duplicate execution id changes nothing', () => {
    fc.assert(
      fc.property(fillStream, fc.nat(), fillOp, (ops, which, other) => {
        const l = newLedger();
        applyAll(l, ops);
        const before = l.snapshot();
        const i = which % ops.length;
        // the same id with the original content, and with different content
        const again = l.applyFill(toFill(ops[i]!, `e${i}`));
        const changed = l.applyFill({ ...toFill(other, `e${i}`), account: ops[i]!.account });
        expect([again.ok ? 'ok' : again.code, changed.ok ? 'ok' : changed.code]).toEqual(['DUPLICATE', 'DUPLICATE']);
        expect(l.snapshot()).toEqual(before);
      }),
      { seed: 9001, numRuns: 200 },
    );
  });
});

/* ---------------------------- snapshot, restore, replay ---------------------------- */

type Op =
  | { t: 'fill'; op: FillOp }
  | { t: 'funding'; account: number; row: number; rateBp: number; priceIdx: number }
  | { t: 'transfer'; account: number; currency: string; amount: number }
  | { t: 'settle'; which: 0 | 1; priceIdx: number };

const SETTLEABLE = [
  { ins: U.linFuture, prices: ['58000', '61000.5'].map(fx), lot: fx('0.001') },
  { ins: U.deribitFuture, prices: ['59000', '60001.5'].map(fx), lot: fx('1') },
];

const anyOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fillOp.map((op): Op => ({ t: 'fill', op })) },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.integer({ min: 0, max: 2 }), row: fc.constantFrom(0, 1, 2, 3), rateBp: fc.integer({ min: -30, max: 30 }), priceIdx: fc.nat() })
      .map((f): Op => ({ t: 'funding', ...f })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ account: fc.integer({ min: 0, max: 2 }), currency: fc.constantFrom('USDT', 'BTC'), amount: fc.integer({ min: -1000, max: 1000 }).filter((x) => x !== 0) })
      .map((t): Op => ({ t: 'transfer', ...t })),
  },
  { weight: 1, arbitrary: fc.record({ which: fc.constantFrom(0 as const, 1 as const), priceIdx: fc.nat() }).map((s): Op => ({ t: 'settle', ...s })) },
  // fills on the expiring instruments, so settlement has holders
  {
    weight: 2,
    arbitrary: fc
      .record({ account: fc.integer({ min: 0, max: 2 }), which: fc.constantFrom(0, 1), side: fc.constantFrom('buy' as const, 'sell' as const), units: fc.integer({ min: 1, max: 40 }) })
      .map((f): Op => ({ t: 'fill', op: { account: f.account, row: -1 - f.which, side: f.side, units: f.units, priceIdx: 0, cuts: [] } })),
  },
);

/** Applies event i of a stream; ids derive from the position in the stream, as offsets would. */
function applyOp(l: Ledger, op: Op, i: number): void {
  switch (op.t) {
    case 'fill': {
      if (op.op.row >= 0) {
        l.applyFill(toFill(op.op, `e${i}`));
        return;
      }
      const s = SETTLEABLE[-1 - op.op.row]!;
      l.applyFill({ account: op.op.account, instrument: s.ins, execId: `e${i}`, side: op.op.side, qty: (s.lot * BigInt(op.op.units)) as Fixed, price: s.prices[0]! });
      return;
    }
    case 'funding': {
      const row = TABLE[op.row]!;
      l.applyFunding({
        account: op.account,
        instrument: row.ins,
        fundingId: `f${i}`,
        rate: (fx('0.0001') * BigInt(op.rateBp)) as Fixed,
        markPrice: row.prices[op.priceIdx % row.prices.length]!,
      });
      return;
    }
    case 'transfer':
      l.applyTransfer({ account: op.account, transferId: `t${i}`, currency: op.currency, amount: fx(String(op.amount)) });
      return;
    case 'settle': {
      const s = SETTLEABLE[op.which]!;
      l.applySettlement(s.ins, s.prices[op.priceIdx % s.prices.length]!);
      return;
    }
  }
}

describe('recovery properties', () => {
  it('snapshot → restore → continue equals the uninterrupted ledger', () => {
    fc.assert(
      fc.property(fc.array(anyOp, { minLength: 1, maxLength: 50 }), fc.nat(), (ops, cutAt) => {
        const straight = newLedger();
        ops.forEach((op, i) => applyOp(straight, op, i));
        const cut = cutAt % (ops.length + 1);
        const first = newLedger();
        ops.slice(0, cut).forEach((op, i) => applyOp(first, op, i));
        const wire = JSON.parse(JSON.stringify(first.snapshot())) as LedgerSnapshot;
        const resumed = Ledger.restore(registry, ACCOUNTS, wire);
        ops.slice(cut).forEach((op, j) => applyOp(resumed, op, cut + j));
        expect(resumed.snapshot()).toEqual(straight.snapshot());
      }),
      { seed: 8675309, numRuns: 250 },
    );
  });

  it('restore then replay from an earlier offset (at-least-once delivery) equals a clean run', () => {
    fc.assert(
      fc.property(fc.array(anyOp, { minLength: 1, maxLength: 50 }), fc.nat(), fc.nat(), (ops, a, b) => {
        const straight = newLedger();
        ops.forEach((op, i) => applyOp(straight, op, i));
        const snapAt = a % (ops.length + 1);
        const replayFrom = b % (snapAt + 1); // the stored offset lags the snapshot
        const first = newLedger();
        ops.slice(0, snapAt).forEach((op, i) => applyOp(first, op, i));
        const resumed = Ledger.restore(registry, ACCOUNTS, JSON.parse(JSON.stringify(first.snapshot())) as LedgerSnapshot);
        ops.slice(replayFrom).forEach((op, j) => applyOp(resumed, op, replayFrom + j));
        expect(resumed.snapshot()).toEqual(straight.snapshot());
      }),
      { seed: 1234567, numRuns: 250 },
    );
  });
});
