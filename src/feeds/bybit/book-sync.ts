/**
 * Bybit v5 order books, one per `orderbook.<depth>.<symbol>` topic. Bybit documents no previous-id
 * field and no continuity rule for `u`, only that it is an update id "in sequence" (the v3 docs:
 * "normally continuous"), that `u == 1` means a service restart whose data must overwrite the
 * book, and that a new `snapshot` at any time resets the book. Keel's rule (docs/feeds/bybit.md;
 * the simulator follows it):
 *   - `snapshot`, or any message with u == 1: replace the book; the chain restarts at its u.
 *     (Level-1 books are snapshot-only and re-pushed every 3 s with the same u: each is a reset.)
 *   - `delta` with u == last u + 1: apply (size "0" deletes; deleting an absent level is ignored).
 *   - `delta` with u <= last u: an old or duplicate message; dropped and dead-lettered
 *     `out_of_sequence` (never expected on one connection, so it signals a problem).
 *   - `delta` with u > last u + 1: a gap. Only that topic goes `resyncing`, its book is cleared,
 *     deltas are ignored until the next snapshot (the protocol resubscribes the topic), then `ok`.
 * The +1 step is what public recordings show (Tardis 2023, INDEX.md §4), not a documented
 * guarantee: if Bybit ever skips ids without losing data, this rule costs a resubscribe, never a
 * wrong book. Bybit v5 books carry no checksum.
 */
import type { Level, MarketEvent } from '../../risk/events.js';
import { L2Book } from '../book.js';
import type { EventSink } from '../okx/book-sync.js';
import type { BybitBookUpdate } from './parser.js';

export type BybitSyncOutcome = 'snapshot' | 'applied' | 'ignored' | 'stale' | 'gap';

class TopicBook {
  readonly book = new L2Book();
  synced = false;
  lastU = 0;

  constructor(readonly instrument: string) {}
}

export class BybitBookSync {
  private readonly books = new Map<string, TopicBook>();
  private readonly bookDepth: number;
  /** Why the last `stale`/`gap` outcome happened. */
  lastDetail = '';

  constructor(bookDepth: number) {
    this.bookDepth = Math.max(1, bookDepth);
  }

  reset(): void {
    this.books.clear();
  }

  isSynced(topic: string): boolean {
    return this.books.get(topic)?.synced ?? false;
  }

  bookOf(topic: string): L2Book | undefined {
    return this.books.get(topic)?.book;
  }

  apply(update: BybitBookUpdate, sink: EventSink): BybitSyncOutcome {
    let state = this.books.get(update.topic);
    if (state === undefined) {
      state = new TopicBook(update.instrument);
      this.books.set(update.topic, state);
    }
    if (update.snapshot || update.u === 1) {
      state.book.loadSnapshot(update.bids, update.asks);
      state.book.truncate('bid', update.depth);
      state.book.truncate('ask', update.depth);
      state.lastU = update.u;
      if (!state.synced) {
        state.synced = true;
        sink.emit(status(update, 'ok', update.snapshot ? 'snapshot' : 'u=1 restart snapshot'));
      }
      this.publish(state, update, sink);
      return 'snapshot';
    }
    if (!state.synced) return 'ignored';
    if (update.u <= state.lastU) {
      this.lastDetail = `stale delta u ${update.u}, book at u ${state.lastU}`;
      return 'stale';
    }
    if (update.u !== state.lastU + 1) {
      this.lastDetail = `gap: u ${update.u} after u ${state.lastU}`;
      state.synced = false;
      state.book.clear();
      sink.emit(status(update, 'resyncing', this.lastDetail));
      return 'gap';
    }
    applySide(state.book, 'bid', update.bids);
    applySide(state.book, 'ask', update.asks);
    // Bybit keeps `depth` levels and sends no delete for one pushed out of the window.
    state.book.truncate('bid', update.depth);
    state.book.truncate('ask', update.depth);
    state.lastU = update.u;
    this.publish(state, update, sink);
    return 'applied';
  }

  private publish(state: TopicBook, update: BybitBookUpdate, sink: EventSink): void {
    const bids: Level[] = [];
    const asks: Level[] = [];
    state.book.top('bid', this.bookDepth, bids);
    state.book.top('ask', this.bookDepth, asks);
    sink.emit({
      type: 'book',
      venue: 'bybit',
      instrument: state.instrument,
      exchTs: update.exchTs,
      recvTs: update.recvTs,
      bids,
      asks,
      seq: String(update.u),
    });
    const bid = bids[0];
    const ask = asks[0];
    sink.emit({
      type: 'quote',
      venue: 'bybit',
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

function status(update: BybitBookUpdate, value: 'ok' | 'resyncing', reason: string): MarketEvent {
  return { type: 'status', venue: 'bybit', instrument: update.instrument, exchTs: update.exchTs, recvTs: update.recvTs, status: value, reason };
}
