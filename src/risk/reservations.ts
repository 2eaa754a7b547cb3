/**
 * Open-order reservations: an approved order holds its worst-case exposure until the gateway
 * reports what happened to it (ack keeps it, fill converts it, cancel/reject releases it). A
 * reservation that hears nothing expires after a TTL and raises an alert: a lost report must not
 * hold limits forever, and must not go unnoticed either.
 *
 * The per-contract contributions are frozen at approval time (deterministic, and what the check
 * approved against), so releasing part of an order removes exactly its share.
 */
export class Reservation {
  readonly clOrdId: string;
  readonly account: number;
  readonly instrument: number;
  readonly side: 1 | -1;
  readonly approvedAt: number;
  /** Lots still open (exact integer) and the same in contracts as float64. */
  remainingLots: number;
  remainingF: number;
  acked = false;
  /** Engine time after which the reservation expires (pending or open TTL). */
  expiresAt: number;
  active = true;
  // Per-contract contributions (reporting ccy), frozen at approval.
  readonly grossPer: number;
  readonly netPer: number;
  readonly imPer: number;
  readonly unitsPer: number;
  readonly deltaPer: number;
  readonly gammaPer: number;
  readonly vegaPer: number;
  readonly varBoundPer: number;

  constructor(
    clOrdId: string,
    account: number,
    instrument: number,
    side: 1 | -1,
    lots: number,
    qtyF: number,
    approvedAt: number,
    expiresAt: number,
    per: { gross: number; net: number; im: number; units: number; delta: number; gamma: number; vega: number; varBound: number },
  ) {
    this.clOrdId = clOrdId;
    this.account = account;
    this.instrument = instrument;
    this.side = side;
    this.remainingLots = lots;
    this.remainingF = qtyF;
    this.approvedAt = approvedAt;
    this.expiresAt = expiresAt;
    this.grossPer = per.gross;
    this.netPer = per.net;
    this.imPer = per.im;
    this.unitsPer = per.units;
    this.deltaPer = per.delta;
    this.gammaPer = per.gamma;
    this.vegaPer = per.vega;
    this.varBoundPer = per.varBound;
  }
}

/**
 * FIFO of reservations by expiry; valid because each queue has one constant TTL. Entries that are
 * no longer current (released, or acked and moved to the other queue) are skipped lazily; the
 * queue compacts itself when they outnumber the live ones, so a long-lived order at the head
 * (a resting order acked hours ago) cannot make finished orders pile up behind it.
 */
class ExpiryQueue {
  private items: Reservation[] = [];
  private head = 0;
  private liveCount = 0;

  constructor(private readonly isCurrent: (r: Reservation) => boolean) {}

  /** Live entries in queue order (for snapshots). */
  live(): Reservation[] {
    return this.items.slice(this.head).filter((r) => r.active && this.isCurrent(r));
  }

  push(r: Reservation): void {
    this.items.push(r);
    this.liveCount++;
    if (this.items.length - this.head > 2 * this.liveCount + 1024) {
      this.items = this.items.slice(this.head).filter((x) => x.active && this.isCurrent(x));
      this.head = 0;
    }
  }

  /** Entries held, live or not yet skipped (memory gauge). */
  get held(): number {
    return this.items.length - this.head;
  }

  /** One of this queue's entries stopped being current (released or moved). */
  retire(): void {
    this.liveCount--;
  }

  /** Pops every reservation whose (current) expiry is due; skips entries that moved on. */
  popDue(now: number, out: Reservation[]): void {
    while (this.head < this.items.length) {
      const r = this.items[this.head]!;
      const current = r.active && this.isCurrent(r);
      if (current && r.expiresAt > now) break;
      this.head++;
      if (current) out.push(r);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

function isPending(r: Reservation): boolean {
  return !r.acked;
}

function isAcked(r: Reservation): boolean {
  return r.acked;
}

export class ReservationBook {
  private readonly byAccount: Map<string, Reservation>[];
  private readonly pending = new ExpiryQueue(isPending);
  private readonly open = new ExpiryQueue(isAcked);
  private readonly due: Reservation[] = [];
  private count = 0;

  constructor(accountCount: number) {
    this.byAccount = Array.from({ length: accountCount }, () => new Map<string, Reservation>());
  }

  get size(): number {
    return this.count;
  }

  get(account: number, clOrdId: string): Reservation | undefined {
    return this.byAccount[account]!.get(clOrdId);
  }

  add(r: Reservation): void {
    this.byAccount[r.account]!.set(r.clOrdId, r);
    this.pending.push(r);
    this.count++;
  }

  /** The venue accepted the order: from now on the longer open-order TTL applies. */
  ack(r: Reservation, expiresAt: number): void {
    if (r.acked || !r.active) return;
    r.acked = true;
    r.expiresAt = expiresAt;
    this.pending.retire();
    this.open.push(r);
  }

  remove(r: Reservation): void {
    if (!r.active) return;
    r.active = false;
    (r.acked ? this.open : this.pending).retire();
    this.byAccount[r.account]!.delete(r.clOrdId);
    this.count--;
  }

  /** Reservations whose TTL has passed at `now`, oldest first (caller releases them). */
  expired(now: number): readonly Reservation[] {
    this.due.length = 0;
    this.pending.popDue(now, this.due);
    this.open.popDue(now, this.due);
    return this.due;
  }

  /** Entries held by the two expiry queues (bounded by the live reservations, not by history). */
  queuedEntries(): number {
    return this.pending.held + this.open.held;
  }

  /** Queue orders, so a restored book expires reservations in exactly the same order. */
  queues(): { pending: Reservation[]; open: Reservation[] } {
    return { pending: this.pending.live(), open: this.open.live() };
  }

  /** Rebuilds from a snapshot: reservations in `all()` order, then both queues. */
  restore(all: readonly Reservation[], pending: readonly Reservation[], open: readonly Reservation[]): void {
    for (const r of all) {
      this.byAccount[r.account]!.set(r.clOrdId, r);
      this.count++;
    }
    for (const r of pending) this.pending.push(r);
    for (const r of open) this.open.push(r);
  }

  /** Every open reservation in a deterministic order (account, then insertion). */
  *all(): IterableIterator<Reservation> {
    for (const m of this.byAccount) yield* m.values();
  }
}

/** Sliding-window counter of approved orders (RTS 6 Art. 15(1)(d) message limits). */
export class RateWindow {
  private buf = new Float64Array(16);
  private head = 0;
  private size = 0;

  count(now: number, windowMs: number): number {
    const cutoff = now - windowMs;
    while (this.size > 0 && this.buf[this.head]! <= cutoff) {
      this.head = (this.head + 1) % this.buf.length;
      this.size--;
    }
    return this.size;
  }

  push(ts: number): void {
    if (this.size === this.buf.length) {
      const grown = new Float64Array(this.buf.length * 2);
      for (let k = 0; k < this.size; k++) grown[k] = this.buf[(this.head + k) % this.buf.length]!;
      this.buf = grown;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = ts;
    this.size++;
  }

  snapshot(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.size; k++) out.push(this.buf[(this.head + k) % this.buf.length]!);
    return out;
  }

  static restore(values: readonly number[]): RateWindow {
    const w = new RateWindow();
    for (const v of values) w.push(v);
    return w;
  }
}
