/**
 * Coinbase per-product state: the level-2 book, trade-id continuity and the Advanced Trade
 * connection sequence.
 *
 * Book (Exchange `level2`/`level2_batch`, Advanced Trade `l2_data`): a snapshot replaces the book
 * (Advanced Trade levels arrive unsorted; L2Book sorts), updates set absolute sizes in arrival
 * order, size 0 deletes (a delete of an absent level is harmless). The Exchange level2 channel has
 * no sequence numbers (Coinbase documents it as delivery-guaranteed), so it cannot show a gap by
 * itself. Gaps come from elsewhere:
 *   - Exchange `matches`: `trade_id` is +1 per product (97/97 consecutive pairs in the 2021
 *     capture). A jump means this connection lost messages, so the product goes `resyncing` and its
 *     book is rebuilt from a fresh snapshot (re-subscribe); with no book subscribed the product is
 *     `resyncing` until the next contiguous trade. The Exchange `sequence` field is the product's
 *     full-feed counter and jumps on every channel but full/level3 by design: never checked.
 *   - Advanced Trade `sequence_num`: one counter per connection (live recordings; the docs say per
 *     product). A jump puts every Advanced Trade book of the connection `resyncing` and
 *     re-subscribes them.
 * Stale input: a `match` whose trade_id is not above the last one, or an envelope whose
 * `sequence_num` is not above the last one, is a replay/duplicate: dropped and dead-lettered
 * `out_of_sequence`. Updates for a book being rebuilt are in-flight remnants: dropped silently. An
 * update for a product with no snapshot at all is dead-lettered `out_of_sequence`.
 */
import type { MarketEvent, TradeEvent } from '../../risk/events.js';
import { L2Book } from '../book.js';
import { emitBookAndQuote } from '../book-events.js';
import { levelsOfSide, type CoinbaseBookMessage } from './parser.js';
import type { CoinbaseProduct } from './symbols.js';

type BookState = 'none' | 'awaiting_snapshot' | 'in_sync' | 'resyncing';

class ProductState {
  readonly book = new L2Book();
  bookState: BookState = 'none';
  /** Last Exchange match trade_id; -1 before the first. Kept across reconnects (see `reset`). */
  lastTrade = -1;
  /** After a reconnect the next match/last_match sets a new baseline instead of raising a gap. */
  rebaseline = false;
  /** A trade-id gap on a product with no book to rebuild: cleared by the next contiguous trade. */
  tradeGap = false;
  announced: 'ok' | 'resyncing' | undefined = undefined;
  constructor(readonly product: CoinbaseProduct) {}
}

export interface CoinbaseSyncIO {
  emit(event: MarketEvent): void;
  /** Re-subscribe the level-2 channel of these products to receive fresh snapshots. */
  resubscribe(products: readonly CoinbaseProduct[]): void;
  outOfSequence(detail: string): void;
}

export class CoinbaseSync {
  private readonly products = new Map<string, ProductState>();
  private lastAdvancedSeq = -1;

  constructor(private readonly bookDepth: number) {}

  /**
   * Connection closed: books, statuses and the Advanced Trade sequence are forgotten. The last
   * trade id per product is kept so that the `last_match` Coinbase replays on the new connection
   * (usually a trade already emitted) is not emitted twice; trades missed while disconnected are
   * expected, so the first trade after the reconnect re-baselines without a gap alarm.
   */
  reset(): void {
    for (const s of this.products.values()) {
      s.book.clear();
      s.bookState = 'none';
      s.tradeGap = false;
      s.announced = undefined;
      s.rebaseline = true;
    }
    this.lastAdvancedSeq = -1;
  }

  private state(product: CoinbaseProduct): ProductState {
    let s = this.products.get(product.productId);
    if (s === undefined) {
      s = new ProductState(product);
      this.products.set(product.productId, s);
    }
    return s;
  }

  /** The protocol subscribed this product's book: an update before its snapshot is then unexpected. */
  expectBook(product: CoinbaseProduct): void {
    const s = this.state(product);
    if (s.bookState === 'none') s.bookState = 'awaiting_snapshot';
  }

  bookStateOf(productId: string): BookState | undefined {
    return this.products.get(productId)?.bookState;
  }

  bookOf(productId: string): L2Book | undefined {
    return this.products.get(productId)?.book;
  }

  /* Books --------------------------------------------------------------------------------------- */

