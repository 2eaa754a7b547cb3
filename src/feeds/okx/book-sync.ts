/**
 * OKX incremental order books (`books`, `books-l2-tbt`, `books50-l2-tbt`), one per instrument: the
 * OKX sequence rule for the shared per-instrument sync (../sequenced-book-sync.ts, which owns the
 * resync state machine and the `book`/`quote`/`status` events).
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
import { type BookSyncOutcome, type SequenceRule, SequencedBookSync } from '../sequenced-book-sync.js';
import { okxBookChecksum } from './checksum.js';
import { OKX_INCREMENTAL_BOOK_DEPTH, type OkxBookUpdate } from './parser.js';

export type OkxSyncOutcome = BookSyncOutcome;

/** Depth OKX maintains on a channel missing from the table (the `books` depth). */
const DEFAULT_MAINTAINED_DEPTH = 400;

const OKX_SEQUENCE_RULE: SequenceRule<OkxBookUpdate> = {
  venue: 'okx',
  key: (update) => update.instId,
  resetReason: (update) => (update.snapshot ? 'snapshot' : undefined),
  maintainedDepth: (update) => OKX_INCREMENTAL_BOOK_DEPTH[update.channel] ?? DEFAULT_MAINTAINED_DEPTH,
  position: (update) => update.seqId,
  continuity(update, last) {
    // Legacy frames without seqId/prevSeqId cannot be chained: only the checksum guards them.
    if (update.seqId === undefined || update.prevSeqId === undefined || last === undefined || update.prevSeqId === last) return null;
    if (update.seqId <= last && update.prevSeqId < update.seqId) {
      return { outcome: 'stale', detail: `stale update prevSeqId ${update.prevSeqId} seqId ${update.seqId}, book at ${last}` };
    }
    return { outcome: 'gap', detail: `gap: prevSeqId ${update.prevSeqId} != last seqId ${last}` };
  },
  checksumMismatch(book, update, reset) {
    if (update.checksum === 0 || okxBookChecksum(book) === update.checksum) return null;
    return reset ? `checksum mismatch on snapshot seqId ${update.seqId ?? '-'}` : `checksum mismatch at seqId ${update.seqId ?? '-'}`;
  },
  seq: (update) => (update.seqId === undefined ? undefined : String(update.seqId)),
};

export class OkxBookSync extends SequencedBookSync<OkxBookUpdate> {
  constructor(bookDepth: number) {
    super(OKX_SEQUENCE_RULE, bookDepth);
  }
}
