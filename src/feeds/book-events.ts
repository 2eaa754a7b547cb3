/**
 * `book` and `quote` events, for every venue: from a synchronized L2Book (the sync of each venue
 * that keeps one) or from a venue's own top levels (OKX `books5`/`bbo-tbt`). A book event is a full
 * replacement of the top `depth` levels per side; its level tuples are the book's own immutable
 * tuples, so only the two outer arrays are allocated. The quote is the book's best level on each
 * side, so a quote never contradicts the book it came with.
 */
import type { Venue } from '../portfolio/instruments.js';
import type { BookEvent, Level, QuoteEvent } from '../risk/events.js';
import type { L2Book } from './book.js';
import type { Emit } from './types.js';

/** A quote from the best level of each side; an absent level is an empty side (null). */
export function quoteOfLevels(venue: Venue, instrument: string, exchTs: number, recvTs: number, bid: Level | undefined, ask: Level | undefined): QuoteEvent {
  return {
    type: 'quote',
    venue,
    instrument,
    exchTs,
    recvTs,
    bid: bid === undefined ? null : bid[0],
    bidSize: bid === undefined ? null : bid[1],
    ask: ask === undefined ? null : ask[0],
    askSize: ask === undefined ? null : ask[1],
  };
}

/**
 * The `book` event of a synchronized book (its top `depth` levels per side) followed by its
 * `quote`: what every sync emits per applied message.
 */
export function emitBookAndQuote(
  sink: { emit: Emit },
  venue: Venue,
  instrument: string,
  book: L2Book,
  depth: number,
  exchTs: number,
  recvTs: number,
  seq: string | undefined,
): void {
  const bids: Level[] = [];
  const asks: Level[] = [];
  book.top('bid', depth, bids);
  book.top('ask', depth, asks);
  const event: BookEvent = { type: 'book', venue, instrument, exchTs, recvTs, bids, asks, seq };
  sink.emit(event);
  sink.emit(quoteOfLevels(venue, instrument, exchTs, recvTs, book.bestBid(), book.bestAsk()));
}
