/**
 * The reservation book against a plain reference (a Map per account plus two FIFO arrays) over
 * random streams of adds, acks, removals and expiries, long enough to force the id index through
 * tombstone rebuilds and growth (fast-check, committed seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reservation, ReservationBook } from '../../../src/risk/reservations.js';

const ACCOUNTS = 4;
const PENDING_TTL = 50;
const OPEN_TTL = 400;
/** Identities to compare (reservations link to each other; deep equality would walk the lists). */
const keys = (rs: readonly Reservation[]): string[] => rs.map((r) => `${r.account}/${r.clOrdId}`);
const PER = { gross: 0, net: 0, im: 0, units: 0, delta: 0, gamma: 0, vega: 0, varBound: 0 };

type Op = { kind: 'add'; account: number; id: number } | { kind: 'ack' | 'remove'; pick: number } | { kind: 'tick'; dt: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), account: fc.nat(ACCOUNTS - 1), id: fc.nat(3000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), dt: fc.nat(60) }) },
);

describe('ReservationBook', () => {
  it('finds, orders and expires exactly like a Map per account and two FIFO queues', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4000, size: 'max' }), (ops) => {
        const book = new ReservationBook(ACCOUNTS);
        const ref = Array.from({ length: ACCOUNTS }, () => new Map<string, Reservation>());
        let pending: Reservation[] = [];
        let open: Reservation[] = [];
        let now = 0;
        const live = (): Reservation[] => ref.flatMap((m) => [...m.values()]);
        const drop = (r: Reservation): void => {
          ref[r.account]!.delete(r.clOrdId);
          pending = pending.filter((x) => x !== r);
          open = open.filter((x) => x !== r);
        };
        for (const o of ops) {
          if (o.kind === 'add') {
            const id = `o-${o.id}`;
            if (ref[o.account]!.has(id)) continue; // the duplicate check refuses an open id
            const r = new Reservation(id, o.account, 0, 1, 1, 1, now, now + PENDING_TTL, PER);
            book.add(r);
            ref[o.account]!.set(id, r);
            pending.push(r);
          } else if (o.kind === 'tick') {
            now += o.dt;
            const due = book.expired(now).slice();
            const expected = [...pending.filter((r) => r.expiresAt <= now), ...open.filter((r) => r.expiresAt <= now)];
            expect(keys(due)).toEqual(keys(expected));
            for (const r of due) {
              book.remove(r);
              drop(r);
            }
          } else {
            const all = live();
            if (all.length === 0) continue;
            const r = all[o.pick % all.length]!;
            if (o.kind === 'ack') {
              if (r.acked) continue;
              book.ack(r, now + OPEN_TTL);
              pending = pending.filter((x) => x !== r);
              open.push(r);
            } else {
              book.remove(r);
              drop(r);
            }
          }
        }
        expect(book.size).toBe(live().length);
        expect(book.queuedEntries()).toBe(live().length);
        expect(keys([...book.all()])).toEqual(keys(live()));
        const wrong: string[] = [];
        for (let a = 0; a < ACCOUNTS; a++) {
          for (let id = 0; id <= 3000; id++) if (book.get(a, `o-${id}`) !== ref[a]!.get(`o-${id}`)) wrong.push(`${a}/o-${id}`);
          if (book.get(a, 'o-never') !== undefined) wrong.push(`${a}/o-never`);
        }
        expect(wrong).toEqual([]);
        const q = book.queues();
        expect({ pending: keys(q.pending), open: keys(q.open) }).toEqual({ pending: keys(pending), open: keys(open) });
      }),
      { seed: 20261126, numRuns: 60 },
    );
  });

  it('probes past deleted slots: entries stay findable when ids before them in a probe run are removed', () => {
    const book = new ReservationBook(1);
    // 400 ids in the 1,024 initial slots collide often; removing every third leaves deleted slots
    // inside probe runs, and (400 + 0) stays under the rebuild threshold, so none are cleared.
    const all = Array.from({ length: 400 }, (_, k) => new Reservation(`p-${k}`, 0, 0, 1, 1, 1, 0, 1e9, PER));
    for (const r of all) book.add(r);
    for (let k = 0; k < all.length; k += 3) book.remove(all[k]!);
    for (let k = 0; k < all.length; k++) expect(book.get(0, `p-${k}`)).toBe(k % 3 === 0 ? undefined : all[k]);
  });

  it('finds, removes and adds correctly while a resize is moving entries to the new table', () => {
    const book = new ReservationBook(3);
    const make = (k: number): Reservation => new Reservation(`g-${k}`, k % 3, 0, 1, 1, 1, 0, 1e9, PER);
    // The 513th entry fills half of the 1,024 initial slots: the move to a larger table starts,
    // 16 slots per operation, so right after it most entries still sit in the old table.
    const all = Array.from({ length: 513 }, (_, k) => make(k));
    for (const r of all) book.add(r);
    const wrong = (): string[] => all.filter((r) => book.get(r.account, r.clOrdId) !== (r.active ? r : undefined)).map((r) => r.clOrdId);
    expect(wrong()).toEqual([]);
    // Each removal, checked at once: the move is still under way for the first 60-odd operations.
    const stale: string[] = [];
    for (let k = 0; k < 100; k++) {
      book.remove(all[k]!);
      if (book.get(all[k]!.account, all[k]!.clOrdId) !== undefined) stale.push(all[k]!.clOrdId);
    }
    expect(stale).toEqual([]);
    expect(wrong()).toEqual([]);
    for (let k = 513; k < 800; k++) {
      all.push(make(k));
      book.add(all[k]!);
      if (k % 7 === 0) book.remove(all[k - 300]!);
    }
    expect(wrong()).toEqual([]);
    expect(book.size).toBe(all.filter((r) => r.active).length);
    expect(() => book.add(make(700))).toThrow(/already open/);
  });

  it('keeps every entry findable through growth past its initial slots and tombstone rebuilds', () => {
    const book = new ReservationBook(2);
    const all: Reservation[] = [];
    for (let k = 0; k < 5000; k++) {
      const r = new Reservation(`id-${k}`, k % 2, 0, 1, 1, 1, 0, 1e9, PER);
      book.add(r);
      all.push(r);
    }
    for (let k = 0; k < 5000; k += 2) book.remove(all[k]!);
    for (let k = 0; k < 20_000; k++) {
      const r = new Reservation(`churn-${k}`, 0, 0, 1, 1, 1, 0, 1e9, PER);
      book.add(r);
      book.remove(r);
    }
    expect(book.size).toBe(2500);
    for (let k = 0; k < 5000; k++) expect(book.get(k % 2, `id-${k}`)).toBe(k % 2 === 0 ? undefined : all[k]);
    expect([...book.all()]).toEqual(all.filter((_, k) => k % 2 === 1).sort((a, b) => a.account - b.account));
    // Entries that lived through the rebuilds leave no copy behind when removed.
    for (let k = 1; k < 5000; k += 4) book.remove(all[k]!);
    for (let k = 1; k < 5000; k += 2) expect(book.get(k % 2, `id-${k}`)).toBe(k % 4 === 1 ? undefined : all[k]);
    expect(book.size).toBe(1250);
  });
});
