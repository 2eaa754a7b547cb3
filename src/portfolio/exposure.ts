/**
 * Exposure views for the desk: by account, strategy, underlying, venue (counterparty) and firm.
 * Pure; a reporting view, not on the hot path. Ledger amounts are valued exactly in their own
 * currency (valuation.ts) and only then converted to the reporting currency as float64.
 *
 * Notional (reporting currency, signed by direction; long > 0):
 *   spot, linear futures/perps  qty·cs·mark·fx(valueCurrency)
 *   inverse futures/perps       contracts·cs·fx(quote)             (cs is in USD: no mark needed)
 *   options                     qty·cs·delta·fx(underlying)         (delta-equivalent; DOMAIN §6.4)
 * An option without a delta is counted at delta ±1 (call/put) and flagged `delta:<id>`, so the
 * view overstates rather than hides exposure.
 *
 * Cash and equity: cash is held by an account, so it belongs to the account's strategy and venue;
 * in the underlying view, a balance sits under its own currency (BTC cash under BTC, USDT under
 * USDT). Every view therefore partitions the firm: its buckets sum to the firm's totals.
 * A position's counterparty is its account's venue.
 */
import { type Fixed, fromNumber, toNumber } from './fixed.js';
import type { Instrument, InstrumentKind, Venue } from './instruments.js';
import type { Ledger } from './ledger.js';
import { valueCurrency, valuePosition } from './valuation.js';

export interface ExposureInput {
  ledger: Ledger;
  /** Currency the report is in; `fx(reportingCurrency)` defaults to 1. */
  reportingCurrency: string;
  /** Mark price per instrument index, in the instrument's price units (option: premium). */
  marks: (instrument: number) => number | undefined;
  /** Value of one unit of `currency` in the reporting currency. */
  fx: (currency: string) => number | undefined;
  /** Option delta per unit of underlying, per instrument index. */
  delta?: ((instrument: number) => number | undefined) | undefined;
}

/** One position, valued. Amounts in the reporting currency unless named otherwise. */
export interface ExposureLine {
  accountIdx: number;
  account: string;
  strategy: string;
  venue: Venue;
  instrumentIdx: number;
  instrument: string;
  underlying: string;
  kind: InstrumentKind;
  /** Signed contracts, as in the ledger. */
  qty: number;
  mark: number | undefined;
  /** The delta used for an option (±1 when none was given); undefined otherwise. */
  delta: number | undefined;
  notional: number;
  marketValue: number;
  unrealized: number;
  realized: number;
  funding: number;
  /** Fees charged in the instrument's value currency (others: cash). */
  fees: number;
}

export interface CashLine {
  accountIdx: number;
  account: string;
  currency: string;
  amount: number;
  value: number;
}

export interface ExposureBucket {
  key: string;
  /** Σ positive notionals. */
  long: number;
  /** Σ |negative notionals| (a magnitude). */
  short: number;
  /** long + short. */
  gross: number;
  /** long − short. */
  net: number;
  cash: number;
  marketValue: number;
  /** cash + marketValue. */
  equity: number;
  unrealized: number;
  realized: number;
  funding: number;
  fees: number;
  positions: ExposureLine[];
  balances: CashLine[];
}

export interface ExposureReport {
  reportingCurrency: string;
  firm: ExposureBucket;
  /** In account index order. */
  byAccount: ExposureBucket[];
  /** The rest sorted by key. */
  byStrategy: ExposureBucket[];
  byUnderlying: ExposureBucket[];
  byVenue: ExposureBucket[];
  /** Inputs that were needed and absent (`mark:<id>`, `fx:<ccy>`, `delta:<id>`), sorted. */
  missing: string[];
}

function emptyBucket(key: string): ExposureBucket {
  return {
    key, long: 0, short: 0, gross: 0, net: 0, cash: 0, marketValue: 0, equity: 0,
    unrealized: 0, realized: 0, funding: 0, fees: 0, positions: [], balances: [],
  };
}

function addLine(b: ExposureBucket, line: ExposureLine): void {
  if (line.notional > 0) b.long += line.notional;
  else b.short -= line.notional;
  b.gross = b.long + b.short;
  b.net = b.long - b.short;
  b.marketValue += line.marketValue;
  b.equity = b.cash + b.marketValue;
  b.unrealized += line.unrealized;
  b.realized += line.realized;
  b.funding += line.funding;
  b.fees += line.fees;
  b.positions.push(line);
}

function addCash(b: ExposureBucket, line: CashLine): void {
  b.cash += line.value;
  b.equity = b.cash + b.marketValue;
  b.balances.push(line);
}

