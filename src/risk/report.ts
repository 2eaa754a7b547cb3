/**
 * The engine's state as the desk and `keel replay` see it: exact positions and cash from the
 * ledger, and the risk aggregates (float) per account, strategy and firm. Deterministic order.
 */
import { format, fromNumber, parseFixedRounded, type Fixed } from '../portfolio/fixed.js';
import { averageEntry, unrealizedPnl } from '../portfolio/valuation.js';
import { fixedFromSteps } from './lots.js';
import { NU_DELTA, NU_GAMMA, NU_GROSS, NU_VEGA } from './exposures.js';
import type { EngineState } from './state.js';
import { TRADING_STATES } from './state.js';

export interface NodeReport {
  kind: 'firm' | 'strategy' | 'account';
  id: string;
  state: string;
  stateReason?: string;
  equity: number;
  dailyPnl: number;
  drawdown: number;
  grossNotional: number;
  netNotional: number;
  openOrderGross: number;
  initialMargin: number;
  var: number;
  es: number;
  underlyings: Record<string, { gross: number; delta: number; gamma: number; vega: number }>;
  venueExposure: Record<string, number>;
  unpricedPositions: number;
}

export interface PositionReport {
  instrument: string;
  qty: string;
  avgEntry: string | null;
  cost: string;
  realized: string;
  fees: string;
  funding: string;
  mark: string | null;
  unrealized: string | null;
  notional: number;
  delta: number;
  componentVar: number;
}

export interface AccountReport extends NodeReport {
  strategy: string;
  venue: string;
  cash: Record<string, string>;
  positions: PositionReport[];
}

export interface EngineReport {
  ts: number;
  reportingCurrency: string;
  firm: NodeReport;
  strategies: NodeReport[];
  accounts: AccountReport[];
  openOrders: Array<{ account: string; clOrdId: string; instrument: string; side: 'buy' | 'sell'; remaining: string; acked: boolean; expiresAt: number }>;
  counters: Record<string, number>;
}

const r6 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

function nodeReport(s: EngineState, node: number): NodeReport {
  const u = s.universe;
  const a = s.agg;
  const info = u.nodes[node]!;
  const underlyings: NodeReport['underlyings'] = {};
  u.underlyings.forEach((name, ui) => {
    const base = a.nuBase(node, ui);
    const gross = a.nu[base + NU_GROSS]!;
    const delta = a.nu[base + NU_DELTA]!;
    if (gross === 0 && delta === 0) return;
    underlyings[name] = { gross: r6(gross), delta: r6(delta), gamma: r6(a.nu[base + NU_GAMMA]!), vega: r6(a.nu[base + NU_VEGA]!) };
  });
  const venueExposure: Record<string, number> = {};
  for (let v = 0; v < a.venueCount; v++) {
    const x = a.venueExposure[node * a.venueCount + v]!;
    if (x !== 0) venueExposure[u.venueName(v)] = r6(x);
  }
  const report: NodeReport = {
    kind: info.kind,
    id: info.id,
    state: TRADING_STATES[s.tradingStates[node]!]!,
    equity: r6(a.equity(node)),
    dailyPnl: r6(a.dailyPnl(node)),
    drawdown: r6(a.drawdown(node)),
    grossNotional: r6(a.posGross[node]!),
    netNotional: r6(a.posNet[node]!),
    openOrderGross: r6(a.resGross[node]!),
    initialMargin: r6(a.posIm[node]!),
    var: r6(s.valueAtRisk(node)),
    es: r6(s.expectedShortfall(node)),
    underlyings,
    venueExposure,
    unpricedPositions: a.unpricedLegs[node]!,
  };
  if (s.stateReasons[node]) report.stateReason = s.stateReasons[node]!;
  return report;
}

function markFixed(s: EngineState, i: number): Fixed | null {
  const text = s.market.markText[i]!;
  if (text !== '') {
    const r = parseFixedRounded(text);
    if (r.ok && r.value > 0n) return r.value;
  }
  const m = s.market.mark[i]!;
  return m > 0 ? fromNumber(m) : null;
}

export function buildReport(s: EngineState): EngineReport {
  const u = s.universe;
  const accounts: AccountReport[] = u.accounts.map((acc) => {
    const base = nodeReport(s, acc.node);
    const cash: Record<string, string> = {};
    for (const [ccy, amount] of [...s.ledger.balances(acc.idx)].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
      if (amount !== 0n) cash[ccy] = format(amount);
    }
    const positions: PositionReport[] = [];
    const book = s.books[acc.node]!;
    for (const pos of s.ledger.positions(acc.idx)) {
      if (pos.qty === 0n && pos.realized === 0n && pos.funding === 0n && pos.fees === 0n) continue;
      const ins = s.registry.get(pos.instrument);
      const mark = markFixed(s, ins.idx);
      const entry = averageEntry(ins, pos);
      const leg = s.peekLeg(acc.idx, ins.idx);
      const f = u.factorOf[ins.idx]!;
      positions.push({
        instrument: ins.id,
        qty: format(pos.qty),
        avgEntry: entry === undefined ? null : format(entry),
        cost: format(pos.cost),
        realized: format(pos.realized),
        fees: format(pos.fees),
        funding: format(pos.funding),
        mark: mark === null ? null : format(mark),
        unrealized: mark === null ? null : format(unrealizedPnl(ins, pos, mark)),
        notional: r6(leg?.net ?? 0),
        delta: r6(leg?.delta ?? 0),
        componentVar: r6(leg === undefined || leg.varW === 0 ? 0 : componentVar(s, book, f, leg.varW)),
      });
    }
    return { ...base, strategy: s.config.accounts[acc.id]!.strategy, venue: u.venueName(acc.venue), cash, positions };
  });
  const strategies: NodeReport[] = [];
  for (let k = 1; k <= u.strategyCount; k++) strategies.push(nodeReport(s, k));
  const openOrders: EngineReport['openOrders'] = [];
  for (const r of s.reservations.all()) {
    openOrders.push({
      account: u.accounts[r.account]!.id,
      clOrdId: r.clOrdId,
      instrument: s.registry.get(r.instrument).id,
      side: r.side === 1 ? 'buy' : 'sell',
      remaining: format(fixedFromSteps(r.remainingLots, u.lots[r.instrument]!)),
      acked: r.acked,
      expiresAt: r.expiresAt,
    });
  }
  return {
    ts: s.now,
    reportingCurrency: s.config.reportingCurrency,
    firm: nodeReport(s, 0),
    strategies,
    accounts,
    openOrders,
    counters: { ...s.counters },
  };
}

/**
 * Euler component VaR of one position: its share of the book's factor component, split pro rata
 * when several positions map to the same factor (options onto their underlying).
 */
function componentVar(s: EngineState, book: EngineState['books'][number], factor: number, w: number): number {
  const total = book.exposure(factor);
  if (total === 0) return 0;
  return book.componentVar(factor, s.z * s.horizonScale) * (w / total);
}
