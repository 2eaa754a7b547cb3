/**
 * Dense integer indexes for everything the engine aggregates over: instruments (from the
 * registry), underlyings, venues, currencies and the limit hierarchy's nodes. Built once at
 * start; string ids exist only at the edges.
 *
 * Nodes: 0 is the firm, then one per strategy, then one per account. Every account belongs to one
 * strategy, every strategy to the firm, so an account's chain is [account, strategy, firm].
 */
import type { Fixed } from '../portfolio/fixed.js';
import { parseFixed } from '../portfolio/fixed.js';
import type { AccountRef } from '../portfolio/ledger.js';
import { VENUES, type InstrumentRegistry, type Venue } from '../portfolio/instruments.js';
import { lotScale, tickScale, type StepScale } from './lots.js';
import type { RiskConfig } from './config.js';

export type NodeKind = 'firm' | 'strategy' | 'account';

export interface NodeInfo {
  readonly idx: number;
  readonly kind: NodeKind;
  readonly id: string;
}

export interface AccountInfo {
  readonly idx: number;
  readonly id: string;
  readonly node: number;
  readonly strategyNode: number;
  readonly venue: number;
  /** [account node, strategy node, firm node]. */
  readonly chain: readonly [number, number, number];
}

export interface UniverseError {
  path: string;
  message: string;
}

export class Universe {
  readonly registry: InstrumentRegistry;
  readonly n: number;
  readonly underlyings: readonly string[];
  /** Underlying index per instrument. */
  readonly underlyingOf: Int32Array;
  readonly venueOf: Int32Array;
  readonly currencies: readonly string[];
  readonly quoteCcyOf: Int32Array;
  readonly settleCcyOf: Int32Array;
  /** Per currency: -1 when valued at a fixed rate, else the instrument whose mark values it. */
  readonly fxInstrument: Int32Array;
  readonly fxFixed: Float64Array;
  /** Per currency valued by an instrument: the currency that instrument is quoted in. */
  readonly fxVia: Int32Array;
  /** VaR factor per instrument: itself, or for options the underlying's reference instrument. */
  readonly factorOf: Int32Array;
  /** Lot and tick grids per instrument (exact quantity arithmetic in lots, src/risk/lots.ts). */
  readonly lots: readonly StepScale[];
  readonly ticks: readonly StepScale[];
  readonly nodes: readonly NodeInfo[];
  readonly accounts: readonly AccountInfo[];
  readonly accountRefs: readonly AccountRef[];
  readonly strategyCount: number;
  private readonly accountIndex = new Map<string, number>();
  private readonly underlyingIndex = new Map<string, number>();
  private readonly currencyIndex = new Map<string, number>();
  private readonly nodeIndex = new Map<string, number>();

