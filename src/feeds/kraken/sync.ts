/**
 * Kraken v2 book synchronisation, one book per symbol.
 *
 * Rules (docs.kraken.com book channel + checksum guide; INDEX.md §5):
 *   - a `snapshot` replaces the book; an `update` sets absolute quantities level by level IN ARRAY
 *     ORDER (a price may repeat within one message), qty 0 deletes (deleting an absent level is
 *     harmless);
 *   - after every message the book is truncated to the subscribed depth (Kraken sends no delete
 *     for levels pushed out of range);
 *   - every snapshot and update carries the CRC32 of the top 10 levels after applying it. Kraken
 *     v2 has no sequence numbers: the checksum is the only integrity check, so a mismatch (which
 *     is how a lost or reordered update shows) is this venue's gap.
 *
 * On a mismatch only that symbol goes `resyncing`: its book is discarded and the protocol
 * re-subscribes that symbol's book to get a fresh snapshot, while other symbols keep serving.
 * Updates that arrive for it before the new snapshot are in-flight remnants of the old
 * subscription and are dropped without a dead letter. An update for a symbol that never had a
 * snapshot (nor is being rebuilt) is dead-lettered `out_of_sequence`.
 *
 * A snapshot that itself fails the checksum means the precision is wrong (or unknown): the sync
 * tries to discover it from the checksum (checksum.ts) and otherwise re-subscribes at most
 * MAX_SNAPSHOT_RETRIES times in a row before staying `resyncing` until the next connection, so a
 * misconfigured pair cannot hammer the venue.
 */
import type { MarketEvent } from '../../risk/events.js';
import { L2Book } from '../book.js';
import { padDecimal } from '../decimal.js';
import { emitBookAndQuote } from '../book-events.js';
import { discoverPrecision, krakenChecksum } from './checksum.js';
import type { KrakenBookMessage } from './parser.js';
import type { KrakenMarket, KrakenPrecision } from './symbols.js';

export const MAX_SNAPSHOT_RETRIES = 3;

type SyncState = 'awaiting_snapshot' | 'in_sync' | 'resyncing';

class SymbolBook {
  readonly book = new L2Book();
  state: SyncState = 'awaiting_snapshot';
  /** Last status emitted for this symbol (`ok` / `resyncing`), to emit transitions only once. */
  announced: 'ok' | 'resyncing' | undefined = undefined;
  failedSnapshots = 0;
  constructor(readonly market: KrakenMarket) {}
}

/** What the sync needs from its protocol. */
export interface KrakenSyncIO {
  emit(event: MarketEvent): void;
  /** Re-subscribe this symbol's book (unsubscribe + subscribe) to receive a fresh snapshot. */
  resubscribe(market: KrakenMarket): void;
  /** A message that cannot be applied (`out_of_sequence`). */
  outOfSequence(detail: string): void;
}

export interface KrakenSyncOptions {
  /** Depth the book is subscribed at (10, 25, 100, 500, 1000): the truncation depth. */
  subscribedDepth: number;
  /** Levels per side carried in `book` events. */
  bookDepth: number;
}

export class KrakenBookSync {
  private readonly books = new Map<string, SymbolBook>();

  constructor(private readonly options: KrakenSyncOptions) {}

  /** Forget every book (connection closed). */
  reset(): void {
    this.books.clear();
  }

  /**
   * Discards every book and waits for fresh snapshots (trading resumed after a halt). Updates that
   * arrive before them are dropped silently, as during any resync; no status is emitted here: the
   * snapshots announce `ok`.
   */
  rebuildAll(): void {
    for (const entry of this.books.values()) {
      entry.book.clear();
      entry.state = 'resyncing';
      entry.announced = undefined;
      entry.failedSnapshots = 0;
    }
  }

  /** Sync state of a symbol, for tests and health views. */
  stateOf(symbol: string): SyncState | undefined {
    return this.books.get(symbol)?.state;
  }

  /** The book of a symbol (read-only use: tests, diagnostics). */
  bookOf(symbol: string): L2Book | undefined {
    return this.books.get(symbol)?.book;
  }

