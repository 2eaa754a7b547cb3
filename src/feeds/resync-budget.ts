/**
 * How many book resyncs a connection may do by resubscribing before it asks the session for a
 * reconnect instead (the OKX and Bybit protocols rebuild books this way). Resubscribing is cheap,
 * but a book that keeps desyncing (a persistent checksum disagreement, a venue bug) would otherwise
 * resubscribe in a loop and burn the venue's request limit (OKX: 480 subscribe/unsubscribe requests per hour
 * per connection). A reconnect goes through the session's backoff, so it cannot spin.
 * Time comes from the frames' `recvTs`: no clock of its own.
 */
import type { ProtocolIO } from './types.js';

export class ResyncBudget {
  private readonly recent = new Map<string, { since: number; count: number }>();
  private total = 0;

  /**
   * @param perKey resyncs of one book allowed within `windowMs`
   * @param perConnection resyncs allowed on one connection in total
   */
  constructor(
    private readonly perKey: number,
    private readonly windowMs: number,
    private readonly perConnection: number,
  ) {}

  /** Records a resync of `key` at `now`; false when the budget is spent (reconnect instead). */
  take(key: string, now: number): boolean {
    this.total++;
    if (this.total > this.perConnection) return false;
    const entry = this.recent.get(key);
    if (entry === undefined || now - entry.since > this.windowMs) {
      this.recent.set(key, { since: now, count: 1 });
      return true;
    }
    entry.count++;
    return entry.count <= this.perKey;
  }

  /**
   * Rebuilds `key`'s book by sending `frames` (unsubscribe, then subscribe: a fresh subscription
   * starts with a snapshot) while the budget lasts; once it is spent, asks for a reconnect instead.
   */
  resubscribe(key: string, now: number, frames: readonly string[], spentReason: string, io: Pick<ProtocolIO, 'send' | 'reconnect'>): void {
    if (!this.take(key, now)) {
      io.reconnect(spentReason);
      return;
    }
    for (const frame of frames) io.send(frame);
  }

  /** A new connection starts with a full budget. */
  reset(): void {
    this.recent.clear();
    this.total = 0;
  }
}
