/**
 * Snapshot and restore of the whole engine state. The restored engine continues exactly as the
 * original would have (the tests compare bit for bit), so everything that influences later
 * floating-point results is captured as it is, not recomputed: aggregates, leg contributions,
 * VaR vectors, and the orders of lists that sums run over (legs, holders, reservation queues).
 */
import { format, parseFixed, type Fixed } from '../portfolio/fixed.js';
import { Ledger, type LedgerSnapshot } from '../portfolio/ledger.js';
import { decodeBytesInto, decodeF64Into, encodeBytes, encodeF64, f64Bits, fromF64Bits } from './codec.js';
import type { LimitSet } from './config.js';
import { compileLimits, describeLimits, type LimitError } from './limits.js';
import { IdWindow } from './id-window.js';
import { RateWindow, Reservation } from './reservations.js';
import type { EngineState } from './state.js';

export interface EngineSnapshot {
  v: 1;
  clocks: { now: string; nextRevalue: string; nextReprice: string; nextSample: string; nextDayRoll: string };
  counters: Record<string, number>;
  ledger: LedgerSnapshot;
  market: Record<string, string>;
  markText: string[];
  /** [account id, instrument id, exact qty/res, float fields as bit patterns]. */
  legs: LegSnapshot[];
  holders: Array<[instrument: string, accounts: string[]]>;
  /** Lots (exact integers) per node and instrument: position, open buys, open sells. */
  nodeQtys: Array<[node: string, instrument: string, qtyLots: number, resBuyLots: number, resSellLots: number]>;
  limits: Array<[node: string, limits: Record<string, unknown>]>;
  tradingStates: string;
  stateReasons: string[];
  reservations: ReservationSnapshot[];
  pendingQueue: Array<[account: string, clOrdId: string]>;
  openQueue: Array<[account: string, clOrdId: string]>;
  rates: number[][];
  /** Per account: (fingerprint h1, h2, time) of the remembered client order ids, oldest first. */
  duplicates: Array<Array<[number, number, number]>>;
  aggregates: string[];
  accountCash: string;
  cashValues: string;
  cashHolders: string[][];
  covariance: string;
  books: unknown[];
  sampleMarks: string;
  pendingFlows: Array<[account: string, currency: string, amountBits: string]>;
}

interface LegSnapshot {
  account: string;
  instrument: string;
  qty: string;
  resBuyLots: number;
  resSellLots: number;
  /** costF value gross net im units delta gamma vega varW, as float64 bit patterns. */
  floats: string[];
  priced: boolean;
}

interface ReservationSnapshot {
  account: string;
  clOrdId: string;
  instrument: string;
  side: 1 | -1;
  remainingLots: number;
  remainingF: string;
  acked: boolean;
  approvedAt: number;
  expiresAt: number;
  per: string[];
}

const MARKET_ARRAYS = [
  'mark', 'markTs', 'bid', 'ask', 'bidSize', 'askSize', 'quoteTs', 'last', 'index', 'funding', 'nextFundingTs', 'iv', 'forward',
  'statusTs', 'uValue', 'uCost', 'uNotional', 'uDelta', 'uGamma', 'uVega', 'uIm',
] as const;
const MARKET_BYTES = ['markRank', 'status', 'unitsOk', 'unitsStale'] as const;

