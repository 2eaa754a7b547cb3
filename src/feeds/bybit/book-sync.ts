/**
 * Bybit v5 order books, one per `orderbook.<depth>.<symbol>` topic: the Bybit sequence rule for the
 * shared per-instrument sync (../sequenced-book-sync.ts, which owns the resync state machine and
 * the `book`/`quote`/`status` events). Bybit documents no previous-id field and no continuity rule
 * for `u`, only that it is an update id "in sequence" (the v3 docs: "normally continuous"), that
 * `u == 1` means a service restart whose data must overwrite the book, and that a new `snapshot`
 * at any time resets the book. Keel's rule (docs/feeds/bybit.md; the simulator follows it):
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
import { type BookSyncOutcome, type SequenceRule, SequencedBookSync } from '../sequenced-book-sync.js';
import type { BybitBookUpdate } from './parser.js';

/** Bybit books carry no checksum, so `checksum` never comes back. */
export type BybitSyncOutcome = BookSyncOutcome;

const BYBIT_SEQUENCE_RULE: SequenceRule<BybitBookUpdate> = {
  venue: 'bybit',
  key: (update) => update.topic,
  resetReason: (update) => (update.snapshot ? 'snapshot' : update.u === 1 ? 'u=1 restart snapshot' : undefined),
  // Bybit keeps `depth` levels and sends no delete for one pushed out of the window.
  maintainedDepth: (update) => update.depth,
  position: (update) => update.u,
  continuity(update, last) {
    // In sync implies a reset set the position.
    const lastU = last ?? 0;
    if (update.u <= lastU) return { outcome: 'stale', detail: `stale delta u ${update.u}, book at u ${lastU}` };
    if (update.u !== lastU + 1) return { outcome: 'gap', detail: `gap: u ${update.u} after u ${lastU}` };
    return null;
  },
  checksumMismatch: () => null,
  seq: (update) => String(update.u),
};

export class BybitBookSync extends SequencedBookSync<BybitBookUpdate> {
  constructor(bookDepth: number) {
    super(BYBIT_SEQUENCE_RULE, bookDepth);
  }
}
