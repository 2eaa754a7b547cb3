/**
 * Bybit v5 public WebSocket protocol for one category connection (`/v5/public/<category>`):
 * subscriptions (at most 10 topics per request, the spot limit, used everywhere), the JSON
 * `{"op":"ping"}` keepalive every 20 s, pongs and acks in each category's shape, failed acks as
 * venue errors, and per-topic book resync by unsubscribing and resubscribing the orderbook topic
 * (a fresh subscription starts with a snapshot; Bybit refuses a duplicate subscribe, hence the
 * unsubscribe first).
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { ProtocolIO, VenueProtocol, VenueProtocolOptions } from '../types.js';
import { BybitBookSync } from './book-sync.js';
import { ResyncBudget } from '../resync-budget.js';
import type { BookRebuilder } from '../sequenced-book-sync.js';
import { type BybitBookUpdate, BybitParser } from './parser.js';
import { BYBIT_FEED, type BybitCategory } from './symbols.js';

/** Bybit's recommended ping interval (idle connections are cut). */
export const BYBIT_KEEPALIVE_MS = 20_000;
const PING = '{"req_id":"keel-ping","op":"ping"}';
/** Topics per subscribe request: the spot limit. */
const TOPICS_PER_REQUEST = 10;
/** Resyncs by resubscribing before asking for a reconnect (see ResyncBudget). */
const RESYNCS_PER_TOPIC = 3;
const RESYNC_WINDOW_MS = 60_000;
const RESYNCS_PER_CONNECTION = 150;
/** Orderbook depths Keel may subscribe, shallowest first (level 1 is snapshot-only, not used). */
const BOOK_DEPTHS: Readonly<Record<BybitCategory, readonly number[]>> = {
  spot: [50, 200, 1000],
  linear: [50, 200, 1000],
  inverse: [50, 200, 1000],
  option: [25, 100],
};

export function bybitPath(category: BybitCategory): string {
  return `/v5/public/${category}`;
}

/** The shallowest orderbook depth that covers `bookDepth` levels (the deepest if none does). */
export function bybitBookDepth(category: BybitCategory, bookDepth: number): number {
  const depths = BOOK_DEPTHS[category];
  for (const depth of depths) if (depth >= bookDepth) return depth;
  return depths[depths.length - 1]!;
}

/** Topics Keel subscribes for one instrument. */
export function bybitTopicsFor(category: BybitCategory, instrument: Instrument, bookDepth: number): string[] {
  const symbol = instrument.spec.venueSymbol;
  const book = `orderbook.${bybitBookDepth(category, bookDepth)}.${symbol}`;
  switch (category) {
    case 'spot':
      // Spot tickers carry no bid/ask or mark: nothing to subscribe them for.
      return [book, `publicTrade.${symbol}`];
    case 'linear':
    case 'inverse':
      return [book, `publicTrade.${symbol}`, `tickers.${symbol}`];
    case 'option':
      // Option trades are published per base coin.
      return [book, `publicTrade.${instrument.spec.base}`, `tickers.${symbol}`];
  }
}

export class BybitProtocol implements VenueProtocol, BookRebuilder<BybitBookUpdate> {
  readonly feed;
  readonly venue = 'bybit' as const;
  readonly category: BybitCategory;
  readonly keepalive = { intervalMs: BYBIT_KEEPALIVE_MS, message: (): string => PING };
  readonly parser: BybitParser;
  readonly books: BybitBookSync;
  private readonly bookDepth: number;
  private readonly resyncs = new ResyncBudget(RESYNCS_PER_TOPIC, RESYNC_WINDOW_MS, RESYNCS_PER_CONNECTION);

  constructor(category: BybitCategory, options: VenueProtocolOptions) {
    this.category = category;
    this.feed = BYBIT_FEED[category];
    this.bookDepth = options.bookDepth;
    // The book (20 ms) owns the quote; tickers still give mark, index and funding.
    this.parser = new BybitParser({ registry: options.registry, category, quotesFromTickers: false });
    this.books = new BybitBookSync(options.bookDepth);
  }

  path(): string {
    return bybitPath(this.category);
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    const topics: string[] = [];
    const seen = new Set<string>();
    for (const instrument of instruments) {
      if (instrument.feed !== this.feed) continue;
      for (const topic of bybitTopicsFor(this.category, instrument, this.bookDepth)) {
        if (seen.has(topic)) continue;
        seen.add(topic);
        topics.push(topic);
      }
    }
    const frames: string[] = [];
    for (let i = 0; i < topics.length; i += TOPICS_PER_REQUEST) {
      frames.push(JSON.stringify({ req_id: `sub-${i / TOPICS_PER_REQUEST + 1}`, op: 'subscribe', args: topics.slice(i, i + TOPICS_PER_REQUEST) }));
    }
    return frames;
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    const frame = this.parser.parse(raw, recvTs);
    switch (frame.kind) {
      case 'data': {
        const events = frame.events;
        for (let i = 0; i < events.length; i++) io.emit(events[i]!);
        if (frame.book !== undefined) this.books.handle(frame.book, raw, io, this);
        return;
      }
      case 'control':
        return;
      case 'venue_error':
        io.deadLetter('venue_error', frame.detail, raw);
        return;
      case 'dead':
        io.deadLetter(frame.reason, frame.detail, raw);
        return;
    }
  }

  reset(): void {
    this.books.reset();
    this.parser.reset();
    this.resyncs.reset();
  }

  /** A fresh subscription starts with a snapshot (Bybit refuses a duplicate subscribe, hence the unsubscribe). */
  rebuildBook(update: BybitBookUpdate, io: ProtocolIO): void {
    const topic = update.topic;
    const request = (op: 'unsubscribe' | 'subscribe'): string => JSON.stringify({ req_id: `resync-${topic}`, op, args: [topic] });
    const frames = [request('unsubscribe'), request('subscribe')];
    this.resyncs.resubscribe(topic, update.recvTs, frames, `${this.feed}: resync budget spent (${topic}: ${this.books.lastDetail})`, io);
  }
}
