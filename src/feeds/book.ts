/**
 * A level-2 order book for venue adapters: the exact price and size strings as received (checksums
 * need them) plus a float64 ordering key per level.
 *
 * Layout: each side is two parallel arrays sorted so that the BEST level is LAST (bids ascending
 * by price, asks descending). Almost every update touches the top of the book, so inserts and
 * deletes there move few elements; binary search finds a price in O(log n). Books hold at most a
 * few thousand levels, so a sorted array beats a tree on constant factors.
 *
 * Level tuples are immutable and shared: `top()` and `at()` hand out the stored tuples, so reading
 * the book allocates nothing and a `book` event can carry them directly.
 *
 * Ordering keys are `Number(price)`. Two price strings with the same numeric value ("100.0" and
 * "100") are the same level; an update replaces the stored strings with the ones just received.
 * Decimal prices with more than ~15 significant digits could collide in float64; no venue sends
 * such prices.
 */
import type { Level } from '../risk/events.js';
import { isZeroDecimal } from './decimal.js';

export type BookSide = 'bid' | 'ask';

class SideLevels {
  /** Sorted ascending; best level last. Bids: key = price; asks: key = -price. */
  readonly keys: number[] = [];
  readonly levels: Level[] = [];

  constructor(private readonly sign: 1 | -1) {}

  rank(price: number): number {
    return this.sign * price;
  }

  /** Index of `key`, or -(insertion point) - 1 when absent. */
  search(key: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length - 1;
    // Most updates hit the top: check the best level first.
    if (hi >= 0) {
      const best = keys[hi]!;
      if (key === best) return hi;
      if (key > best) return -(hi + 1) - 1;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  set(price: string, size: string, key: number): boolean {
    const at = this.search(key);
    if (isZeroDecimal(size)) {
      if (at < 0) return false; // deleting an absent level is normal (OKX, Binance futures)
      this.keys.splice(at, 1);
      this.levels.splice(at, 1);
      return true;
    }
    const level: Level = [price, size];
    if (at >= 0) {
      this.levels[at] = level;
    } else {
      const ins = -at - 1;
      if (ins === this.keys.length) {
        this.keys.push(key);
        this.levels.push(level);
      } else {
        this.keys.splice(ins, 0, key);
        this.levels.splice(ins, 0, level);
      }
    }
    return true;
  }

  clear(): void {
    this.keys.length = 0;
    this.levels.length = 0;
  }

  /** i = 0 is the best level. */
  at(i: number): Level | undefined {
    const n = this.levels.length;
    return i >= 0 && i < n ? this.levels[n - 1 - i] : undefined;
  }

  truncate(n: number): number {
    const excess = this.keys.length - Math.max(0, n);
    if (excess <= 0) return 0;
    this.keys.splice(0, excess);
    this.levels.splice(0, excess);
    return excess;
  }
}

export class L2Book {
  private readonly bids = new SideLevels(1);
  private readonly asks = new SideLevels(-1);

  private side(side: BookSide): SideLevels {
    return side === 'bid' ? this.bids : this.asks;
  }

  /**
   * Sets a level's absolute size; a zero size ("0", "0.00000000") deletes it. Returns true when
   * the book changed. A price whose numeric value is not finite is ignored (returns false): the
   * parser validates decimals first and dead-letters the frame, so this only guards the ordering.
   */
  set(side: BookSide, price: string, size: string): boolean {
    const p = +price;
    if (!Number.isFinite(p)) return false;
    const s = this.side(side);
    return s.set(price, size, s.rank(p));
  }

  /** Sets each level's absolute size in arrival order (a delta's levels: a repeated price, the last wins). */
  setLevels(side: BookSide, levels: readonly Level[]): void {
    for (let i = 0; i < levels.length; i++) {
      const level = levels[i]!;
      this.set(side, level[0], level[1]);
    }
  }

  /**
   * Replaces the whole book. Levels may arrive in any order (Coinbase Advanced Trade does not sort
   * them); a repeated price keeps the last one; zero sizes are skipped.
   */
  loadSnapshot(bids: readonly Level[], asks: readonly Level[]): void {
    this.bids.clear();
    this.asks.clear();
    loadSide(this.bids, bids);
    loadSide(this.asks, asks);
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  bestBid(): Level | undefined {
    return this.bids.at(0);
  }

  bestAsk(): Level | undefined {
    return this.asks.at(0);
  }

  /** The i-th best level of a side (0 = best), for checksum builders; undefined past the end. */
  at(side: BookSide, i: number): Level | undefined {
    return this.side(side).at(i);
  }

  /**
   * Fills `out` with up to `n` best levels of a side, best first, and truncates `out` to what was
   * written. Returns the count. Allocates nothing: the stored tuples are shared.
   */
  top(side: BookSide, n: number, out: Level[]): number {
    const s = this.side(side);
    const levels = s.levels;
    const len = levels.length;
    const count = Math.max(0, Math.min(n, len));
    for (let i = 0; i < count; i++) out[i] = levels[len - 1 - i]!;
    out.length = count;
    return count;
  }

  depth(side: BookSide): number {
    return this.side(side).levels.length;
  }

  /** Keeps only the `n` best levels of a side (Kraken keeps the subscribed depth). Returns how many went. */
  truncate(side: BookSide, n: number): number {
    return this.side(side).truncate(n);
  }

  /** Keeps only the `n` best levels of both sides: venues that keep a fixed depth send no delete for a level pushed out. */
  truncateBoth(n: number): void {
    this.bids.truncate(n);
    this.asks.truncate(n);
  }

  /** Best bid at or above best ask: a desynchronised book. */
  isCrossed(): boolean {
    const b = this.bids.keys;
    const a = this.asks.keys;
    if (b.length === 0 || a.length === 0) return false;
    return b[b.length - 1]! >= -a[a.length - 1]!;
  }
}

function loadSide(side: SideLevels, levels: readonly Level[]): void {
  const n = levels.length;
  if (n === 0) return;
  const order: number[] = [];
  const ranks: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const p = +levels[i]![0];
    ranks[i] = side.rank(p);
    if (Number.isFinite(p)) order.push(i);
  }
  // Stable by arrival among equal prices, so the last one received wins.
  order.sort((x, y) => ranks[x]! - ranks[y]! || x - y);
  let zeros = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    const key = ranks[i]!;
    const level = levels[i]!;
    const stored: Level = level.length === 2 ? level : [level[0], level[1]];
    const last = side.keys.length - 1;
    if (last >= 0 && side.keys[last] === key) side.levels[last] = stored;
    else {
      side.keys.push(key);
      side.levels.push(stored);
    }
  }
  for (let k = 0; k < side.levels.length; k++) if (isZeroDecimal(side.levels[k]![1])) zeros++;
  if (zeros === 0) return;
  let w = 0;
  for (let k = 0; k < side.levels.length; k++) {
    if (isZeroDecimal(side.levels[k]![1])) continue;
    side.keys[w] = side.keys[k]!;
    side.levels[w] = side.levels[k]!;
    w++;
  }
  side.keys.length = w;
  side.levels.length = w;
}
