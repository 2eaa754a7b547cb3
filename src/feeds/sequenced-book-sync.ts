/**
 * Per-instrument book synchronisation for venues that chain book messages with a sequence number
 * and rebuild a book by resubscribing (a fresh subscription starts with a snapshot): OKX (`seqId` /
 * `prevSeqId`, legacy checksum) and Bybit (`u` + 1). One book per key (OKX instId, Bybit topic).
 *
 * The state machine is the same for both; what differs is the venue's `SequenceRule`, which stays
 * in the venue's own book-sync.ts:
 *   - a message the rule calls a reset (a snapshot; at Bybit also `u == 1`) replaces the book,
 *     truncated to the depth the venue maintains; a checksum the rule finds wrong desyncs it;
 *     otherwise the chain restarts at the message's position, the key goes `ok` if it was not,
 *     and `book` + `quote` are emitted;
 *   - a delta while the key is not in sync is ignored: an in-flight remnant of the subscription
 *     the protocol is replacing;
 *   - a delta the rule calls stale is dropped (`stale`: the protocol dead-letters it);
 *   - a delta the rule calls a gap, or one after which the checksum is wrong, desyncs the key:
 *     only that key goes `resyncing`, its book is cleared (`gap` / `checksum`: the protocol
 *     resubscribes it);
 *   - any other delta is applied level by level (size 0 deletes; deleting a level the book does
 *     not hold is normal and ignored), the book is truncated to the venue's depth (venues send no
 *     delete for a level pushed out of it), and `book` + `quote` are emitted.
 */
import type { Venue } from '../portfolio/instruments.js';
import type { Level, MarketEvent } from '../risk/events.js';
import { L2Book } from './book.js';
import { emitBookAndQuote } from './book-events.js';
import type { Emit, ProtocolIO } from './types.js';

/** Where the sync's events go (a ProtocolIO satisfies it). */
export interface EventSink {
  emit: Emit;
}

/** What every sequenced book message carries, whatever the venue. */
export interface SequencedBookUpdate {
  /** Canonical id. */
  readonly instrument: string;
  /** The venue sent the whole book (a snapshot), not a delta. */
  readonly snapshot: boolean;
  /** Levels exactly as received (absolute sizes; "0" deletes). */
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
  readonly exchTs: number;
  readonly recvTs: number;
}

/** What applying one message did. */
export type BookSyncOutcome =
  | 'snapshot' // book (re)loaded and in sync
  | 'applied' // delta applied
  | 'ignored' // delta while waiting for a snapshot
  | 'stale' // older duplicate: dropped
  | 'gap' // the chain broke: resyncing
  | 'checksum'; // checksum mismatch: resyncing

/** Why a delta does not continue its book's chain. */
export interface SequenceBreak {
  readonly outcome: 'stale' | 'gap';
  /** One line for the dead letter or the status reason. */
  readonly detail: string;
}

/** A venue's reading of its own book messages. */
export interface SequenceRule<Update extends SequencedBookUpdate> {
  readonly venue: Venue;
  /** The book a message belongs to (OKX instId, Bybit topic). */
  key(update: Update): string;
  /** The `ok` status reason when the message replaces the book, undefined for a delta. */
  resetReason(update: Update): string | undefined;
  /** Levels per side the venue maintains on this book. */
  maintainedDepth(update: Update): number;
  /** The chain position after this message; undefined when the venue sends none (legacy OKX). */
  position(update: Update): number | undefined;
  /** Null when a delta continues the chain that stands at `last`, else why not. */
  continuity(update: Update, last: number | undefined): SequenceBreak | null;
  /** The book after applying `update` disagrees with the venue's checksum: the detail; else null. */
  checksumMismatch(book: L2Book, update: Update, reset: boolean): string | null;
  /** `seq` of the book event. */
  seq(update: Update): string | undefined;
}

/** What rebuilds a desynced book: the protocol, by resubscribing its channel. */
export interface BookRebuilder<Update> {
  rebuildBook(update: Update, io: ProtocolIO): void;
}

