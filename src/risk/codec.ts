/**
 * Exact encodings for snapshots: typed arrays as base64 of their bytes (NaN, -0 and infinities
 * survive, unlike JSON numbers), bigints as decimal strings.
 */
export function encodeF64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeF64Into(text: string, into: Float64Array, what: string): void {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== into.byteLength) throw new Error(`snapshot ${what}: expected ${into.length} values, got ${bytes.byteLength / 8}`);
  // Byte copy: Buffer pool offsets are not always 8-byte aligned.
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
}

export function encodeBytes(a: Uint8Array | Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function decodeBytesInto(text: string, into: Uint8Array | Int32Array, what: string): void {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== into.byteLength) throw new Error(`snapshot ${what}: size mismatch`);
  new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
}

/** Float64 as a 16-hex-digit bit pattern: exact for every value including NaN and -0. */
export function f64Bits(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, '0');
}

export function fromF64Bits(text: string): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setBigUint64(0, BigInt(`0x${text}`));
  return v.getFloat64(0);
}
