/**
 * A ProtocolIO that records everything a venue protocol does while handling frames: events, frames
 * sent, dead letters, snapshot requests and reconnect requests. Shared by the venue tests.
 */
import type { DeadLetterReason, ProtocolIO } from '../../../../src/feeds/types.js';
import type { Instrument } from '../../../../src/portfolio/instruments.js';
import type { BookEvent, MarketEvent, StatusEvent } from '../../../../src/risk/events.js';

export interface Letter {
  reason: DeadLetterReason;
  detail: string;
  raw: string;
}

export interface RecorderOptions {
  /**
   * Fail the test (throw) when the protocol asks for a REST snapshot or a reconnect: for venues
   * that must never do so in the scenario under test. The message says why.
   */
  forbidSnapshots?: string;
  forbidReconnects?: string;
}

export class Recorder implements ProtocolIO {
  events: MarketEvent[] = [];
  sent: string[] = [];
  letters: Letter[] = [];
  /** Instrument ids of the REST snapshots asked for. */
  snapshots: string[] = [];
  reconnects: string[] = [];

  constructor(private readonly options: RecorderOptions = {}) {}

  readonly emit = (event: MarketEvent): void => {
    this.events.push(event);
  };
  /** Replaceable: a test may route what the protocol sends to a simulator venue. */
  send = (text: string): void => {
    this.sent.push(text);
  };
  readonly deadLetter = (reason: DeadLetterReason, detail: string, raw: string): void => {
    this.letters.push({ reason, detail, raw });
  };
  /** Replaceable: a test may answer snapshot requests as the session would. */
  requestSnapshot = (instrument: Instrument): void => {
    if (this.options.forbidSnapshots !== undefined) throw new Error(this.options.forbidSnapshots);
    this.snapshots.push(instrument.id);
  };
  readonly reconnect = (reason: string): void => {
    if (this.options.forbidReconnects !== undefined) throw new Error(this.options.forbidReconnects);
    this.reconnects.push(reason);
  };

  /** Dead letters without the frame they carry: what most assertions compare. */
  get dead(): { reason: DeadLetterReason; detail: string }[] {
    return this.letters.map(({ reason, detail }) => ({ reason, detail }));
  }

  /** The reason of each dead letter, in order. */
  reasons(): DeadLetterReason[] {
    return this.letters.map((l) => l.reason);
  }

  /** The frames sent, parsed (requests are JSON at every venue but OKX's text ping). */
  sentJson(): unknown[] {
    return this.sent.map((text) => JSON.parse(text) as unknown);
  }

  clear(): void {
    this.events = [];
    this.sent = [];
    this.letters = [];
    this.snapshots = [];
    this.reconnects = [];
  }

  /** Everything observable, for comparing two protocols' outputs. */
  transcript(): unknown {
    return { events: this.events, letters: this.letters, snapshots: this.snapshots, reconnects: this.reconnects };
  }

  ofType<T extends MarketEvent['type']>(type: T): Extract<MarketEvent, { type: T }>[] {
    return ofType(this.events, type);
  }

  books(instrument: string): BookEvent[] {
    return booksOf(this.events, instrument);
  }

  /** Every status event as `[instrument, status]`, in order. */
  statusPairs(): [string, string][] {
    return this.ofType('status').map((e) => [e.instrument, e.status]);
  }

  /** Every status event as `{ instrument, status }`, in order. */
  statuses(): { instrument: string; status: string }[] {
    return this.ofType('status').map((e) => ({ instrument: e.instrument, status: e.status }));
  }
}

export function ofType<T extends MarketEvent['type']>(events: readonly MarketEvent[], type: T): Extract<MarketEvent, { type: T }>[] {
  return events.filter((e): e is Extract<MarketEvent, { type: T }> => e.type === type);
}

export function booksOf(events: readonly MarketEvent[], instrument: string): BookEvent[] {
  return events.filter((e): e is BookEvent => e.type === 'book' && e.instrument === instrument);
}

/** The status events of one instrument (from `from` on), in order. */
export function statusEventsOf(events: readonly MarketEvent[], instrument: string, from = 0): StatusEvent[] {
  return events.slice(from).filter((e): e is StatusEvent => e.type === 'status' && e.instrument === instrument);
}

/** The statuses of one instrument (of every instrument when none is named), in order. */
export function statusesOf(events: readonly MarketEvent[], instrument?: string): string[] {
  return events.filter((e): e is StatusEvent => e.type === 'status' && (instrument === undefined || e.instrument === instrument)).map((e) => e.status);
}
