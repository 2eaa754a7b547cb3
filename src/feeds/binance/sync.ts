/**
 * Binance depth synchronisation: REST snapshot + diff stream, per instrument, with the two venue
 * rules (docs/feeds/binance.md has the derivation and the fixture checks):
 *
 *   spot  (`/api/v3/depth`)  events carry U (first) and u (final) update id, contiguous:
 *         drop u <= lastUpdateId; the first applied event has U <= lastUpdateId + 1 <= u;
 *         afterwards U > local + 1 is a gap.
 *   USD-M (`/fapi/v1/depth`) ids are NOT contiguous (U != prev u + 1); events carry pu = previous u:
 *         drop u < lastUpdateId; the first applied event has U <= lastUpdateId <= u;
 *         afterwards pu != local is a gap.
 *
 * Life of one instrument's book:
 *   idle      -> first event: buffer it, request a snapshot                       -> buffering
 *   buffering -> snapshot: load it, replay the buffer                             -> awaiting | synced
 *   awaiting  -> (book loaded, no event bridged it yet) next bridging event       -> synced
 *   synced    -> each event applied; `book` + `quote` emitted; a gap emits
 *                `status: resyncing` for this instrument only, clears its book,
 *                and starts over from buffering with the event that showed the gap -> buffering
 * When a snapshot is too old to be bridged by the buffered events, it is fetched again.
 * `status: ok` is emitted each time an instrument becomes synced.
 *
 * Stale and duplicate events: while bridging a snapshot, events it already covers are dropped
 * silently (that is the documented procedure). Once synced, an event whose final id is not past the
 * book's is a replay the venue should never send: it is dropped and dead-lettered as
 * `out_of_sequence`, and the book keeps serving.
 */
import type { Instrument, Venue } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { L2Book } from '../book.js';
import { emitBookAndQuote } from '../book-events.js';
import type { ProtocolIO } from '../types.js';
import type { DecodedFrame } from './frame.js';
import type { DepthSnapshot } from './json.js';

export type DepthRule = 'spot' | 'usdm';

/** Deltas kept per instrument while its snapshot is on the way (100 ms stream: ~100 s). */
const MAX_BUFFERED = 1000;
/** A snapshot request not answered after this long (by frame receive time) is sent again. */
export const SNAPSHOT_RETRY_MS = 5000;

const IDLE = 0;
const BUFFERING = 1;
const AWAITING = 2;
const SYNCED = 3;
type SyncState = typeof IDLE | typeof BUFFERING | typeof AWAITING | typeof SYNCED;

interface Delta {
  readonly first: number;
  readonly final: number;
  /** `pu`, -1 on spot. */
  readonly prev: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
  readonly exchTs: number;
  /** The frame it came from, for dead letters. */
  readonly raw: string;
}

/** What the replay of one delta did. */
const APPLIED = 0;
const DROPPED = 1;
const RESTARTED = 2;
type Outcome = typeof APPLIED | typeof DROPPED | typeof RESTARTED;

class InstrumentBook {
  state: SyncState = IDLE;
  readonly book = new L2Book();
  buffer: Delta[] = [];
  /** The update id the book is at (snapshot lastUpdateId, then each applied u). */
  updateId = 0;
  snapshotPending = false;
  snapshotRequestedAt = 0;
  /** Whether `status: resyncing` is outstanding (emitted, not yet answered by `ok`). */
  resyncing = false;
  lastExchTs = 0;

  constructor(readonly instrument: Instrument) {}
}

export class DepthSync {
  private readonly books = new Map<number, InstrumentBook>();

  constructor(
    private readonly rule: DepthRule,
    private readonly venue: Venue,
    private readonly bookDepth: number,
  ) {}

