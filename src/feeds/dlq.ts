/**
 * Dead-letter sinks for refused frames. Nothing is lost: every letter is counted per feed and
 * reason, logged (rate limited, so a garbage storm cannot flood the log), and forwarded to the
 * next sink (the bus `keel.dlq` topic when wired).
 */
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import type { FeedId } from '../portfolio/instruments.js';
import type { DeadLetter, DeadLetterReason, DeadLetterSink } from './types.js';
import { DEAD_LETTERS_METRIC, counterIn } from './metrics.js';

/** Frames kept in a letter are cut to this many characters (the contract says 64 KiB). */
export const MAX_RAW_CHARS = 64 * 1024;
/** How much of the raw frame goes into a log line. */
const LOG_RAW_CHARS = 256;

export function truncateRaw(raw: string): string {
  return raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw;
}

export function makeDeadLetter(feed: FeedId, reason: DeadLetterReason, detail: string, raw: string, recvTs: number): DeadLetter {
  return { feed, reason, detail, raw: truncateRaw(raw), recvTs };
}

export interface CountingDeadLetterSinkOptions {
  logger: Logger;
  /** When given, letters are counted in `keel_feed_dead_letters_total{feed,reason}`. */
  registry?: Registry | undefined;
  /** Next sink (bus DLQ topic, memory sink). Its failures are logged, never thrown. */
  forward?: DeadLetterSink | undefined;
  /** At most one warn line per feed+reason per interval (ms); the rest are summarised. Default 10 000. */
  logIntervalMs?: number | undefined;
  now?: (() => number) | undefined;
}

interface ReasonCount {
  count: number;
  lastLogAt: number;
  suppressed: number;
}

export interface DeadLetterCount {
  feed: FeedId;
  reason: DeadLetterReason;
  count: number;
}

export class CountingDeadLetterSink implements DeadLetterSink {
  private readonly counts = new Map<FeedId, Map<DeadLetterReason, ReasonCount>>();
  private readonly metric: Counter<'feed' | 'reason'> | undefined;
  private readonly logger: Logger;
  private readonly forward: DeadLetterSink | undefined;
  private readonly logIntervalMs: number;
  private readonly now: () => number;
  private totalCount = 0;

  constructor(options: CountingDeadLetterSinkOptions) {
    this.logger = options.logger;
    this.forward = options.forward;
    this.logIntervalMs = options.logIntervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.metric =
      options.registry === undefined
        ? undefined
        : counterIn(options.registry, DEAD_LETTERS_METRIC, 'Frames refused by feed adapters, per feed and reason', ['feed', 'reason']);
  }

  put(letter: DeadLetter): void {
    this.totalCount++;
    let byReason = this.counts.get(letter.feed);
    if (byReason === undefined) {
      byReason = new Map();
      this.counts.set(letter.feed, byReason);
    }
    let entry = byReason.get(letter.reason);
    if (entry === undefined) {
      entry = { count: 0, lastLogAt: Number.NEGATIVE_INFINITY, suppressed: 0 };
      byReason.set(letter.reason, entry);
    }
    entry.count++;
    this.metric?.labels(letter.feed, letter.reason).inc();
    const t = this.now();
    if (t - entry.lastLogAt >= this.logIntervalMs) {
      this.logger.warn(
        {
          feed: letter.feed,
          reason: letter.reason,
          detail: letter.detail,
          raw: letter.raw.length > LOG_RAW_CHARS ? `${letter.raw.slice(0, LOG_RAW_CHARS)}…` : letter.raw,
          suppressedSinceLastLog: entry.suppressed,
          total: entry.count,
        },
        'feed frame refused',
      );
      entry.lastLogAt = t;
      entry.suppressed = 0;
    } else {
      entry.suppressed++;
    }
    if (this.forward !== undefined) {
      try {
        this.forward.put(letter);
      } catch (e) {
        this.logger.error({ err: e, feed: letter.feed, reason: letter.reason }, 'dead-letter forward failed');
      }
    }
  }

  count(feed: FeedId, reason?: DeadLetterReason): number {
    const byReason = this.counts.get(feed);
    if (byReason === undefined) return 0;
    if (reason !== undefined) return byReason.get(reason)?.count ?? 0;
    let sum = 0;
    for (const e of byReason.values()) sum += e.count;
    return sum;
  }

  get total(): number {
    return this.totalCount;
  }

  /** Every (feed, reason) seen, sorted by feed then reason: deterministic for reports and tests. */
  snapshot(): DeadLetterCount[] {
    const out: DeadLetterCount[] = [];
    for (const [feed, byReason] of this.counts) for (const [reason, e] of byReason) out.push({ feed, reason, count: e.count });
    return out.sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }
}

/** Keeps the last `capacity` letters in a ring (tests, `keel parse`). */
export class MemoryDeadLetterSink implements DeadLetterSink {
  private readonly ring: (DeadLetter | undefined)[];
  private next = 0;
  private stored = 0;
  private overwritten = 0;

  constructor(readonly capacity = 1_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<DeadLetter | undefined>(capacity);
  }

  put(letter: DeadLetter): void {
    if (this.stored === this.capacity) this.overwritten++;
    else this.stored++;
    this.ring[this.next] = letter;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  letters(): DeadLetter[] {
    const out: DeadLetter[] = [];
    const start = (this.next - this.stored + this.capacity) % this.capacity;
    for (let i = 0; i < this.stored; i++) out.push(this.ring[(start + i) % this.capacity]!);
    return out;
  }

  get size(): number {
    return this.stored;
  }

  /** Letters pushed out of the ring by newer ones. */
  get dropped(): number {
    return this.overwritten;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
    this.stored = 0;
    this.overwritten = 0;
  }
}