function bucketIn(map: Map<string, ExposureBucket>, key: string): ExposureBucket {
  let b = map.get(key);
  if (b === undefined) {
    b = emptyBucket(key);
    map.set(key, b);
  }
  return b;
}

function sortedBuckets(map: Map<string, ExposureBucket>): ExposureBucket[] {
  return [...map.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function computeExposure(input: ExposureInput): ExposureReport {
  const { ledger, reportingCurrency } = input;
  const missing = new Set<string>();
  const rate = (currency: string): number | undefined => {
    const r = input.fx(currency);
    if (r !== undefined && Number.isFinite(r)) return r;
    if (currency === reportingCurrency) return 1;
    missing.add(`fx:${currency}`);
    return undefined;
  };
  // Converts an exact amount in `currency`; an amount of zero needs no rate.
  const convert = (amount: Fixed, currency: string): number => {
    if (amount === 0n) return 0;
    const r = rate(currency);
    return r === undefined ? 0 : toNumber(amount) * r;
  };

  const firm = emptyBucket('firm');
  const byAccount: ExposureBucket[] = [];
  const byStrategy = new Map<string, ExposureBucket>();
  const byUnderlying = new Map<string, ExposureBucket>();
  const byVenue = new Map<string, ExposureBucket>();

  ledger.accounts.forEach((ref, accountIdx) => {
    const accountBucket = emptyBucket(ref.id);
    byAccount.push(accountBucket);
    const shared = [firm, accountBucket, bucketIn(byStrategy, ref.strategy), bucketIn(byVenue, ref.venue)];

    for (const [currency, amount] of ledger.balances(accountIdx)) {
      const line: CashLine = { accountIdx, account: ref.id, currency, amount: toNumber(amount), value: convert(amount, currency) };
      for (const b of shared) addCash(b, line);
      addCash(bucketIn(byUnderlying, currency), line);
    }

    for (const pos of ledger.positions(accountIdx)) {
      const ins = ledger.registry.get(pos.instrument);
      const ccy = valueCurrency(ins);
      const markF = pos.qty === 0n ? undefined : input.marks(pos.instrument);
      let marketValue = 0;
      let unrealized = 0;
      if (pos.qty !== 0n) {
        const value = markF === undefined || !Number.isFinite(markF) ? undefined : valuePosition(ins, pos, fromNumber(markF));
        if (value === undefined || !value.ok) missing.add(`mark:${ins.id}`);
        else {
          marketValue = convert(value.marketValue, ccy);
          unrealized = convert(value.unrealized, ccy);
        }
      }
      const { notional, delta } = notionalOf(ins, toNumber(pos.qty), markF, input, rate, missing);
      const line: ExposureLine = {
        accountIdx,
        account: ref.id,
        strategy: ref.strategy,
        venue: ref.venue,
        instrumentIdx: ins.idx,
        instrument: ins.id,
        underlying: ins.spec.underlying,
        kind: ins.kind,
        qty: toNumber(pos.qty),
        mark: markF,
        delta,
        notional,
        marketValue,
        unrealized,
        realized: convert(pos.realized, ccy),
        funding: convert(pos.funding, ins.spec.settle),
        fees: convert(pos.fees, ccy),
      };
      for (const b of shared) addLine(b, line);
      addLine(bucketIn(byUnderlying, ins.spec.underlying), line);
    }
  });

  return {
    reportingCurrency,
    firm,
    byAccount,
    byStrategy: sortedBuckets(byStrategy),
    byUnderlying: sortedBuckets(byUnderlying),
    byVenue: sortedBuckets(byVenue),
    missing: [...missing].sort(),
  };
}

function notionalOf(
  ins: Instrument,
  qty: number,
  mark: number | undefined,
  input: ExposureInput,
  rate: (currency: string) => number | undefined,
  missing: Set<string>,
): { notional: number; delta: number | undefined } {
  if (qty === 0) return { notional: 0, delta: undefined };
  if (ins.isOption) {
    let delta = input.delta?.(ins.idx);
    if (delta === undefined || !Number.isFinite(delta)) {
      missing.add(`delta:${ins.id}`);
      delta = ins.isCall ? 1 : -1;
    }
    const r = rate(ins.spec.underlying);
    return { notional: r === undefined ? 0 : qty * ins.contractSizeF * delta * r, delta };
  }
  if (ins.inverse) {
    const r = rate(ins.spec.quote);
    return { notional: r === undefined ? 0 : qty * ins.contractSizeF * r, delta: undefined };
  }
  if (mark === undefined || !Number.isFinite(mark)) return { notional: 0, delta: undefined }; // already flagged mark:
  const r = rate(valueCurrency(ins));
  return { notional: r === undefined ? 0 : qty * ins.contractSizeF * mark * r, delta: undefined };
}