  /** One diff event (`frame.kind === 'depth'`) for `instrument`. */
  onDelta(instrument: Instrument, frame: DecodedFrame, exchTs: number, raw: string, recvTs: number, io: ProtocolIO): void {
    let ib = this.books.get(instrument.idx);
    if (ib === undefined) {
      ib = new InstrumentBook(instrument);
      this.books.set(instrument.idx, ib);
    }
    if (ib.state === SYNCED) {
      this.onSyncedDelta(ib, frame, exchTs, raw, recvTs, io);
      return;
    }
    const delta: Delta = {
      first: frame.firstUpdateId,
      final: frame.finalUpdateId,
      prev: frame.prevFinalUpdateId,
      bids: frame.bids,
      asks: frame.asks,
      exchTs,
      raw,
    };
    switch (ib.state) {
      case AWAITING:
        if (this.bridge(ib, delta, recvTs, io) === APPLIED) this.becomeSynced(ib, recvTs, io);
        return;
      case IDLE:
        ib.state = BUFFERING;
        ib.buffer = [delta];
        this.requestSnapshot(ib, recvTs, io);
        return;
      case BUFFERING:
        if (ib.buffer.length >= MAX_BUFFERED) ib.buffer.shift();
        ib.buffer.push(delta);
        if (recvTs - ib.snapshotRequestedAt >= SNAPSHOT_RETRY_MS) this.requestSnapshot(ib, recvTs, io);
        return;
    }
  }

  /** The REST snapshot for `instrument`; ignored unless that book is waiting for one. */
  onSnapshot(instrument: Instrument, snapshot: DepthSnapshot, recvTs: number, io: ProtocolIO): void {
    const ib = this.books.get(instrument.idx);
    if (ib === undefined || ib.state !== BUFFERING) return;
    ib.snapshotPending = false;
    const buffered = ib.buffer;
    const firstBuffered = buffered[0];
    // Spot ids are contiguous: a snapshot older than the first buffered event can never be bridged.
    if (this.rule === 'spot' && firstBuffered !== undefined && snapshot.lastUpdateId + 1 < firstBuffered.first) {
      this.requestSnapshot(ib, recvTs, io);
      return;
    }
    ib.book.loadSnapshot(snapshot.bids, snapshot.asks);
    ib.updateId = snapshot.lastUpdateId;
    ib.lastExchTs = snapshot.exchTs;
    ib.buffer = [];
    // The replay below moves the state on (bridge, gap), so it is re-read for every event.
    ib.state = AWAITING as SyncState;
    for (let k = 0; k < buffered.length; k++) {
      const delta = buffered[k]!;
      const restarted = ib.state === SYNCED ? !this.applyInSync(ib, delta, recvTs, io) : this.bridge(ib, delta, recvTs, io) === RESTARTED;
      if (restarted) {
        // The event that could not be applied is in the new buffer; keep what came after it.
        for (let j = k + 1; j < buffered.length; j++) ib.buffer.push(buffered[j]!);
        return;
      }
    }
    if (ib.state === SYNCED) this.becomeSynced(ib, recvTs, io);
  }

  /** Forgets every book (the connection closed). */
  reset(): void {
    this.books.clear();
  }

  /** Whether an instrument's book is in sync (tests, health). */
  isSynced(instrument: Instrument): boolean {
    return this.books.get(instrument.idx)?.state === SYNCED;
  }

  /** The book of an instrument, for inspection (tests). */
  bookOf(instrument: Instrument): L2Book | undefined {
    return this.books.get(instrument.idx)?.book;
  }

  /**
   * First event after a snapshot: drops what the snapshot covers, applies the event that bridges
   * it, or fetches the snapshot again when the event starts after it.
   */
  private bridge(ib: InstrumentBook, d: Delta, recvTs: number, io: ProtocolIO): Outcome {
    const base = ib.updateId;
    if (this.rule === 'spot') {
      if (d.final <= base) return DROPPED;
      if (d.first > base + 1) return this.refetch(ib, d, recvTs, io);
    } else {
      if (d.final < base) return DROPPED;
      if (d.first > base) return this.refetch(ib, d, recvTs, io);
    }
    this.apply(ib, d.final, d.bids, d.asks, d.exchTs);
    ib.state = SYNCED;
    return APPLIED;
  }

  /** A buffered event once synced: false when it showed a gap (the book restarted). */
  private applyInSync(ib: InstrumentBook, d: Delta, recvTs: number, io: ProtocolIO): boolean {
    if (d.final <= ib.updateId) {
      io.deadLetter('out_of_sequence', this.staleDetail(ib, d.first, d.final), d.raw);
      return true;
    }
    const gap = this.gapDetail(ib, d.first, d.prev);
    if (gap !== null) {
      this.restart(ib, d, gap, recvTs, io);
      return false;
    }
    this.apply(ib, d.final, d.bids, d.asks, d.exchTs);
    return true;
  }

