/**
 * OKX v5 public WebSocket protocol (one instance per connection): subscriptions, the text
 * `ping`/`pong` keepalive, acks, error frames, the service-upgrade notice, and per-instrument book
 * resync by resubscribing the instrument's book channel (OKX has no REST snapshot with seqId; a
 * fresh subscription starts with a `snapshot`).
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { ProtocolIO, VenueProtocol, VenueProtocolOptions } from '../types.js';
import { OkxBookSync } from './book-sync.js';
import type { BookRebuilder } from '../sequenced-book-sync.js';
import { type OkxBookUpdate, OkxParser } from './parser.js';
import { ResyncBudget } from '../resync-budget.js';

export const OKX_PUBLIC_PATH = '/ws/v5/public';
/** OKX cuts a connection silent for 30 s; the keepalive goes well inside that. */
export const OKX_KEEPALIVE_MS = 20_000;
/** The depth channel Keel subscribes (400 levels, 100 ms, no VIP tier needed). */
export const OKX_BOOK_CHANNEL = 'books';
/** Args per subscribe request, far below OKX's 64 KB request limit. */
const ARGS_PER_REQUEST = 100;
/** `event: notice` code announcing a disconnect for a service upgrade (sent ~30 s ahead). */
const SERVICE_UPGRADE_NOTICE = '64008';
/**
 * Resyncs by resubscribing: at most 3 per instrument per minute and 150 per connection (300
 * requests, well under OKX's 480 per hour); beyond that the protocol asks for a reconnect.
 */
const RESYNCS_PER_INSTRUMENT = 3;
const RESYNC_WINDOW_MS = 60_000;
const RESYNCS_PER_CONNECTION = 150;

interface SubscriptionArg {
  channel: string;
  instId: string;
}

/** The channels Keel needs per instrument kind. */
export function okxChannelsFor(instrument: Instrument): string[] {
  switch (instrument.kind) {
    case 'spot':
      return [OKX_BOOK_CHANNEL, 'trades'];
    case 'perpetual':
      return [OKX_BOOK_CHANNEL, 'trades', 'mark-price', 'funding-rate'];
    case 'future':
    case 'option':
      return [OKX_BOOK_CHANNEL, 'trades', 'mark-price'];
  }
}

function subscriptionFrame(op: 'subscribe' | 'unsubscribe', args: readonly SubscriptionArg[]): string {
  return JSON.stringify({ op, args });
}

export class OkxProtocol implements VenueProtocol, BookRebuilder<OkxBookUpdate> {
  readonly feed = 'okx' as const;
  readonly venue = 'okx' as const;
  readonly keepalive = { intervalMs: OKX_KEEPALIVE_MS, message: (): string => 'ping' };
  readonly parser: OkxParser;
  readonly books: OkxBookSync;
  private readonly resyncs = new ResyncBudget(RESYNCS_PER_INSTRUMENT, RESYNC_WINDOW_MS, RESYNCS_PER_CONNECTION);

  constructor(options: VenueProtocolOptions) {
    this.parser = new OkxParser({ registry: options.registry, bookDepth: options.bookDepth });
    this.books = new OkxBookSync(options.bookDepth);
  }

  path(): string {
    return OKX_PUBLIC_PATH;
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    const args: SubscriptionArg[] = [];
    for (const instrument of instruments) {
      if (instrument.feed !== 'okx') continue;
      for (const channel of okxChannelsFor(instrument)) args.push({ channel, instId: instrument.spec.venueSymbol });
    }
    const frames: string[] = [];
    for (let i = 0; i < args.length; i += ARGS_PER_REQUEST) frames.push(subscriptionFrame('subscribe', args.slice(i, i + ARGS_PER_REQUEST)));
    return frames;
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    const frame = this.parser.parse(raw, recvTs);
    switch (frame.kind) {
      case 'data': {
        const events = frame.events;
        for (let i = 0; i < events.length; i++) io.emit(events[i]!);
        const books = frame.books;
        for (let i = 0; i < books.length; i++) this.books.handle(books[i]!, raw, io, this);
        return;
      }
      case 'control':
        // A server-side text `ping` is not documented; answering it costs nothing.
        if (frame.control === 'ping') io.send('pong');
        return;
      case 'notice':
        if (frame.code === SERVICE_UPGRADE_NOTICE) io.reconnect(`okx notice ${frame.code}: ${frame.message}`);
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
    this.resyncs.reset();
  }

  /** A fresh subscription starts with a snapshot: the only way OKX rebuilds one book. */
  rebuildBook(update: OkxBookUpdate, io: ProtocolIO): void {
    const { channel, instId } = update;
    const args = [{ channel, instId }];
    const frames = [subscriptionFrame('unsubscribe', args), subscriptionFrame('subscribe', args)];
    this.resyncs.resubscribe(instId, update.recvTs, frames, `okx: resync budget spent (${instId}: ${this.books.lastDetail})`, io);
  }
}