  apply(msg: KrakenBookMessage, recvTs: number, io: KrakenSyncIO): void {
    let entry = this.books.get(msg.market.symbol);
    if (entry === undefined) {
      entry = new SymbolBook(msg.market);
      this.books.set(msg.market.symbol, entry);
    }
    if (msg.snapshot) this.applySnapshot(entry, msg, recvTs, io);
    else this.applyUpdate(entry, msg, recvTs, io);
  }

  private applySnapshot(entry: SymbolBook, msg: KrakenBookMessage, recvTs: number, io: KrakenSyncIO): void {
    const { book, market } = entry;
    const depth = this.options.subscribedDepth;
    book.loadSnapshot(msg.bids, msg.asks);
    book.truncateBoth(depth);
    let precision = market.precision;
    if (precision === undefined) {
      precision = discoverPrecision(book, msg.checksum);
      if (precision !== undefined) {
        market.precision = precision;
        // Re-pad what was parsed before the precision was known, so book events carry one form.
        book.loadSnapshot(padLevels(msg.bids, precision), padLevels(msg.asks, precision));
        book.truncateBoth(depth);
      }
    }
    if (precision === undefined || krakenChecksum(book, precision) !== msg.checksum) {
      entry.failedSnapshots++;
      const why = precision === undefined ? 'snapshot checksum matches no precision' : 'snapshot checksum mismatch (precision?)';
      this.startResync(entry, `${why}, attempt ${entry.failedSnapshots}`, msg.exchTs, recvTs, io, entry.failedSnapshots <= MAX_SNAPSHOT_RETRIES);
      return;
    }
    entry.failedSnapshots = 0;
    entry.state = 'in_sync';
    if (entry.announced !== 'ok') {
      entry.announced = 'ok';
      io.emit({ type: 'status', venue: 'kraken', instrument: market.id, exchTs: msg.exchTs, recvTs, status: 'ok', reason: 'book snapshot verified' });
    }
    this.emitTop(entry, msg.exchTs, recvTs, io);
  }

  private applyUpdate(entry: SymbolBook, msg: KrakenBookMessage, recvTs: number, io: KrakenSyncIO): void {
    if (entry.state !== 'in_sync') {
      if (entry.state === 'awaiting_snapshot') io.outOfSequence(`book update for ${msg.market.symbol} before any snapshot`);
      return;
    }
    const { book } = entry;
    book.setLevels('bid', msg.bids);
    book.setLevels('ask', msg.asks);
    book.truncateBoth(this.options.subscribedDepth);
    // in_sync implies the precision is known (a snapshot verified with it).
    const precision = entry.market.precision!;
    if (krakenChecksum(book, precision) !== msg.checksum) {
      this.startResync(entry, 'checksum mismatch', msg.exchTs, recvTs, io, true);
      return;
    }
    this.emitTop(entry, msg.exchTs, recvTs, io);
  }

  private startResync(entry: SymbolBook, reason: string, exchTs: number, recvTs: number, io: KrakenSyncIO, resubscribe: boolean): void {
    entry.state = 'resyncing';
    entry.book.clear();
    if (entry.announced !== 'resyncing') {
      entry.announced = 'resyncing';
      io.emit({ type: 'status', venue: 'kraken', instrument: entry.market.id, exchTs, recvTs, status: 'resyncing', reason });
    }
    if (resubscribe) io.resubscribe(entry.market);
  }

  private emitTop(entry: SymbolBook, exchTs: number, recvTs: number, io: KrakenSyncIO): void {
    emitBookAndQuote(io, 'kraken', entry.market.id, entry.book, this.options.bookDepth, exchTs, recvTs, undefined);
  }
}

function padLevels(levels: readonly (readonly [string, string])[], precision: KrakenPrecision): (readonly [string, string])[] {
  return levels.map(([p, q]) => [padDecimal(p, precision.price) ?? p, padDecimal(q, precision.qty) ?? q] as const);
}
