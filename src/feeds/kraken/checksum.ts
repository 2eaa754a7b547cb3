/**
 * Kraken v2 book checksum (docs.kraken.com guides/spot-ws-book-v2): CRC32 (IEEE, as zlib) of the
 * top 10 asks (price ascending) then the top 10 bids (price descending), each level written as
 * price then qty, every number at the pair's full precision with the '.' removed and leading zeros
 * stripped; compared as an unsigned 32-bit integer. Always the top 10, whatever the depth.
 *
 * v2 sends JSON numbers, so `0.5660` arrives as `0.566`: each value is re-padded to the precision
 * first. A value with more (non-zero) decimals than the precision cannot be formatted the way
 * Kraken does; it is used as received and the comparison fails, which is the right outcome.
 *
 * Hot path: the CRC runs on every update, so `krakenChecksum` feeds the characters straight into a
 * table-driven CRC32 (padding, '.' removal and leading-zero stripping done on the fly) instead of
 * building the string; `checksumString` builds the documented string (tests check both agree with
 * zlib on the guide's vectors).
 */
import { crc32 } from 'node:zlib';
import type { Level } from '../../risk/events.js';
import type { BookSide, L2Book } from '../book.js';
import { CRC32_START, crc32Step } from '../crc32.js';
import { padDecimal, stripForChecksum } from '../decimal.js';
import type { KrakenPrecision } from './symbols.js';

export const CHECKSUM_LEVELS = 10;


/**
 * Feeds one decimal into a running CRC as Kraken formats it for the checksum: padded (or trimmed
 * of zeros) to `decimals`, without '.', without leading zeros.
 */
function crcValue(crc: number, text: string, decimals: number): number {
  const n = text.length;
  const dot = text.indexOf('.');
  const frac = dot < 0 ? 0 : n - dot - 1;
  let end = n;
  let pad = 0;
  if (frac < decimals) {
    pad = decimals - frac;
  } else if (frac > decimals) {
    const cut = n - (frac - decimals);
    let zeros = true;
    for (let k = cut; k < n; k++) {
      if (text.charCodeAt(k) !== 48) {
        zeros = false;
        break;
      }
    }
    if (zeros) end = cut;
  }
  let started = false;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) continue;
    if (!started) {
      if (c === 48 /* 0 */) continue;
      started = true;
    }
    crc = crc32Step(crc, c);
  }
  // Padding zeros after a value that is all zeros would be leading zeros too: stripped.
  if (started) for (let i = 0; i < pad; i++) crc = crc32Step(crc, 48);
  return crc;
}

function crcSide(crc: number, book: L2Book, side: BookSide, precision: KrakenPrecision): number {
  for (let i = 0; i < CHECKSUM_LEVELS; i++) {
    const level = book.at(side, i);
    if (level === undefined) break;
    crc = crcValue(crc, level[0], precision.price);
    crc = crcValue(crc, level[1], precision.qty);
  }
  return crc;
}

function appendLevel(out: string, level: Level, precision: KrakenPrecision): string {
  const price = padDecimal(level[0], precision.price) ?? level[0];
  const qty = padDecimal(level[1], precision.qty) ?? level[1];
  return out + stripForChecksum(price) + stripForChecksum(qty);
}

/** The documented checksum input string of a book (the reference form; tests compare against it). */
export function checksumString(book: L2Book, precision: KrakenPrecision): string {
  let s = '';
  s = appendSide(s, book, 'ask', precision);
  return appendSide(s, book, 'bid', precision);
}

function appendSide(s: string, book: L2Book, side: BookSide, precision: KrakenPrecision): string {
  for (let i = 0; i < CHECKSUM_LEVELS; i++) {
    const level = book.at(side, i);
    if (level === undefined) break;
    s = appendLevel(s, level, precision);
  }
  return s;
}

/** Unsigned CRC32 of the book's top 10 levels (no string is built). */
export function krakenChecksum(book: L2Book, precision: KrakenPrecision): number {
  let crc = CRC32_START;
  crc = crcSide(crc, book, 'ask', precision);
  crc = crcSide(crc, book, 'bid', precision);
  return (crc ^ -1) >>> 0;
}

/** Checksum of explicit level lists (asks ascending, bids descending), e.g. the guide's test vector. */
export function krakenChecksumOfLevels(asks: readonly Level[], bids: readonly Level[], precision: KrakenPrecision): number {
  let crc = CRC32_START;
  for (let i = 0; i < asks.length && i < CHECKSUM_LEVELS; i++) crc = crcValue(crcValue(crc, asks[i]![0], precision.price), asks[i]![1], precision.qty);
  for (let i = 0; i < bids.length && i < CHECKSUM_LEVELS; i++) crc = crcValue(crcValue(crc, bids[i]![0], precision.price), bids[i]![1], precision.qty);
  return (crc ^ -1) >>> 0;
}

/** zlib's CRC32 of the documented checksum string: the reference the fast path is tested against. */
export function krakenChecksumReference(book: L2Book, precision: KrakenPrecision): number {
  return crc32(checksumString(book, precision)) >>> 0;
}

/** Largest precision tried when discovering one: bounds discovery to at most 13 x 13 CRCs. */
const MAX_DISCOVERED_DECIMALS = 12;

/**
 * Finds the (price, qty) precision under which a book's top 10 matches `expected`, for pairs whose
 * precision is not configured. Only precisions at least as large as the decimals already seen are
 * candidates; the answer is accepted only when exactly one pair matches (a false match has odds of
 * ~169 / 2^32 per snapshot). Undefined when none or several match.
 */
export function discoverPrecision(book: L2Book, expected: number): KrakenPrecision | undefined {
  let minPrice = 0;
  let minQty = 0;
  for (const side of ['ask', 'bid'] as const) {
    for (let i = 0; i < CHECKSUM_LEVELS; i++) {
      const level = book.at(side, i);
      if (level === undefined) break;
      minPrice = Math.max(minPrice, fractionLength(level[0]));
      minQty = Math.max(minQty, fractionLength(level[1]));
    }
  }
  let found: KrakenPrecision | undefined;
  for (let price = minPrice; price <= MAX_DISCOVERED_DECIMALS; price++) {
    for (let qty = minQty; qty <= MAX_DISCOVERED_DECIMALS; qty++) {
      const candidate = { price, qty };
      if (krakenChecksum(book, candidate) !== expected) continue;
      if (found !== undefined) return undefined;
      found = candidate;
    }
  }
  return found;
}

/** Fraction digits ignoring trailing zeros ("0.5660" -> 3): the least precision the value needs. */
function fractionLength(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return 0;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}