  applyBook(msg: CoinbaseBookMessage, recvTs: number, seq: string | undefined, io: CoinbaseSyncIO): void {
    const s = this.state(msg.product);
    const book = s.book;
    if (msg.snapshot) {
      book.loadSnapshot(levelsOfSide(msg.changes, 'bid'), levelsOfSide(msg.changes, 'ask'));
      s.bookState = 'in_sync';
      s.tradeGap = false;
      this.announce(s, 'ok', 'book snapshot loaded', msg.exchTs, recvTs, io);
      this.emitTop(s, msg.exchTs, recvTs, seq, io);
      return;
    }
    if (s.bookState !== 'in_sync') {
      if (s.bookState !== 'resyncing') io.outOfSequence(`book update for ${msg.product.productId} before any snapshot`);
      return;
    }
    const changes = msg.changes;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      book.set(c[0], c[1], c[2]);
    }
    this.emitTop(s, msg.exchTs, recvTs, seq, io);
  }

  private emitTop(s: ProductState, exchTs: number, recvTs: number, seq: string | undefined, io: CoinbaseSyncIO): void {
    emitBookAndQuote(io, 'coinbase', s.product.id, s.book, this.bookDepth, exchTs, recvTs, seq);
  }

  private startResync(s: ProductState, reason: string, exchTs: number, recvTs: number, io: CoinbaseSyncIO): boolean {
    if (s.bookState === 'resyncing') return false;
    s.bookState = 'resyncing';
    s.book.clear();
    this.announce(s, 'resyncing', reason, exchTs, recvTs, io);
    return true;
  }

  private announce(s: ProductState, status: 'ok' | 'resyncing', reason: string, exchTs: number, recvTs: number, io: CoinbaseSyncIO): void {
    if (s.announced === status) return;
    s.announced = status;
    io.emit({ type: 'status', venue: 'coinbase', instrument: s.product.id, exchTs, recvTs, status, reason });
  }

  /* Exchange trades ----------------------------------------------------------------------------- */

  /** Applies trade-id continuity to an Exchange match, then emits it (unless it is a duplicate). */
  applyMatch(event: TradeEvent, product: CoinbaseProduct, tradeNumber: number, last: boolean, io: CoinbaseSyncIO): void {
    const s = this.state(product);
    const previous = s.lastTrade;
    if (last || previous < 0 || s.rebaseline) {
      // last_match (sent once after subscribing), the first match seen, or the first after a
      // reconnect: the baseline. A replay of a trade already emitted is dropped silently.
      s.rebaseline = false;
      if (tradeNumber <= previous) return;
      s.lastTrade = tradeNumber;
      io.emit(event);
      return;
    }
    if (tradeNumber <= previous) {
      io.outOfSequence(`match trade_id ${tradeNumber} for ${product.productId} not after ${previous}`);
      return;
    }
    s.lastTrade = tradeNumber;
    if (tradeNumber > previous + 1) {
      const reason = `trade_id gap: ${previous} -> ${tradeNumber} (${tradeNumber - previous - 1} missed)`;
      if (s.bookState === 'none') {
        s.tradeGap = true;
        this.announce(s, 'resyncing', reason, event.exchTs, event.recvTs, io);
      } else if (this.startResync(s, reason, event.exchTs, event.recvTs, io)) {
        io.resubscribe([product]);
      }
    } else if (s.tradeGap) {
      s.tradeGap = false;
      this.announce(s, 'ok', 'trades contiguous again', event.exchTs, event.recvTs, io);
    }
    io.emit(event);
  }

  /* Advanced Trade connection sequence ---------------------------------------------------------- */

  /**
   * Checks one envelope's `sequence_num`; false when the envelope is a duplicate/replay and must
   * be dropped. A jump resyncs every Advanced Trade book of the connection.
   */
  acceptAdvancedSeq(seq: number, recvTs: number, io: CoinbaseSyncIO): boolean {
    const last = this.lastAdvancedSeq;
    if (last >= 0 && seq <= last) {
      io.outOfSequence(`sequence_num ${seq} not after ${last}`);
      return false;
    }
    this.lastAdvancedSeq = seq;
    if (last >= 0 && seq > last + 1) {
      const reason = `sequence_num gap: ${last} -> ${seq}`;
      const rebuild: CoinbaseProduct[] = [];
      for (const s of this.products.values()) {
        if (s.bookState === 'none') continue;
        if (this.startResync(s, reason, 0, recvTs, io)) rebuild.push(s.product);
      }
      if (rebuild.length > 0) io.resubscribe(rebuild);
    }
    return true;
  }
}