export function snapshotState(s: EngineState): EngineSnapshot {
  const u = s.universe;
  const n = u.n;
  const market: Record<string, string> = {};
  for (const k of MARKET_ARRAYS) market[k] = encodeF64(s.market[k]);
  for (const k of MARKET_BYTES) market[k] = encodeBytes(s.market[k]);
  const legs: LegSnapshot[] = [];
  for (const leg of s.legs.values()) {
    legs.push({
      account: u.accounts[leg.account]!.id,
      instrument: s.registry.get(leg.instrument).id,
      qty: format(leg.qty),
      resBuyLots: leg.resBuyLots,
      resSellLots: leg.resSellLots,
      floats: [leg.costF, leg.value, leg.gross, leg.net, leg.im, leg.units, leg.delta, leg.gamma, leg.vega, leg.varW, leg.qtyF].map(f64Bits),
      priced: leg.priced,
    });
  }
  const holders: Array<[string, string[]]> = [];
  s.holders.forEach((list, i) => {
    if (list.length > 0) holders.push([s.registry.get(i).id, list.map((l) => u.accounts[l.account]!.id)]);
  });
  const nodeQtys: EngineSnapshot['nodeQtys'] = [];
  for (let key = 0; key < s.nodeQtys.length; key++) {
    const q = s.nodeQtys[key];
    if (q === undefined) continue;
    const node = Math.floor(key / n);
    nodeQtys.push([nodeKey(s, node), s.registry.get(key % n).id, q.qtyLots, q.resBuyLots, q.resSellLots]);
  }
  const reservations: ReservationSnapshot[] = [];
  for (const r of s.reservations.all()) {
    reservations.push({
      account: u.accounts[r.account]!.id,
      clOrdId: r.clOrdId,
      instrument: s.registry.get(r.instrument).id,
      side: r.side,
      remainingLots: r.remainingLots,
      remainingF: f64Bits(r.remainingF),
      acked: r.acked,
      approvedAt: r.approvedAt,
      expiresAt: r.expiresAt,
      per: [r.grossPer, r.netPer, r.imPer, r.unitsPer, r.deltaPer, r.gammaPer, r.vegaPer, r.varBoundPer].map(f64Bits),
    });
  }
  const q = s.reservations.queues();
  const ref = (r: Reservation): [string, string] => [u.accounts[r.account]!.id, r.clOrdId];
  return {
    v: 1,
    clocks: { now: f64Bits(s.now), nextRevalue: f64Bits(s.nextRevalue), nextReprice: f64Bits(s.nextReprice), nextSample: f64Bits(s.nextSample), nextDayRoll: f64Bits(s.nextDayRoll) },
    counters: { ...s.counters },
    ledger: s.ledger.snapshot(),
    market,
    markText: [...s.market.markText],
    legs,
    holders,
    nodeQtys,
    limits: u.nodes.map((_, k) => [nodeKey(s, k), describeLimits(s.limits[k]!, u)] as [string, Record<string, unknown>]),
    tradingStates: encodeBytes(s.tradingStates),
    stateReasons: [...s.stateReasons],
    reservations,
    pendingQueue: q.pending.map(ref),
    openQueue: q.open.map(ref),
    rates: s.rates.map((r) => r.snapshot()),
    duplicates: s.duplicates.map((d) => d.snapshot()),
    aggregates: s.agg.arrays().map((a) => (a instanceof Float64Array ? encodeF64(a) : encodeBytes(a))),
    accountCash: encodeF64(s.accountCash),
    cashValues: encodeF64(s.cashValues),
    cashHolders: s.cashHolders.map((list) => list.map((a) => u.accounts[a]!.id)),
    covariance: encodeF64(s.cov.matrix as Float64Array),
    books: s.books.map((b) => b.exportState()),
    sampleMarks: encodeF64(s.sampleMarks),
    pendingFlows: s.pendingFlows.map((f) => [u.accounts[f.account]!.id, u.currencies[f.currency]!, f64Bits(f.amount)] as [string, string, string]),
  };
}

function nodeKey(s: EngineState, node: number): string {
  const info = s.universe.nodes[node]!;
  return `${info.kind}:${info.id}`;
}

function fixed(text: string, what: string): Fixed {
  const r = parseFixed(text);
  if (!r.ok) throw new Error(`snapshot ${what}: bad decimal ${text}`);
  return r.value;
}

