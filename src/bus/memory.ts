/**
 * The in-memory bus of the embedded default: one ordered log per topic, read by cursor. It keeps
 * Kafka's semantics that matter to the engine (keyed records, per-topic order, offsets as strings)
 * without a broker. Delivery is bounded per call so a burst of market data cannot starve checks.
 */
import type { Bus, BusRecord, Topic } from './types.js';

interface Log {
  records: BusRecord[];
  /** Offset of records[0]. */
  base: number;
  next: number;
}

export class InMemoryBus implements Bus {
  private readonly logs = new Map<Topic, Log>();
  private readonly cursors = new Map<string, number>();
  /** Records kept behind the slowest cursor before trimming (a retention window, like Kafka's). */
  private readonly retain: number;
  private waiter: (() => void) | null = null;

  constructor(retain = 100_000) {
    this.retain = retain;
  }

  publish(topic: Topic, key: string, value: unknown): void {
    const log = this.log(topic);
    log.records.push({ topic, key, value, offset: String(log.next) });
    log.next++;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  /** Up to `max` records of `topic` after the group's cursor, advancing it. */
  poll(group: string, topic: Topic, max: number, out: BusRecord[]): number {
    const log = this.log(topic);
    const id = `${group}\u0000${topic}`;
    const cursor = this.cursors.get(id) ?? log.base;
    let k = Math.max(cursor, log.base);
    let n = 0;
    while (n < max && k < log.next) {
      out.push(log.records[k - log.base]!);
      k++;
      n++;
    }
    this.cursors.set(id, k);
    this.trim(topic, log);
    return n;
  }

  /** Records waiting for a group on a topic. */
  lag(group: string, topic: Topic): number {
    const log = this.log(topic);
    return log.next - Math.max(this.cursors.get(`${group}\u0000${topic}`) ?? log.base, log.base);
  }

  /** Resolves on the next publish (one waiter: the single consumer loop). */
  whenPublished(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private log(topic: Topic): Log {
    let log = this.logs.get(topic);
    if (log === undefined) {
      log = { records: [], base: 0, next: 0 };
      this.logs.set(topic, log);
    }
    return log;
  }

  private trim(topic: Topic, log: Log): void {
    if (log.records.length < this.retain * 2) return;
    let slowest = log.next;
    for (const [id, cursor] of this.cursors) if (id.endsWith(`\u0000${topic}`) && cursor < slowest) slowest = cursor;
    const keepFrom = Math.max(log.base, Math.min(slowest, log.next - this.retain));
    const drop = keepFrom - log.base;
    if (drop <= 0) return;
    log.records.splice(0, drop);
    log.base = keepFrom;
  }
}