  private onSyncedDelta(ib: InstrumentBook, f: DecodedFrame, exchTs: number, raw: string, recvTs: number, io: ProtocolIO): void {
    if (f.finalUpdateId <= ib.updateId) {
      io.deadLetter('out_of_sequence', this.staleDetail(ib, f.firstUpdateId, f.finalUpdateId), raw);
      return;
    }
    const gap = this.gapDetail(ib, f.firstUpdateId, f.prevFinalUpdateId);
    if (gap !== null) {
      const delta: Delta = {
        first: f.firstUpdateId,
        final: f.finalUpdateId,
        prev: f.prevFinalUpdateId,
        bids: f.bids,
        asks: f.asks,
        exchTs,
        raw,
      };
      this.restart(ib, delta, gap, recvTs, io);
      return;
    }
    this.apply(ib, f.finalUpdateId, f.bids, f.asks, exchTs);
    this.emitBook(ib, recvTs, io);
  }

  /** The reason an in-sync event does not continue the book, or null when it does. */
  private gapDetail(ib: InstrumentBook, first: number, prev: number): string | null {
    if (this.rule === 'spot') {
      return first > ib.updateId + 1 ? `gap: book at update id ${ib.updateId}, next event starts at U=${first}` : null;
    }
    return prev !== ib.updateId ? `gap: book at update id ${ib.updateId}, next event has pu=${prev}` : null;
  }

  private staleDetail(ib: InstrumentBook, first: number, final: number): string {
    return `${ib.instrument.spec.venueSymbol}: depth event U=${first} u=${final} is not past the book's update id ${ib.updateId}; dropped`;
  }

  private apply(ib: InstrumentBook, final: number, bids: readonly Level[], asks: readonly Level[], exchTs: number): void {
    ib.book.setLevels('bid', bids);
    ib.book.setLevels('ask', asks);
    ib.updateId = final;
    ib.lastExchTs = exchTs;
  }

  /** A gap while synced: this instrument alone goes to resyncing and rebuilds from a snapshot. */
  private restart(ib: InstrumentBook, d: Delta, reason: string, recvTs: number, io: ProtocolIO): void {
    ib.book.clear();
    ib.state = BUFFERING;
    ib.buffer = [d];
    if (!ib.resyncing) {
      ib.resyncing = true;
      io.emit({ type: 'status', venue: this.venue, instrument: ib.instrument.id, exchTs: d.exchTs, recvTs, status: 'resyncing', reason });
    }
    this.requestSnapshot(ib, recvTs, io);
  }

  /** The snapshot is older than the buffered events can bridge: fetch another. */
  private refetch(ib: InstrumentBook, d: Delta, recvTs: number, io: ProtocolIO): Outcome {
    ib.book.clear();
    ib.state = BUFFERING;
    ib.buffer = [d];
    this.requestSnapshot(ib, recvTs, io);
    return RESTARTED;
  }

  private requestSnapshot(ib: InstrumentBook, recvTs: number, io: ProtocolIO): void {
    ib.snapshotPending = true;
    ib.snapshotRequestedAt = recvTs;
    io.requestSnapshot(ib.instrument);
  }

  private becomeSynced(ib: InstrumentBook, recvTs: number, io: ProtocolIO): void {
    ib.resyncing = false;
    io.emit({
      type: 'status',
      venue: this.venue,
      instrument: ib.instrument.id,
      exchTs: ib.lastExchTs,
      recvTs,
      status: 'ok',
      reason: `book synced at update id ${ib.updateId}`,
    });
    this.emitBook(ib, recvTs, io);
  }

  private emitBook(ib: InstrumentBook, recvTs: number, io: ProtocolIO): void {
    emitBookAndQuote(io, this.venue, ib.instrument.id, ib.book, this.bookDepth, ib.lastExchTs, recvTs, String(ib.updateId));
  }
}