/** Loads a snapshot into a freshly constructed state (same registry and config). Throws on mismatch. */
export function restoreState(s: EngineState, snap: EngineSnapshot): void {
  if (snap.v !== 1) throw new Error(`unsupported snapshot version ${String(snap.v)}`);
  const u = s.universe;
  const n = u.n;
  const nodeIndex = new Map(u.nodes.map((node, k) => [`${node.kind}:${node.id}`, k]));
  const account = (id: string): number => {
    const a = u.accountOf(id);
    if (a < 0) throw new Error(`snapshot names unknown account ${id}`);
    return a;
  };
  const instrument = (id: string): number => {
    const i = s.registry.indexOf(id);
    if (i < 0) throw new Error(`snapshot names unknown instrument ${id}`);
    return i;
  };
  s.now = fromF64Bits(snap.clocks.now);
  s.nextRevalue = fromF64Bits(snap.clocks.nextRevalue);
  s.nextReprice = fromF64Bits(snap.clocks.nextReprice);
  s.nextSample = fromF64Bits(snap.clocks.nextSample);
  s.nextDayRoll = fromF64Bits(snap.clocks.nextDayRoll);
  Object.assign(s.counters, snap.counters);
  s.ledger = Ledger.restore(s.registry, u.accountRefs, snap.ledger);
  for (const k of MARKET_ARRAYS) decodeF64Into(snap.market[k] ?? '', s.market[k], `market.${k}`);
  for (const k of MARKET_BYTES) decodeBytesInto(snap.market[k] ?? '', s.market[k], `market.${k}`);
  snap.markText.forEach((t, i) => (s.market.markText[i] = t));
  for (const ls of snap.legs) {
    const leg = s.leg(account(ls.account), instrument(ls.instrument));
    leg.qty = fixed(ls.qty, 'leg qty');
    leg.resBuyLots = ls.resBuyLots;
    leg.resSellLots = ls.resSellLots;
    const f = ls.floats.map(fromF64Bits);
    [leg.costF, leg.value, leg.gross, leg.net, leg.im, leg.units, leg.delta, leg.gamma, leg.vega, leg.varW, leg.qtyF] = f as [number, number, number, number, number, number, number, number, number, number, number];
    leg.priced = ls.priced;
  }
  for (const [insId, accounts] of snap.holders) {
    const i = instrument(insId);
    for (const acc of accounts) s.listHolder(s.leg(account(acc), i));
  }
  for (const [nodeId, insId, qtyLots, resBuyLots, resSellLots] of snap.nodeQtys) {
    const node = nodeIndex.get(nodeId);
    if (node === undefined) throw new Error(`snapshot names unknown node ${nodeId}`);
    const q = s.mutableNodeQty(node, instrument(insId));
    q.qtyLots = qtyLots;
    q.resBuyLots = resBuyLots;
    q.resSellLots = resSellLots;
  }
  const errors: LimitError[] = [];
  for (const [nodeId, set] of snap.limits) {
    const node = nodeIndex.get(nodeId);
    if (node === undefined) throw new Error(`snapshot names unknown node ${nodeId}`);
    s.limits[node] = compileLimits(limitSetFromDescription(set), u, `snapshot.limits.${nodeId}`, errors);
  }
  if (errors.length > 0) throw new Error(`snapshot limits: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  decodeBytesInto(snap.tradingStates, s.tradingStates, 'tradingStates');
  snap.stateReasons.forEach((r, k) => (s.stateReasons[k] = r));
  const byKey = new Map<string, Reservation>();
  const all: Reservation[] = [];
  for (const rs of snap.reservations) {
    const per = rs.per.map(fromF64Bits);
    const r = new Reservation(rs.clOrdId, account(rs.account), instrument(rs.instrument), rs.side, rs.remainingLots, fromF64Bits(rs.remainingF), rs.approvedAt, rs.expiresAt, {
      gross: per[0]!,
      net: per[1]!,
      im: per[2]!,
      units: per[3]!,
      delta: per[4]!,
      gamma: per[5]!,
      vega: per[6]!,
      varBound: per[7]!,
    });
    r.acked = rs.acked;
    all.push(r);
    byKey.set(`${rs.account}\u0000${rs.clOrdId}`, r);
  }
  const pick = (list: Array<[string, string]>): Reservation[] =>
    list.map(([a, id]) => {
      const r = byKey.get(`${a}\u0000${id}`);
      if (r === undefined) throw new Error(`snapshot queue names unknown reservation ${a}/${id}`);
      return r;
    });
  s.reservations.restore(all, pick(snap.pendingQueue), pick(snap.openQueue));
  snap.rates.forEach((values, k) => (s.rates[k] = RateWindow.restore(values)));
  snap.duplicates.forEach((entries, k) => (s.duplicates[k] = IdWindow.restore(s.config.duplicateWindowMaxOrders, entries)));
  const arrays = s.agg.arrays();
  if (snap.aggregates.length !== arrays.length) throw new Error('snapshot aggregates: shape mismatch');
  arrays.forEach((a, k) => (a instanceof Float64Array ? decodeF64Into(snap.aggregates[k]!, a, `aggregates[${k}]`) : decodeBytesInto(snap.aggregates[k]!, a, `aggregates[${k}]`)));
  decodeF64Into(snap.accountCash, s.accountCash, 'accountCash');
  decodeF64Into(snap.cashValues, s.cashValues, 'cashValues');
  snap.cashHolders.forEach((list, c) => (s.cashHolders[c] = list.map(account)));
  const cov = new Float64Array(n * n);
  decodeF64Into(snap.covariance, cov, 'covariance');
  s.cov.seed(cov);
  snap.books.forEach((b, k) => s.books[k]!.importState(b));
  decodeF64Into(snap.sampleMarks, s.sampleMarks, 'sampleMarks');
  s.pendingFlows = snap.pendingFlows.map(([acc, ccy, bits]) => {
    const c = u.currencyIdx(ccy);
    if (c < 0) throw new Error(`snapshot names unknown currency ${ccy}`);
    return { account: account(acc), currency: c, amount: fromF64Bits(bits) };
  });
}

/** Inverse of describeLimits: back to the configured shape. */
function limitSetFromDescription(d: Record<string, unknown>): LimitSet {
  const { orderRateMaxOrders, orderRateWindowMs, ...rest } = d as Record<string, unknown> & { orderRateMaxOrders?: number; orderRateWindowMs?: number };
  const set = { ...rest } as LimitSet;
  if (orderRateMaxOrders !== undefined && orderRateWindowMs !== undefined) set.orderRate = { maxOrders: orderRateMaxOrders, windowMs: orderRateWindowMs };
  return set;
}
