/**
 * OKX incremental order books (`books`, `books-l2-tbt`, `books50-l2-tbt`), one per instrument.
 * Rules (OKX order-book channel docs; fixtures/INDEX.md §3; docs/feeds/okx.md):
 *   - `snapshot` replaces the book and starts the chain at its seqId (prevSeqId is -1).
 *   - `update` applies when prevSeqId == the last seqId. That includes the two documented oddities:
 *     a heartbeat (prevSeqId == seqId, no levels) after ~60 s without change, and a sequence RESET
 *     during maintenance (seqId < prevSeqId).
 *   - prevSeqId != last seqId: an older forward message (seqId <= last) is a stale duplicate,
 *     dropped and dead-lettered `out_of_sequence` (OKX never re-sends on one connection, so it
 *     signals a problem); anything else is a gap.
 *   - size "0" deletes; deleting a price we do not hold is normal (953 of 3,236 deletes in the
 *     2022 capture) and ignored.
 *   - a nonzero `checksum` is the legacy CRC32 of the top 25 levels after applying the message;
 *     a mismatch is a desync. 0 means "not sent" (current OKX), then seqId alone guards the book.
 *   - after a gap or checksum failure only THAT instrument goes `resyncing`: its book is cleared,
 *     updates are ignored until a new snapshot (the protocol resubscribes its channel), then `ok`.
 * While in sync every applied message emits `book` (top `bookDepth` levels, full replacement) and
 * `quote`.
 */
import type { Level, MarketEvent } from '../../risk/events.js';
import type { Emit } from '../types.js';

/** Where the sync's events go (a ProtocolIO satisfies it). */
export interface EventSink {
  emit: Emit;
}
import { L2Book } from '../book.js';
import { okxBookChecksum } from './checksum.js';
import type { OkxBookUpdate } from './parser.js';
import { OKX_INCREMENTAL_BOOK_DEPTH } from './parser.js';

/** What applying one message did. */
export type OkxSyncOutcome =
  | 'snapshot' // book (re)loaded and in sync
  | 'applied' // update applied (includes heartbeats and sequence resets)
  | 'ignored' // update while waiting for a snapshot
  | 'stale' // older duplicate: dropped
  | 'gap' // prevSeqId does not chain: resyncing
  | 'checksum'; // checksum mismatch: resyncing

class InstrumentBook {
  readonly book = new L2Book();
  synced = false;
  /** seqId of the last message applied; undefined on legacy frames without seqId. */
  lastSeqId: number | undefined = undefined;

  constructor(
    readonly instId: string,
    readonly instrument: string,
    readonly channel: string,
  ) {}
}

export class OkxBookSync {
  private readonly books = new Map<string, InstrumentBook>();
  private readonly bookDepth: number;
  /** Why the last `stale`/`gap`/`checksum` outcome happened (dead-letter / status detail). */
  lastDetail = '';

  constructor(bookDepth: number) {
    this.bookDepth = Math.max(1, bookDepth);
  }

  /** Forget everything (the connection closed). */
  reset(): void {
    this.books.clear();
  }

  isSynced(instId: string): boolean {
    return this.books.get(instId)?.synced ?? false;
  }

  /** The local book of an instId (tests, diagnostics). */
  bookOf(instId: string): L2Book | undefined {
    return this.books.get(instId)?.book;
  }

  apply(update: OkxBookUpdate, sink: EventSink): OkxSyncOutcome {
    let state = this.books.get(update.instId);
    if (state === undefined) {
      state = new InstrumentBook(update.instId, update.instrument, update.channel);
      this.books.set(update.instId, state);
    }
    const maxDepth = OKX_INCREMENTAL_BOOK_DEPTH[update.channel] ?? 400;
    if (update.snapshot) {
      state.book.loadSnapshot(update.bids, update.asks);
      trim(state.book, maxDepth);
      if (update.checksum !== 0 && okxBookChecksum(state.book) !== update.checksum) {
        return this.desync(state, update, 'checksum', `checksum mismatch on snapshot seqId ${update.seqId ?? '-'}`, sink);
      }
      state.lastSeqId = update.seqId;
      if (!state.synced) {
        state.synced = true;
        sink.emit(status(update, 'ok', 'snapshot'));
      }
      this.publish(state, update, sink);
      return 'snapshot';
    }
    if (!state.synced) return 'ignored';
    const last = state.lastSeqId;
    if (update.seqId !== undefined && update.prevSeqId !== undefined && last !== undefined && update.prevSeqId !== last) {
      if (update.seqId <= last && update.prevSeqId < update.seqId) {
        this.lastDetail = `stale update prevSeqId ${update.prevSeqId} seqId ${update.seqId}, book at ${last}`;
        return 'stale';
      }
      return this.desync(state, update, 'gap', `gap: prevSeqId ${update.prevSeqId} != last seqId ${last}`, sink);
    }
    applySide(state.book, 'bid', update.bids);
    applySide(state.book, 'ask', update.asks);
    trim(state.book, maxDepth);
    if (update.checksum !== 0 && okxBookChecksum(state.book) !== update.checksum) {
      return this.desync(state, update, 'checksum', `checksum mismatch at seqId ${update.seqId ?? '-'}`, sink);
    }
    state.lastSeqId = update.seqId;
    this.publish(state, update, sink);
    return 'applied';
  }

  private desync(state: InstrumentBook, update: OkxBookUpdate, outcome: 'gap' | 'checksum', detail: string, sink: EventSink): OkxSyncOutcome {
    this.lastDetail = detail;
    state.synced = false;
    state.lastSeqId = undefined;
    state.book.clear();
    sink.emit(status(update, 'resyncing', detail));
    return outcome;
  }

  private publish(state: InstrumentBook, update: OkxBookUpdate, sink: EventSink): void {
    const bids: Level[] = [];
    const asks: Level[] = [];
    state.book.top('bid', this.bookDepth, bids);
    state.book.top('ask', this.bookDepth, asks);
    sink.emit({
      type: 'book',
      venue: 'okx',
      instrument: state.instrument,
      exchTs: update.exchTs,
      recvTs: update.recvTs,
      bids,
      asks,
      seq: update.seqId === undefined ? undefined : String(update.seqId),
    });
    const bid = bids[0];
    const ask = asks[0];
    sink.emit({
      type: 'quote',
      venue: 'okx',
      instrument: state.instrument,
      exchTs: update.exchTs,
      recvTs: update.recvTs,
      bid: bid === undefined ? null : bid[0],
      bidSize: bid === undefined ? null : bid[1],
      ask: ask === undefined ? null : ask[0],
      askSize: ask === undefined ? null : ask[1],
    });
  }
}

function applySide(book: L2Book, side: 'bid' | 'ask', levels: readonly Level[]): void {
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    book.set(side, level[0], level[1]);
  }
}

/** OKX maintains a fixed depth and sends no delete for a level pushed out of it. */
function trim(book: L2Book, depth: number): void {
  book.truncate('bid', depth);
  book.truncate('ask', depth);
}

function status(update: OkxBookUpdate, value: 'ok' | 'resyncing', reason: string): MarketEvent {
  return {
    type: 'status',
    venue: 'okx',
    instrument: update.instrument,
    exchTs: update.exchTs,
    recvTs: update.recvTs,
    status: value,
    reason,
  };
}
