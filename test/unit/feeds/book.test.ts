import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { L2Book, type BookSide } from '../../../src/feeds/book.js';
import type { Level } from '../../../src/risk/events.js';

/** Naive reference: a Map keyed by numeric price, sorted on every read. */
class ReferenceBook {
  readonly bids = new Map<number, Level>();
  readonly asks = new Map<number, Level>();
  private map(side: BookSide): Map<number, Level> {
    return side === 'bid' ? this.bids : this.asks;
  }
  set(side: BookSide, price: string, size: string): void {
    const m = this.map(side);
    if (Number(size) === 0) m.delete(Number(price));
    else m.set(Number(price), [price, size]);
  }
  snapshot(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.clear();
    this.asks.clear();
    for (const [p, s] of bids) this.set('bid', p, s);
    for (const [p, s] of asks) this.set('ask', p, s);
  }
  sorted(side: BookSide): Level[] {
    const entries = [...this.map(side).entries()].sort((a, b) => (side === 'bid' ? b[0] - a[0] : a[0] - b[0]));
    return entries.map((e) => e[1]);
  }
  truncate(side: BookSide, n: number): void {
    const keep = new Set(this.sorted(side).slice(0, n).map((l) => Number(l[0])));
    for (const k of [...this.map(side).keys()]) if (!keep.has(k)) this.map(side).delete(k);
  }
}

// Prices from a small grid so that updates often hit existing levels; spelled in several ways
// ("100.5" / "100.50") to check that equal values are one level.
const priceArb = fc.tuple(fc.integer({ min: 900, max: 1100 }), fc.boolean()).map(([t, pad]) => {
  const text = (t / 10).toFixed(1);
  return pad ? `${text}0` : text;
});
const sizeArb = fc.oneof(
  fc.constantFrom('0', '0.00000000'),
  fc.integer({ min: 1, max: 100_000 }).map((n) => (n / 1000).toFixed(3)),
);
const levelArb = fc.tuple(priceArb, sizeArb) as fc.Arbitrary<Level>;
const sideArb = fc.constantFrom<BookSide>('bid', 'ask');

type Op =
  | { kind: 'set'; side: BookSide; price: string; size: string }
  | { kind: 'snapshot'; bids: Level[]; asks: Level[] }
  | { kind: 'truncate'; side: BookSide; n: number }
  | { kind: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('set' as const), side: sideArb, price: priceArb, size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), bids: fc.array(levelArb, { maxLength: 40 }), asks: fc.array(levelArb, { maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), side: sideArb, n: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

function expectSame(book: L2Book, ref: ReferenceBook): void {
  const out: Level[] = [];
  for (const side of ['bid', 'ask'] as const) {
    const expected = ref.sorted(side);
    expect(book.depth(side)).toBe(expected.length);
    book.top(side, 1_000, out);
    expect(out).toEqual(expected);
    book.top(side, 5, out);
    expect(out).toEqual(expected.slice(0, 5));
    for (let i = 0; i < expected.length; i++) expect(book.at(side, i)).toEqual(expected[i]);
    expect(book.at(side, expected.length)).toBeUndefined();
  }
  expect(book.bestBid()).toEqual(ref.sorted('bid')[0]);
  expect(book.bestAsk()).toEqual(ref.sorted('ask')[0]);
}

describe('L2Book', () => {
  it('equals a naive reference book after any sequence of snapshots and deltas', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const book = new L2Book();
        const ref = new ReferenceBook();
        for (const op of ops) {
          switch (op.kind) {
            case 'set':
              book.set(op.side, op.price, op.size);
              ref.set(op.side, op.price, op.size);
              break;
            case 'snapshot':
              book.loadSnapshot(op.bids, op.asks);
              ref.snapshot(op.bids, op.asks);
              break;
            case 'truncate':
              book.truncate(op.side, op.n);
              ref.truncate(op.side, op.n);
              break;
            case 'clear':
              book.clear();
              ref.snapshot([], []);
              break;
          }
          expectSame(book, ref);
        }
      }),
      { seed: 424242, numRuns: 200 },
    );
  });

  it('keeps the exact strings received and replaces them on update', () => {
    const book = new L2Book();
    book.set('bid', '100.50', '1.000');
    expect(book.bestBid()).toEqual(['100.50', '1.000']);
    book.set('bid', '100.5', '2');
    expect(book.bestBid()).toEqual(['100.5', '2']);
    expect(book.depth('bid')).toBe(1);
  });

  it('treats deleting an absent level as a no-op and reports whether the book changed', () => {
    const book = new L2Book();
    expect(book.set('ask', '10', '0')).toBe(false);
    expect(book.set('ask', '10', '1')).toBe(true);
    expect(book.set('ask', '10', '0.000')).toBe(true);
    expect(book.depth('ask')).toBe(0);
    expect(book.set('ask', 'abc', '1')).toBe(false);
  });

  it('shares stored tuples: top() allocates no new levels', () => {
    const book = new L2Book();
    book.loadSnapshot([['1', '1'], ['2', '2']], [['3', '3']]);
    const a: Level[] = [];
    const b: Level[] = [];
    book.top('bid', 2, a);
    book.top('bid', 2, b);
    expect(a[0]).toBe(b[0]);
    expect(a).toEqual([['2', '2'], ['1', '1']]);
  });

  it('loads unsorted snapshots, last duplicate wins, zero sizes dropped', () => {
    const book = new L2Book();
    book.loadSnapshot(
      [['99', '1'], ['101', '2'], ['100', '3'], ['101', '0'], ['98', '0']],
      [['105', '1'], ['103', '2'], ['103', '4']],
    );
    const out: Level[] = [];
    book.top('bid', 10, out);
    expect(out).toEqual([['100', '3'], ['99', '1']]);
    book.top('ask', 10, out);
    expect(out).toEqual([['103', '4'], ['105', '1']]);
    expect(book.isCrossed()).toBe(false);
    book.set('bid', '104', '1');
    expect(book.isCrossed()).toBe(true);
  });

  it('truncates to the subscribed depth keeping the best levels', () => {
    const book = new L2Book();
    for (let i = 1; i <= 12; i++) book.set('ask', String(100 + i), '1');
    expect(book.truncate('ask', 10)).toBe(2);
    expect(book.depth('ask')).toBe(10);
    expect(book.at('ask', 9)).toEqual(['110', '1']);
    expect(book.truncate('ask', 10)).toBe(0);
  });
});
