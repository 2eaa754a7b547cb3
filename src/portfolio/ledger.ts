/**
 * The exact portfolio ledger: fills, funding, transfers and expiry settlements in; average-cost
 * positions, realized P&L, fees, funding and cash per currency out. docs/ledger.md is the
 * reference (model, formulas with their DOMAIN.md sources, rounding sites, idempotency).
 *
 * Pure: no I/O, no clock, no module state. Single writer: the engine owns one Ledger.
 * Every public method validates its input and returns `{ ok: false, code, detail }` rather
 * than throwing; `restore` is the one exception (see there).
 */
import { type Fixed, ZERO, divRound, format, parseFixed } from './fixed.js';
import type { Instrument, InstrumentRegistry, Venue } from './instruments.js';
import { contractValue, fundingAmount, isPremiumStyle, optionPayoff, pricingModel, strikeOf, valueCurrency } from './valuation.js';

/** An account as configured; its dense index is its position in the array given to the Ledger. */
export interface AccountRef {
  id: string;
  strategy: string;
  venue: Venue;
}

/**
 * One per (account, instrument) once traded. A live read-only view: the ledger updates the same
 * object on later events, so copy the fields if a point-in-time value is needed.
 */
export interface Position {
  readonly account: number;
  readonly instrument: number;
  /** Signed contracts (spot: base units); long > 0. */
  qty: Fixed;
  /**
   * Cost basis of the open qty, signed like qty. linear (incl. all options): Σ qty·price·cs in
   * `valueCurrency`; inverse futures/perps: Σ contracts·cs/price in coin. 0 when flat.
   */
  cost: Fixed;
  /** Realized P&L in `valueCurrency`, excluding fees and funding. */
  realized: Fixed;
  /** Fees charged in `valueCurrency` (negative = rebates); fees in other currencies: `Ledger.fees`. */
  fees: Fixed;
  /** Funding received (+) / paid (−), settle currency. */
  funding: Fixed;
}

export type LedgerErrorCode =
  | 'DUPLICATE'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_INSTRUMENT'
  | 'INVALID_QTY'
  | 'INVALID_PRICE'
  | 'NOT_A_PERPETUAL'
  | 'MISSING_FIELD'
  | 'ALREADY_SETTLED'
  | 'NOT_EXPIRING';
export type LedgerError = { ok: false; code: LedgerErrorCode; detail: string };

export type FillResult =
  | { ok: true; position: Readonly<Position>; realizedDelta: Fixed; cashDeltas: ReadonlyMap<string, Fixed> }
  | LedgerError;
export type FundingResult = { ok: true; amount: Fixed } | LedgerError;
export type TransferResult = { ok: true } | LedgerError;
export interface SettledAccount {
  account: number;
  realizedDelta: Fixed;
  cashDelta: Fixed;
}
export type SettlementResult = { ok: true; settled: SettledAccount[] } | LedgerError;

export interface FillInput {
  account: number;
  instrument: Instrument;
  execId: string;
  side: 'buy' | 'sell';
  qty: Fixed;
  price: Fixed;
  /** Fee charged (negative = rebate), in `feeCurrency`. */
  fee?: Fixed | undefined;
  /** Defaults to the instrument's `valueCurrency` (quote for spot, settle otherwise). */
  feeCurrency?: string | undefined;
}

export interface FundingInput {
  account: number;
  instrument: Instrument;
  fundingId: string;
  /** As the venue reports it: signed, settle currency, + = received. Wins over `rate`. */
  amount?: Fixed | undefined;
  /** Funding rate for the interval as a fraction; longs pay when > 0. Needs `markPrice`. */
  rate?: Fixed | undefined;
  markPrice?: Fixed | undefined;
}

export interface TransferInput {
  account: number;
  transferId: string;
  currency: string;
  /** Deposit (+) or withdrawal (−). */
  amount: Fixed;
}

/* ------------------------------------------------------------------------------------------ */
/* Snapshot: JSON-safe, amounts as exact decimal strings, instruments by canonical id and      */
/* accounts by id, so a snapshot survives a reordered registry or account list.                */
/* ------------------------------------------------------------------------------------------ */

