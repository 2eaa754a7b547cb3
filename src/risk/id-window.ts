/**
 * The client order ids an account used recently, for the duplicate-order control (15c3-5
 * (c)(1)(ii)): "has this id been used within the window?" in O(1), with memory bounded by
 * `maxIds` and no per-id heap objects (a busy desk sends millions of orders a day; a Map of strings
 * that size would make every major GC pause for tens of milliseconds).
 *
 * Ids are kept as a 64-bit fingerprint (two independent 32-bit FNV-1a hashes) in an
 * open-addressing table of typed arrays, plus a ring of (fingerprint, time) in arrival order for
 * expiry. Two different ids share a fingerprint with probability ~2^-64 per pair; a collision
 * would reject a legitimate order as a duplicate (fail safe), never pass a real duplicate.
 */
const EMPTY = 0;
const TOMBSTONE = 1;
const LIVE = 2;

export class IdWindow {
  private readonly maxIds: number;
  private capacity: number;
  private mask: number;
  private state: Uint8Array;
  private h1s: Int32Array;
  private h2s: Int32Array;
  private used = 0;
  private tombstones = 0;
  // Arrival ring: fingerprints and times, oldest at `head`.
  private readonly ringH1: Int32Array;
  private readonly ringH2: Int32Array;
  private readonly ringTs: Float64Array;
  private head = 0;
  private count = 0;

  constructor(maxIds: number) {
    this.maxIds = Math.max(1, Math.floor(maxIds));
    this.capacity = tableSizeFor(Math.min(this.maxIds, 1024));
    this.mask = this.capacity - 1;
    this.state = new Uint8Array(this.capacity);
    this.h1s = new Int32Array(this.capacity);
    this.h2s = new Int32Array(this.capacity);
    this.ringH1 = new Int32Array(this.maxIds);
    this.ringH2 = new Int32Array(this.maxIds);
    this.ringTs = new Float64Array(this.maxIds);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(hash1(id), hash2(id)) >= 0;
  }

  /** Records an id at `ts` (the caller checked `has` first). The oldest id goes when full. */
  add(id: string, ts: number): void {
    this.addFingerprint(hash1(id), hash2(id), ts);
  }

  /** Forgets ids older than the window. */
  prune(now: number, windowMs: number): void {
    const cutoff = now - windowMs;
    while (this.count > 0 && this.ringTs[this.head]! <= cutoff) this.dropOldest();
  }

  /** (h1, h2, ts) of every remembered id, oldest first: restores to the same window. */
  snapshot(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let k = 0; k < this.count; k++) {
      const slot = (this.head + k) % this.maxIds;
      out.push([this.ringH1[slot]!, this.ringH2[slot]!, this.ringTs[slot]!]);
    }
    return out;
  }

  static restore(maxIds: number, entries: ReadonlyArray<readonly [number, number, number]>): IdWindow {
    const w = new IdWindow(maxIds);
    for (const [h1, h2, ts] of entries) w.addFingerprint(h1 | 0, h2 | 0, ts);
    return w;
  }

  private addFingerprint(h1: number, h2: number, ts: number): void {
    if (this.count === this.maxIds) this.dropOldest();
    if ((this.used + this.tombstones + 1) * 2 > this.capacity) this.rehash(this.used + 1);
    let slot = h1 & this.mask;
    for (;;) {
      const s = this.state[slot]!;
      if (s !== LIVE) {
        if (s === TOMBSTONE) this.tombstones--;
        this.state[slot] = LIVE;
        this.h1s[slot] = h1;
        this.h2s[slot] = h2;
        this.used++;
        break;
      }
      slot = (slot + 1) & this.mask;
    }
    const tail = (this.head + this.count) % this.maxIds;
    this.ringH1[tail] = h1;
    this.ringH2[tail] = h2;
    this.ringTs[tail] = ts;
    this.count++;
  }

  private dropOldest(): void {
    const h1 = this.ringH1[this.head]!;
    const h2 = this.ringH2[this.head]!;
    this.head = (this.head + 1) % this.maxIds;
    this.count--;
    const slot = this.find(h1, h2);
    if (slot >= 0) {
      this.state[slot] = TOMBSTONE;
      this.used--;
      this.tombstones++;
    }
  }

  private find(h1: number, h2: number): number {
    let slot = h1 & this.mask;
    for (;;) {
      const s = this.state[slot]!;
      if (s === EMPTY) return -1;
      if (s === LIVE && this.h1s[slot] === h1 && this.h2s[slot] === h2) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Rebuilds the table (growing it if needed), clearing tombstones. */
  private rehash(needed: number): void {
    const capacity = Math.max(this.capacity, tableSizeFor(Math.min(this.maxIds, needed * 2)));
    const oldState = this.state;
    const oldH1 = this.h1s;
    const oldH2 = this.h2s;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.state = new Uint8Array(capacity);
    this.h1s = new Int32Array(capacity);
    this.h2s = new Int32Array(capacity);
    this.tombstones = 0;
    for (let k = 0; k < oldState.length; k++) {
      if (oldState[k] !== LIVE) continue;
      let slot = oldH1[k]! & this.mask;
      while (this.state[slot] === LIVE) slot = (slot + 1) & this.mask;
      this.state[slot] = LIVE;
      this.h1s[slot] = oldH1[k]!;
      this.h2s[slot] = oldH2[k]!;
    }
  }
}

/** Smallest power of two holding `n` ids at a load factor of at most 1/2. */
function tableSizeFor(n: number): number {
  let c = 16;
  while (c < n * 2) c *= 2;
  return c;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hash1(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** An independent 32-bit hash (FNV-1a with another basis, then a murmur3-style finalizer). */
function hash2(s: string): number {
  let h = 0x2545f491;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