  private constructor(registry: InstrumentRegistry, config: RiskConfig, errors: UniverseError[]) {
    this.registry = registry;
    const n = registry.size;
    this.n = n;
    this.underlyings = registry.underlyings();
    this.underlyings.forEach((u, i) => this.underlyingIndex.set(u, i));
    this.underlyingOf = new Int32Array(n);
    this.lots = registry.all.map(lotScale);
    this.ticks = registry.all.map(tickScale);
    this.venueOf = new Int32Array(n);
    this.quoteCcyOf = new Int32Array(n);
    this.settleCcyOf = new Int32Array(n);
    this.factorOf = new Int32Array(n);

    const ccys = new Set<string>([config.reportingCurrency, ...Object.keys(config.currencies)]);
    for (const ins of registry.all) {
      ccys.add(ins.spec.quote);
      ccys.add(ins.spec.settle);
      ccys.add(ins.spec.base);
    }
    this.currencies = [...ccys].sort();
    this.currencies.forEach((c, i) => this.currencyIndex.set(c, i));
    this.fxInstrument = new Int32Array(this.currencies.length).fill(-1);
    this.fxFixed = new Float64Array(this.currencies.length).fill(Number.NaN);
    this.fxVia = new Int32Array(this.currencies.length).fill(-1);
    this.currencies.forEach((c, i) => {
      if (c === config.reportingCurrency) {
        this.fxFixed[i] = 1;
        return;
      }
      const v = config.currencies[c];
      if (v === undefined) return; // valued NaN: unpriced; positions in it fail closed
      if ('fixed' in v) {
        const r = parseFixed(v.fixed);
        if (!r.ok || r.value <= 0n) errors.push({ path: `risk.currencies.${c}.fixed`, message: `not a positive decimal: ${v.fixed}` });
        else this.fxFixed[i] = Number(v.fixed);
      } else {
        const idx = registry.indexOf(v.instrument);
        if (idx < 0) errors.push({ path: `risk.currencies.${c}.instrument`, message: `unknown instrument ${v.instrument}` });
        else {
          const ins = registry.get(idx);
          if (ins.isOption || ins.inverse) errors.push({ path: `risk.currencies.${c}.instrument`, message: 'only spot or linear instruments can value a currency' });
          if (ins.spec.base !== c) errors.push({ path: `risk.currencies.${c}.instrument`, message: `${v.instrument} does not price ${c}` });
          this.fxInstrument[i] = idx;
        }
      }
    });

    // An instrument quoted in another currency chains through that currency's valuation.
    this.currencies.forEach((_, i) => {
      const src = this.fxInstrument[i]!;
      if (src >= 0) this.fxVia[i] = this.currencyIndex.get(registry.get(src).spec.quote) ?? -1;
    });
    this.currencies.forEach((c, i) => {
      let hops = 0;
      for (let k = i; this.fxInstrument[k]! >= 0; k = this.fxVia[k]!) {
        if (this.fxVia[k]! < 0 || ++hops > 3) {
          errors.push({ path: `risk.currencies.${c}`, message: 'valuation chain does not reach a fixed rate within 3 steps' });
          break;
        }
      }
    });

    const reference = new Int32Array(this.underlyings.length).fill(-1);
    this.underlyings.forEach((u, ui) => {
      const configured = config.underlyings[u];
      if (configured !== undefined) {
        const idx = registry.indexOf(configured.reference);
        if (idx < 0 || registry.get(idx).isOption) {
          errors.push({ path: `risk.underlyings.${u}.reference`, message: `not a known non-option instrument: ${configured.reference}` });
        } else reference[ui] = idx;
      }
      if (reference[ui] === -1) {
        // Default: the first spot instrument of the underlying, else its first non-option.
        const spot = registry.all.find((i) => i.spec.underlying === u && i.kind === 'spot');
        const any = registry.all.find((i) => i.spec.underlying === u && !i.isOption);
        reference[ui] = (spot ?? any)?.idx ?? -1;
      }
    });
    for (const ins of registry.all) {
      const ui = this.underlyingIndex.get(ins.spec.underlying)!;
      this.underlyingOf[ins.idx] = ui;
      this.venueOf[ins.idx] = VENUES.indexOf(ins.venue);
      this.quoteCcyOf[ins.idx] = this.currencyIndex.get(ins.spec.quote)!;
      this.settleCcyOf[ins.idx] = this.currencyIndex.get(ins.spec.settle)!;
      if (ins.isOption) {
        const ref = reference[ui]!;
        if (ref < 0) errors.push({ path: `instruments.${ins.id}`, message: `option on ${ins.spec.underlying} has no non-option reference instrument` });
        this.factorOf[ins.idx] = ref < 0 ? ins.idx : ref;
      } else {
        this.factorOf[ins.idx] = ins.idx;
      }
    }

    const nodes: NodeInfo[] = [{ idx: 0, kind: 'firm', id: 'firm' }];
    this.nodeIndex.set('firm:firm', 0);
    const strategyIds = Object.keys(config.strategies);
    for (const s of strategyIds) {
      const idx = nodes.length;
      nodes.push({ idx, kind: 'strategy', id: s });
      this.nodeIndex.set(`strategy:${s}`, idx);
    }
    this.strategyCount = strategyIds.length;
    const accounts: AccountInfo[] = [];
    const refs: AccountRef[] = [];
    for (const [id, acc] of Object.entries(config.accounts)) {
      const strategyNode = this.nodeIndex.get(`strategy:${acc.strategy}`);
      if (strategyNode === undefined) errors.push({ path: `risk.accounts.${id}.strategy`, message: `unknown strategy ${acc.strategy}` });
      const venue = VENUES.indexOf(acc.venue as Venue);
      if (venue < 0) errors.push({ path: `risk.accounts.${id}.venue`, message: `unknown venue ${acc.venue}` });
      const node = nodes.length;
      nodes.push({ idx: node, kind: 'account', id });
      this.nodeIndex.set(`account:${id}`, node);
      const idx = accounts.length;
      accounts.push({ idx, id, node, strategyNode: strategyNode ?? 0, venue: Math.max(venue, 0), chain: [node, strategyNode ?? 0, 0] });
      refs.push({ id, strategy: acc.strategy, venue: (VENUES[venue] ?? 'binance') as Venue });
      this.accountIndex.set(id, idx);
    }
    this.nodes = nodes;
    this.accounts = accounts;
    this.accountRefs = refs;
  }

  static build(registry: InstrumentRegistry, config: RiskConfig): Universe | UniverseError[] {
    const errors: UniverseError[] = [];
    const u = new Universe(registry, config, errors);
    return errors.length > 0 ? errors : u;
  }

  accountOf(id: string): number {
    return this.accountIndex.get(id) ?? -1;
  }

  underlyingIdx(u: string): number {
    return this.underlyingIndex.get(u) ?? -1;
  }

  currencyIdx(c: string): number {
    return this.currencyIndex.get(c) ?? -1;
  }

  node(kind: NodeKind, id: string): number {
    return this.nodeIndex.get(`${kind}:${id}`) ?? -1;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  venueName(v: number): Venue {
    return VENUES[v]!;
  }
}

/** Parses a configured quantity limit into an exact value (contracts). */
export function quantityLimit(value: number | undefined): Fixed | null {
  if (value === undefined) return null;
  const r = parseFixed(String(value));
  return r.ok ? r.value : null;
}