export interface PositionSnapshot {
  instrument: string;
  qty: string;
  cost: string;
  realized: string;
  fees: string;
  funding: string;
  /** Cost and |qty| when the position last grew (the pro-rata allocation base). */
  anchorCost: string;
  anchorQty: string;
  /** The current run of same-side, same-price fills (see `Book`). */
  runSide: 'buy' | 'sell' | null;
  runPrice: string;
  runQty: string;
}

/** Seen ids, two generations (see `Ledger.rotateDedupe`). */
export interface DedupeSnapshot {
  current: string[];
  previous: string[];
}

export interface AccountSnapshot {
  id: string;
  cash: [currency: string, amount: string][];
  fees: [currency: string, amount: string][];
  positions: PositionSnapshot[];
  execIds: DedupeSnapshot;
  fundingIds: DedupeSnapshot;
  transferIds: DedupeSnapshot;
}

export interface LedgerSnapshot {
  v: 1;
  accounts: AccountSnapshot[];
  settled: { instrument: string; price: string }[];
}

export type RestoreResult = { ok: true; ledger: Ledger } | { ok: false; code: 'BAD_SNAPSHOT'; detail: string };

/* ------------------------------------------------------------------------------------------ */
/* Internal state                                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * Bookkeeping behind one Position.
 *
 * anchorCost/anchorQty: the cost and |qty| right after the position last grew. A reduction of c
 * removes round(anchorCost·K'/anchorQty) − round(anchorCost·K/anchorQty) of cost, where K is the
 * quantity closed since the anchor (= anchorQty − |qty|) and K' = K + c. The cumulative form makes
 * removed + remaining = total exactly, and gives the same result however a closing quantity is
 * split into fills.
 *
 * runSide/runPrice/runQty: consecutive fills on this position with the same side and price form a
 * run; a fill's value is V(runQty + q) − V(runQty), V(x) = contractValue(x, price), so a rounded
 * value (inverse 1/price) rounds once per run and splitting a fill changes nothing.
 */
interface Book {
  readonly view: Position;
  anchorCost: bigint;
  anchorQty: bigint;
  runSide: 1 | -1 | 0;
  runPrice: bigint;
  runQty: bigint;
}

/**
 * Ids seen, in two generations. Memory is bounded by what arrives between two rotations; the
 * caller rotates at a point where no replay can reach further back (docs/ledger.md).
 */
class SeenIds {
  current = new Set<string>();
  previous = new Set<string>();
  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }
  add(id: string): void {
    this.current.add(id);
  }
  rotate(): void {
    this.previous = this.current;
    this.current = new Set();
  }
  get size(): number {
    return this.current.size + this.previous.size;
  }
}

interface AccountState {
  readonly books: Map<number, Book>;
  readonly cash: Map<string, Fixed>;
  readonly fees: Map<string, Fixed>;
  readonly execIds: SeenIds;
  readonly fundingIds: SeenIds;
  readonly transferIds: SeenIds;
}

const EMPTY_BALANCES: ReadonlyMap<string, Fixed> = new Map();
const NO_HOLDERS: readonly number[] = Object.freeze([]);

function fail(code: LedgerErrorCode, detail: string): LedgerError {
  return { ok: false, code, detail };
}

function newAccountState(): AccountState {
  return {
    books: new Map(),
    cash: new Map(),
    fees: new Map(),
    execIds: new SeenIds(),
    fundingIds: new SeenIds(),
    transferIds: new SeenIds(),
  };
}

function isFixed(x: unknown): x is Fixed {
  return typeof x === 'bigint';
}

function isNonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

function addTo(map: Map<string, Fixed>, currency: string, delta: bigint): void {
  map.set(currency, ((map.get(currency) ?? 0n) + delta) as Fixed);
}

