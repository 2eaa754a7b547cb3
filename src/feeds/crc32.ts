/**
 * Table-driven CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; what zlib computes), fed one
 * character code at a time so book checksums (Kraken, OKX) can hash their level text on the fly
 * instead of building a string first. A running value starts at `CRC32_START`; the final CRC is
 * `~crc` (`~crc | 0` signed, `~crc >>> 0` unsigned).
 */

export const CRC32_START = -1;

/** The lookup table, built once and never written again. */
const CRC_TABLE: Readonly<Int32Array> = buildCrcTable();

function buildCrcTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/** The running CRC after one more byte (a character code below 256: checksum text is ASCII). */
export function crc32Step(crc: number, byte: number): number {
  return CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
}
