/**
 * `book` and `quote` events from a synchronized L2Book (venue-neutral; Kraken and Coinbase share
 * it). A book event is a full replacement of the top `depth` levels per side; its level tuples are
 * the book's own immutable tuples, so only the two outer arrays are allocated.
 */
import type { Venue } from '../../portfolio/instruments.js';
import type { BookEvent, Level, QuoteEvent } from '../../risk/events.js';
import type { L2Book } from '../book.js';

export function bookEventOf(
  venue: Venue,
  instrument: string,
  book: L2Book,
  depth: number,
  exchTs: number,
  recvTs: number,
  seq: string | undefined,
): BookEvent {
  const bids: Level[] = [];
  const asks: Level[] = [];
  book.top('bid', depth, bids);
  book.top('ask', depth, asks);
  return { type: 'book', venue, instrument, exchTs, recvTs, bids, asks, seq };
}

export function quoteEventOf(venue: Venue, instrument: string, book: L2Book, exchTs: number, recvTs: number): QuoteEvent {
  const bid = book.bestBid();
  const ask = book.bestAsk();
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