function absBig(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/* ------------------------------------------------------------------------------------------ */

export class Ledger {
  readonly registry: InstrumentRegistry;
  readonly accounts: readonly AccountRef[];
  private readonly state: AccountState[];
  /** Accounts with a nonzero position, per instrument; sorted copies cached until a change. */
  private readonly holderSets = new Map<number, Set<number>>();
  private readonly holderCache = new Map<number, readonly number[]>();
  /** Settled instruments and their settlement price, in settlement order. */
  private readonly settled = new Map<number, Fixed>();

  constructor(registry: InstrumentRegistry, accounts: readonly AccountRef[]) {
    this.registry = registry;
    this.accounts = accounts;
    this.state = accounts.map(newAccountState);
  }

  /* ---------------------------------------- events ---------------------------------------- */

  applyFill(f: FillInput): FillResult {
    const acct = this.accountState(f.account);
    if (acct === undefined) return fail('UNKNOWN_ACCOUNT', `no account ${String(f.account)}`);
    const ins = f.instrument;
    const bad = this.checkInstrument(ins);
    if (bad !== undefined) return bad;
    if (!isNonEmptyString(f.execId)) return fail('MISSING_FIELD', 'execId is required');
    if (acct.execIds.has(f.execId)) return fail('DUPLICATE', `execId ${f.execId} already applied`);
    if (f.side !== 'buy' && f.side !== 'sell') return fail('MISSING_FIELD', `side must be buy or sell, got ${String(f.side)}`);
    if (!isFixed(f.qty) || f.qty <= 0n) return fail('INVALID_QTY', `qty must be > 0, got ${shown(f.qty)}`);
    if (!isFixed(f.price) || f.price <= 0n) return fail('INVALID_PRICE', `price must be > 0, got ${shown(f.price)}`);
    if (f.fee !== undefined && !isFixed(f.fee)) return fail('MISSING_FIELD', 'fee must be a Fixed when present');
    if (f.feeCurrency !== undefined && !isNonEmptyString(f.feeCurrency)) {
      return fail('MISSING_FIELD', 'feeCurrency must be a non-empty string when present');
    }
    if (this.settled.has(ins.idx)) return fail('ALREADY_SETTLED', `${ins.id} has settled; no more fills`);

    const book = this.bookFor(acct, f.account, ins.idx);
    const direction = f.side === 'buy' ? 1 : -1;
    const { realized, value } = this.trade(book, ins, direction, f.qty, f.price);

    const cashDeltas = new Map<string, Fixed>();
    const ccy = valueCurrency(ins);
    // Premium-style: the trade value changes hands now (buy pays). Futures/perps: only the
    // realized P&L does.
    const tradeCash = isPremiumStyle(ins) ? -BigInt(direction) * value : realized;
    if (tradeCash !== 0n) addTo(cashDeltas, ccy, tradeCash);
    const fee = f.fee ?? ZERO;
    if (fee !== 0n) {
      const feeCcy = f.feeCurrency ?? ccy;
      addTo(cashDeltas, feeCcy, -fee);
      addTo(acct.fees, feeCcy, fee);
      if (feeCcy === ccy) book.view.fees = (book.view.fees + fee) as Fixed;
    }
    for (const [currency, delta] of cashDeltas) addTo(acct.cash, currency, delta);
    acct.execIds.add(f.execId);
    return { ok: true, position: book.view, realizedDelta: realized as Fixed, cashDeltas };
  }

  applyFunding(f: FundingInput): FundingResult {
    const acct = this.accountState(f.account);
    if (acct === undefined) return fail('UNKNOWN_ACCOUNT', `no account ${String(f.account)}`);
    const ins = f.instrument;
    const bad = this.checkInstrument(ins);
    if (bad !== undefined) return bad;
    if (!isNonEmptyString(f.fundingId)) return fail('MISSING_FIELD', 'fundingId is required');
    if (acct.fundingIds.has(f.fundingId)) return fail('DUPLICATE', `fundingId ${f.fundingId} already applied`);
    if (ins.kind !== 'perpetual') return fail('NOT_A_PERPETUAL', `${ins.id} is a ${ins.kind}; funding applies to perpetuals`);

    let amount: bigint;
    if (f.amount !== undefined) {
      if (!isFixed(f.amount)) return fail('MISSING_FIELD', 'amount must be a Fixed when present');
      amount = f.amount;
    } else {
      if (!isFixed(f.rate)) return fail('MISSING_FIELD', 'funding needs amount, or rate and markPrice');
      if (!isFixed(f.markPrice)) return fail('MISSING_FIELD', 'funding by rate needs markPrice');
      if (f.markPrice <= 0n) return fail('INVALID_PRICE', `markPrice must be > 0, got ${format(f.markPrice)}`);
      // Rate × nominal of the position held now (DOMAIN §6.2); no position, no payment.
      amount = fundingAmount(ins, acct.books.get(ins.idx)?.view.qty ?? 0n, f.rate, f.markPrice);
    }
    // A zero payment on an untouched instrument leaves no empty position or cash entry behind.
    if (amount !== 0n || acct.books.has(ins.idx)) {
      const book = this.bookFor(acct, f.account, ins.idx);
      book.view.funding = (book.view.funding + amount) as Fixed;
      addTo(acct.cash, ins.spec.settle, amount);
    }
    acct.fundingIds.add(f.fundingId);
    return { ok: true, amount: amount as Fixed };
  }

  applyTransfer(t: TransferInput): TransferResult {
    const acct = this.accountState(t.account);
    if (acct === undefined) return fail('UNKNOWN_ACCOUNT', `no account ${String(t.account)}`);
    if (!isNonEmptyString(t.transferId)) return fail('MISSING_FIELD', 'transferId is required');
    if (acct.transferIds.has(t.transferId)) return fail('DUPLICATE', `transferId ${t.transferId} already applied`);
    if (!isNonEmptyString(t.currency)) return fail('MISSING_FIELD', 'currency is required');
    if (!isFixed(t.amount) || t.amount === 0n) return fail('INVALID_QTY', `amount must be a nonzero Fixed, got ${shown(t.amount)}`);
    addTo(acct.cash, t.currency, t.amount);
    acct.transferIds.add(t.transferId);
    return { ok: true };
  }

  /**
   * Expiry settlement for every holder, once per instrument. Futures close at `price` (realized
   * P&L credited to the settle currency); options pay their intrinsic value at underlying price
   * `price` (realized = payoff − cost, cash += payoff). Holders are reported in account order.
   */
  applySettlement(instrument: Instrument, price: Fixed): SettlementResult {
    const bad = this.checkInstrument(instrument);
    if (bad !== undefined) return bad;
    const ins = instrument;
    if (ins.kind !== 'future' && ins.kind !== 'option') return fail('NOT_EXPIRING', `${ins.id} is a ${ins.kind}; it does not expire`);
    if (this.settled.has(ins.idx)) return fail('ALREADY_SETTLED', `${ins.id} settled at ${format(this.settled.get(ins.idx)!)}`);
    if (!isFixed(price) || price <= 0n) return fail('INVALID_PRICE', `settlement price must be > 0, got ${shown(price)}`);
    let strike: Fixed | undefined;
    if (ins.isOption) {
      strike = strikeOf(ins);
      if (strike === undefined) return fail('MISSING_FIELD', `${ins.id} has no valid strike in its reference data`);
    }

    const settled: SettledAccount[] = [];
    for (const account of this.holders(ins.idx)) {
      const acct = this.state[account]!;
      const book = acct.books.get(ins.idx)!;
      let realized: bigint;
      let cashDelta: bigint;
      if (strike !== undefined) {
        const payoff = optionPayoff(ins, book.view.qty, strike, price);
        realized = payoff - book.view.cost;
        cashDelta = payoff;
        this.setQty(book, 0n);
        book.view.cost = ZERO;
        book.view.realized = (book.view.realized + realized) as Fixed;
        book.anchorCost = 0n;
        book.anchorQty = 0n;
      } else {
        const closing = book.view.qty > 0n ? -1 : 1;
        realized = this.trade(book, ins, closing, absBig(book.view.qty), price).realized;
        cashDelta = realized;
      }
      book.runSide = 0;
      book.runPrice = 0n;
      book.runQty = 0n;
      if (cashDelta !== 0n) addTo(acct.cash, valueCurrency(ins), cashDelta);
      settled.push({ account, realizedDelta: realized as Fixed, cashDelta: cashDelta as Fixed });
    }
    this.settled.set(ins.idx, price);
    return { ok: true, settled };
  }

  /**
   * Starts a new dedupe generation: ids from the generation before the previous one are
   * forgotten. Call it only where no replay can reach back past the previous rotation, e.g.
   * right after a snapshot at the trading-day boundary (docs/ledger.md, "Idempotency").
   */
  rotateDedupe(): void {
    for (const acct of this.state) {
      acct.execIds.rotate();
      acct.fundingIds.rotate();
      acct.transferIds.rotate();
    }
  }

  /** Ids held for deduplication, all kinds and accounts (for a gauge). */
  dedupeSize(): number {
    let n = 0;
    for (const acct of this.state) n += acct.execIds.size + acct.fundingIds.size + acct.transferIds.size;
    return n;
  }

  /* ----------------------------------------- reads ----------------------------------------- */

  position(account: number, instrument: number): Readonly<Position> | undefined {
    return this.accountState(account)?.books.get(instrument)?.view;
  }

  /** Positions in the order the account first touched them (deterministic, survives restore). */
  *positions(account: number): Iterable<Readonly<Position>> {
    const acct = this.accountState(account);
    if (acct === undefined) return;
    for (const book of acct.books.values()) yield book.view;
  }

  /** Accounts with a nonzero position in `instrument`, ascending. */
  holders(instrument: number): readonly number[] {
    const cached = this.holderCache.get(instrument);
    if (cached !== undefined) return cached;
    const set = this.holderSets.get(instrument);
    const list = set === undefined || set.size === 0 ? NO_HOLDERS : Object.freeze([...set].sort((a, b) => a - b));
    this.holderCache.set(instrument, list);
    return list;
  }

  cash(account: number, currency: string): Fixed {
    return this.accountState(account)?.cash.get(currency) ?? ZERO;
  }

  /** Cash per currency, in the order currencies first appeared. */
  balances(account: number): ReadonlyMap<string, Fixed> {
    return this.accountState(account)?.cash ?? EMPTY_BALANCES;
  }

  /** Fees charged per fee currency over all instruments (negative = net rebates). */
  fees(account: number): ReadonlyMap<string, Fixed> {
    return this.accountState(account)?.fees ?? EMPTY_BALANCES;
  }

  /** The settlement price of an expired instrument, or undefined. */
  settlementPrice(instrument: number): Fixed | undefined {
    return this.settled.get(instrument);
  }

  /* --------------------------------------- snapshots --------------------------------------- */

  snapshot(): LedgerSnapshot {
    const accounts = this.state.map((acct, i): AccountSnapshot => ({
      id: this.accounts[i]!.id,
      cash: [...acct.cash].map(([c, a]) => [c, format(a)]),
      fees: [...acct.fees].map(([c, a]) => [c, format(a)]),
      positions: [...acct.books.values()].map((b) => this.positionSnapshot(b)),
      execIds: seenSnapshot(acct.execIds),
      fundingIds: seenSnapshot(acct.fundingIds),
      transferIds: seenSnapshot(acct.transferIds),
    }));
    const settled = [...this.settled].map(([idx, price]) => ({ instrument: this.registry.get(idx).id, price: format(price) }));
    return { v: 1, accounts, settled };
  }

  /**
   * Rebuilds a ledger from `snapshot()` output. Throws on a snapshot that does not match the
   * registry or account list, or breaks a ledger invariant: the contract returns a Ledger, and a
   * corrupt snapshot must stop start-up rather than be half-applied. `tryRestore` returns the
   * same diagnosis as a result.
   */
  static restore(registry: InstrumentRegistry, accounts: readonly AccountRef[], snap: LedgerSnapshot): Ledger {
    const r = Ledger.tryRestore(registry, accounts, snap);
    if (!r.ok) throw new Error(`${r.code}: ${r.detail}`);
    return r.ledger;
  }

  static tryRestore(registry: InstrumentRegistry, accounts: readonly AccountRef[], snap: LedgerSnapshot): RestoreResult {
    try {
      return { ok: true, ledger: Ledger.rebuild(registry, accounts, snap) };
    } catch (e: unknown) {
      return { ok: false, code: 'BAD_SNAPSHOT', detail: e instanceof Error ? e.message : String(e) };
    }
  }

  /* ---------------------------------------- internals -------------------------------------- */

  private accountState(account: number): AccountState | undefined {
    return Number.isInteger(account) && account >= 0 ? this.state[account] : undefined;
  }

  private checkInstrument(ins: Instrument | undefined): LedgerError | undefined {
    if (ins === undefined || ins === null || typeof ins !== 'object') return fail('MISSING_FIELD', 'instrument is required');
    if (this.registry.all[ins.idx] !== ins) return fail('UNKNOWN_INSTRUMENT', `${String(ins.id)} is not in this ledger's registry`);
    return undefined;
  }

  private bookFor(acct: AccountState, account: number, instrument: number): Book {
    let book = acct.books.get(instrument);
    if (book === undefined) {
      book = {
        view: { account, instrument, qty: ZERO, cost: ZERO, realized: ZERO, fees: ZERO, funding: ZERO },
        anchorCost: 0n,
        anchorQty: 0n,
        runSide: 0,
        runPrice: 0n,
        runQty: 0n,
      };
      acct.books.set(instrument, book);
    }
    return book;
  }

  /**
   * Books a trade of `qty` (> 0) in `direction` at `price` (> 0): closes against the open
   * position first (average cost, pro rata), then opens the rest at `price`. Returns the
   * realized P&L and the trade's value (unsigned), both in `valueCurrency(ins)`.
   */
  private trade(book: Book, ins: Instrument, direction: 1 | -1, qty: bigint, price: bigint): { realized: bigint; value: bigint } {
    const pos = book.view;
    const continuesRun = book.runSide === direction && book.runPrice === price;
    const runBefore = continuesRun ? book.runQty : 0n;
    const valueBefore = continuesRun ? contractValue(ins, runBefore, price) : 0n;
    const valueAfter = contractValue(ins, runBefore + qty, price);
    book.runSide = direction;
    book.runPrice = price;
    book.runQty = runBefore + qty;

    const held = pos.qty;
    const heldSign = held > 0n ? 1 : held < 0n ? -1 : 0;
    const closeQty = heldSign === -direction ? (absBig(held) < qty ? absBig(held) : qty) : 0n;
    let realized = 0n;
    let valueOpenStart = valueBefore;
    if (closeQty > 0n) {
      const valueClose = contractValue(ins, runBefore + closeQty, price);
      const closeValue = valueClose - valueBefore;
      valueOpenStart = valueClose;
      // ROUNDS: pro-rata cost removal, cumulative from the anchor so nothing leaks.
      const closedBefore = book.anchorQty - absBig(held);
      const closedAfter = closedBefore + closeQty;
      const removed =
        closedAfter === book.anchorQty
          ? pos.cost
          : divRound(book.anchorCost * closedAfter, book.anchorQty) - divRound(book.anchorCost * closedBefore, book.anchorQty);
      // linear: exit value − removed cost (signed by the position); inverse: removed − exit value.
      const signedExit = BigInt(heldSign) * closeValue;
      realized = pricingModel(ins) === 'inverse' ? removed - signedExit : signedExit - removed;
      pos.cost = (pos.cost - removed) as Fixed;
      pos.realized = (pos.realized + realized) as Fixed;
      this.setQty(book, held - BigInt(heldSign) * closeQty);
      if (pos.qty === 0n) {
        book.anchorCost = 0n;
        book.anchorQty = 0n;
      }
    }
    const openQty = qty - closeQty;
    if (openQty > 0n) {
      pos.cost = (pos.cost + BigInt(direction) * (valueAfter - valueOpenStart)) as Fixed;
      this.setQty(book, pos.qty + BigInt(direction) * openQty);
      book.anchorCost = pos.cost;
      book.anchorQty = absBig(pos.qty);
    }
    return { realized, value: valueAfter - valueBefore };
  }

  private setQty(book: Book, qty: bigint): void {
    const pos = book.view;
    const wasOpen = pos.qty !== 0n;
    pos.qty = qty as Fixed;
    const isOpen = qty !== 0n;
    if (wasOpen === isOpen) return;
    let set = this.holderSets.get(pos.instrument);
    if (set === undefined) {
      set = new Set();
      this.holderSets.set(pos.instrument, set);
    }
    if (isOpen) set.add(pos.account);
    else set.delete(pos.account);
    this.holderCache.delete(pos.instrument);
  }

  private positionSnapshot(b: Book): PositionSnapshot {
    const p = b.view;
    return {
      instrument: this.registry.get(p.instrument).id,
      qty: format(p.qty),
      cost: format(p.cost),
      realized: format(p.realized),
      fees: format(p.fees),
      funding: format(p.funding),
      anchorCost: format(b.anchorCost as Fixed),
      anchorQty: format(b.anchorQty as Fixed),
      runSide: b.runSide === 1 ? 'buy' : b.runSide === -1 ? 'sell' : null,
      runPrice: format(b.runPrice as Fixed),
      runQty: format(b.runQty as Fixed),
    };
  }

  /** Throws an Error naming the first inconsistency; `tryRestore` turns it into a result. */
  private static rebuild(registry: InstrumentRegistry, accounts: readonly AccountRef[], snap: LedgerSnapshot): Ledger {
    if (snap === null || typeof snap !== 'object' || snap.v !== 1) throw new Error('not a v1 ledger snapshot');
    const byId = new Map<string, number>();
    accounts.forEach((a, i) => {
      if (byId.has(a.id)) throw new Error(`account id ${a.id} appears twice in the account list`);
      byId.set(a.id, i);
    });
    const ledger = new Ledger(registry, accounts);
    if (!Array.isArray(snap.accounts) || !Array.isArray(snap.settled)) throw new Error('accounts and settled must be arrays');
    const seenAccounts = new Set<string>();
    for (const a of snap.accounts) {
      const where = `account ${String(a?.id)}`;
      const idx = byId.get(a?.id);
      if (idx === undefined) throw new Error(`${where}: not in the account list`);
      if (seenAccounts.has(a.id)) throw new Error(`${where}: appears twice`);
      seenAccounts.add(a.id);
      const acct = ledger.state[idx]!;
      for (const [currency, amount] of a.cash) acct.cash.set(currency, dec(amount, `${where} cash ${currency}`));
      for (const [currency, amount] of a.fees) acct.fees.set(currency, dec(amount, `${where} fees ${currency}`));
      for (const p of a.positions) {
        const pw = `${where} position ${String(p?.instrument)}`;
        const ins = registry.byCanonical(p.instrument);
        if (ins === undefined) throw new Error(`${pw}: instrument not in the registry`);
        if (acct.books.has(ins.idx)) throw new Error(`${pw}: appears twice`);
        const qty = dec(p.qty, `${pw} qty`);
        const cost = dec(p.cost, `${pw} cost`);
        const anchorCost = dec(p.anchorCost, `${pw} anchorCost`);
        const anchorQty = dec(p.anchorQty, `${pw} anchorQty`);
        const runQty = dec(p.runQty, `${pw} runQty`);
        const runPrice = dec(p.runPrice, `${pw} runPrice`);
        const runSide = p.runSide === 'buy' ? 1 : p.runSide === 'sell' ? -1 : p.runSide === null ? 0 : undefined;
        if (runSide === undefined) throw new Error(`${pw}: runSide must be buy, sell or null`);
        // The invariants `trade` divides by: a violation would make later P&L meaningless.
        const consistent =
          qty === 0n
            ? cost === 0n && anchorQty === 0n && anchorCost === 0n
            : anchorQty >= absBig(qty) &&
              cost === anchorCost - divRound(anchorCost * (anchorQty - absBig(qty)), anchorQty);
        if (!consistent) throw new Error(`${pw}: qty, cost and anchor are inconsistent`);
        if (runQty < 0n || (runQty > 0n && (runPrice <= 0n || runSide === 0))) throw new Error(`${pw}: run state is inconsistent`);
        const book = ledger.bookFor(acct, idx, ins.idx);
        Object.assign(book, { anchorCost, anchorQty, runSide, runPrice, runQty });
        book.view.cost = cost;
        book.view.realized = dec(p.realized, `${pw} realized`);
        book.view.fees = dec(p.fees, `${pw} fees`);
        book.view.funding = dec(p.funding, `${pw} funding`);
        ledger.setQty(book, qty);
      }
      restoreSeen(acct.execIds, a.execIds, `${where} execIds`);
      restoreSeen(acct.fundingIds, a.fundingIds, `${where} fundingIds`);
      restoreSeen(acct.transferIds, a.transferIds, `${where} transferIds`);
    }
    for (const s of snap.settled) {
      const ins = registry.byCanonical(s.instrument);
      if (ins === undefined) throw new Error(`settled ${String(s.instrument)}: instrument not in the registry`);
      ledger.settled.set(ins.idx, dec(s.price, `settled ${s.instrument} price`));
    }
    return ledger;
  }
}

function shown(x: unknown): string {
  return typeof x === 'bigint' ? format(x as Fixed) : String(x);
}

function seenSnapshot(s: SeenIds): DedupeSnapshot {
  return { current: [...s.current], previous: [...s.previous] };
}

function dec(text: unknown, where: string): Fixed {
  const r = parseFixed(text);
  if (!r.ok) throw new Error(`${where}: ${r.error}`);
  return r.value;
}

function restoreSeen(into: SeenIds, from: DedupeSnapshot, where: string): void {
  if (!Array.isArray(from?.current) || !Array.isArray(from.previous)) throw new Error(`${where}: expected { current, previous }`);
  for (const id of from.previous) into.previous.add(String(id));
  for (const id of from.current) into.current.add(String(id));
}