class KeyedBook {
  readonly book = new L2Book();
  synced = false;
  /** Position of the last message applied. */
  position: number | undefined = undefined;

  constructor(readonly instrument: string) {}
}

export class SequencedBookSync<Update extends SequencedBookUpdate> {
  private readonly books = new Map<string, KeyedBook>();
  private readonly bookDepth: number;
  /** Why the last `stale`/`gap`/`checksum` outcome happened (dead-letter / status detail). */
  lastDetail = '';

  constructor(
    private readonly rule: SequenceRule<Update>,
    bookDepth: number,
  ) {
    this.bookDepth = Math.max(1, bookDepth);
  }

  /** Forget everything (the connection closed). */
  reset(): void {
    this.books.clear();
  }

  isSynced(key: string): boolean {
    return this.books.get(key)?.synced ?? false;
  }

  /** The local book of a key (tests, diagnostics). */
  bookOf(key: string): L2Book | undefined {
    return this.books.get(key)?.book;
  }

  apply(update: Update, sink: EventSink): BookSyncOutcome {
    const rule = this.rule;
    const key = rule.key(update);
    let state = this.books.get(key);
    if (state === undefined) {
      state = new KeyedBook(update.instrument);
      this.books.set(key, state);
    }
    const book = state.book;
    const depth = rule.maintainedDepth(update);
    const resetReason = rule.resetReason(update);
    if (resetReason !== undefined) {
      book.loadSnapshot(update.bids, update.asks);
      book.truncateBoth(depth);
      const mismatch = rule.checksumMismatch(book, update, true);
      if (mismatch !== null) return this.desync(state, update, 'checksum', mismatch, sink);
      state.position = rule.position(update);
      if (!state.synced) {
        state.synced = true;
        sink.emit(this.status(update, 'ok', resetReason));
      }
      this.publish(state, update, sink);
      return 'snapshot';
    }
    if (!state.synced) return 'ignored';
    const broken = rule.continuity(update, state.position);
    if (broken !== null) {
      if (broken.outcome === 'gap') return this.desync(state, update, 'gap', broken.detail, sink);
      this.lastDetail = broken.detail;
      return 'stale';
    }
    book.setLevels('bid', update.bids);
    book.setLevels('ask', update.asks);
    book.truncateBoth(depth);
    const mismatch = rule.checksumMismatch(book, update, false);
    if (mismatch !== null) return this.desync(state, update, 'checksum', mismatch, sink);
    state.position = rule.position(update);
    this.publish(state, update, sink);
    return 'applied';
  }

  /**
   * Applies one message as the protocol answers it: a stale one is dead-lettered
   * `out_of_sequence` (one ordered connection never repeats itself, so it signals a problem); a
   * desync (gap, checksum) has `rebuilder` rebuild that book.
   */
  handle(update: Update, raw: string, io: ProtocolIO, rebuilder: BookRebuilder<Update>): void {
    const outcome = this.apply(update, io);
    if (outcome === 'stale') io.deadLetter('out_of_sequence', this.lastDetail, raw);
    else if (outcome === 'gap' || outcome === 'checksum') rebuilder.rebuildBook(update, io);
  }

  private desync(state: KeyedBook, update: Update, outcome: 'gap' | 'checksum', detail: string, sink: EventSink): BookSyncOutcome {
    this.lastDetail = detail;
    state.synced = false;
    state.position = undefined;
    state.book.clear();
    sink.emit(this.status(update, 'resyncing', detail));
    return outcome;
  }

  private publish(state: KeyedBook, update: Update, sink: EventSink): void {
    emitBookAndQuote(sink, this.rule.venue, state.instrument, state.book, this.bookDepth, update.exchTs, update.recvTs, this.rule.seq(update));
  }

  private status(update: Update, value: 'ok' | 'resyncing', reason: string): MarketEvent {
    return {
      type: 'status',
      venue: this.rule.venue,
      instrument: update.instrument,
      exchTs: update.exchTs,
      recvTs: update.recvTs,
      status: value,
      reason,
    };
  }
}
