/**
 * OKX's legacy order-book checksum (what 2022-era `books` frames carry; current docs fix the field
 * to 0 and rely on seqId/prevSeqId). Rule, verified in test/unit/feeds/okx-checksum.test.ts against
 * both documented vectors:
 *   take the top 25 bids (descending) and top 25 asks (ascending) of the local book, write
 *   `bid1px:bid1sz:ask1px:ask1sz:bid2px:...` with the EXACT strings the venue sent (no
 *   normalisation), skip the missing entries of the shorter side, CRC32 (IEEE, as zlib) the ASCII
 *   text and read it as a signed 32-bit integer.
 */
import type { L2Book } from '../book.js';
import { CRC32_START, crc32Step } from '../crc32.js';

export const OKX_CHECKSUM_DEPTH = 25;

/** CRC32 of a string's UTF-16 code units taken as bytes (exact for ASCII), as a signed int32. */
export function crc32Signed(text: string): number {
  let crc = CRC32_START;
  for (let i = 0; i < text.length; i++) crc = crc32Step(crc, text.charCodeAt(i));
  return ~crc | 0;
}

/** One price level as the venue spelled it: [price, size]. */
export type RawLevelText = readonly [price: string, size: string];

/** The checksum input string (exposed for tests and diagnostics). */
export function okxChecksumString(bids: readonly RawLevelText[], asks: readonly RawLevelText[]): string {
  const n = Math.min(OKX_CHECKSUM_DEPTH, Math.max(bids.length, asks.length));
  let out = '';
  for (let i = 0; i < n; i++) {
    const bid = bids[i];
    if (bid !== undefined) out += (out.length > 0 ? ':' : '') + bid[0] + ':' + bid[1];
    const ask = asks[i];
    if (ask !== undefined) out += (out.length > 0 ? ':' : '') + ask[0] + ':' + ask[1];
  }
  return out;
}

/** The legacy OKX checksum of the top 25 levels per side (bids descending, asks ascending). */
export function okxChecksum(bids: readonly RawLevelText[], asks: readonly RawLevelText[]): number {
  return crc32Signed(okxChecksumString(bids, asks));
}

/** The legacy checksum of a local book, read level by level (no intermediate arrays). */
export function okxBookChecksum(book: L2Book): number {
  let out = '';
  for (let i = 0; i < OKX_CHECKSUM_DEPTH; i++) {
    const bid = book.at('bid', i);
    const ask = book.at('ask', i);
    if (bid === undefined && ask === undefined) break;
    if (bid !== undefined) out += (out.length > 0 ? ':' : '') + bid[0] + ':' + bid[1];
    if (ask !== undefined) out += (out.length > 0 ? ':' : '') + ask[0] + ':' + ask[1];
  }
  return crc32Signed(out);
}
