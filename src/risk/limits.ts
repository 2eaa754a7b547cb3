/**
 * Limits compiled for the hot path: one `NodeLimits` per node of the hierarchy (firm, strategy,
 * account) with every scalar limit as a number (NaN = not set at this level) and the keyed limits
 * (per instrument, underlying, venue) indexed by dense ids. Admin events change them at run time
 * through `setLimit`, which validates the name and value and reports what it replaced.
 */
import { toNumber, type Fixed } from '../portfolio/fixed.js';
import { VENUES, type Venue } from '../portfolio/instruments.js';
import type { LimitSet } from './config.js';
import { stepsBelow } from './lots.js';
import { quantityLimit, type Universe } from './universe.js';

export const SCALAR_LIMITS = [
  'maxOrderQty',
  'maxOrderNotional',
  'priceCollarPct',
  'priceCollarTicks',
  'marketOrderSlippagePct',
  'maxGrossNotional',
  'maxNetNotional',
  'maxConcentration',
  'concentrationMinGross',
  'maxMarginUtilization',
  'maxDailyLoss',
  'maxDrawdown',
  'maxVar',
  'maxBookFraction',
  'maxAdvFraction',
  'orderRateMaxOrders',
  'orderRateWindowMs',
] as const;
export type ScalarLimit = (typeof SCALAR_LIMITS)[number];

export const INSTRUMENT_LIMITS = ['instrument.maxOrderQty', 'instrument.maxPosition'] as const;
export const UNDERLYING_LIMITS = ['underlying.maxPosition', 'underlying.maxDelta', 'underlying.maxGamma', 'underlying.maxVega'] as const;
export const VENUE_LIMITS = ['venue.maxExposure'] as const;
export type KeyedLimit = (typeof INSTRUMENT_LIMITS)[number] | (typeof UNDERLYING_LIMITS)[number] | (typeof VENUE_LIMITS)[number];
export type LimitName = ScalarLimit | KeyedLimit;

export interface InstrumentLimit {
  maxOrderQty: Fixed | null;
  maxPosition: Fixed | null;
  /** The same in whole lots of the instrument (NaN = none): exact comparisons without bigint. */
  maxOrderQtyLots: number;
  maxPositionLots: number;
}

export class NodeLimits {
  maxOrderQty = Number.NaN;
  maxOrderNotional = Number.NaN;
  priceCollarPct = Number.NaN;
  priceCollarTicks = Number.NaN;
  marketOrderSlippagePct = Number.NaN;
  maxGrossNotional = Number.NaN;
  maxNetNotional = Number.NaN;
  maxConcentration = Number.NaN;
  concentrationMinGross = Number.NaN;
  maxMarginUtilization = Number.NaN;
  maxDailyLoss = Number.NaN;
  maxDrawdown = Number.NaN;
  maxVar = Number.NaN;
  maxBookFraction = Number.NaN;
  maxAdvFraction = Number.NaN;
  orderRateMaxOrders = Number.NaN;
  orderRateWindowMs = Number.NaN;
  /** Exact form of maxOrderQty for the comparison (contracts). */
  maxOrderQtyExact: Fixed | null = null;
  /** Per-instrument limits by dense id (sparse); `instrument(i)` is the hot-path accessor. */
  readonly instruments = new Map<number, InstrumentLimit>();
  private readonly instrumentSlots: Array<InstrumentLimit | undefined>;
  /** Per underlying index: [maxPosition, maxDelta, maxGamma, maxVega], NaN = none. */
  readonly underlyings: Float64Array;
  /** Per venue index: maxExposure, NaN = none. */
  readonly venues: Float64Array;

  constructor(instrumentCount: number, underlyingCount: number, venueCount: number) {
    this.instrumentSlots = new Array<InstrumentLimit | undefined>(instrumentCount).fill(undefined);
    this.underlyings = new Float64Array(underlyingCount * 4).fill(Number.NaN);
    this.venues = new Float64Array(venueCount).fill(Number.NaN);
  }

  instrument(i: number): InstrumentLimit | undefined {
    return this.instrumentSlots[i];
  }

  setInstrument(i: number, limit: InstrumentLimit): void {
    this.instruments.set(i, limit);
    this.instrumentSlots[i] = limit;
  }
}

export interface LimitError {
  path: string;
  message: string;
}

/** Compiles a configured LimitSet for one node; unknown keys become errors with their path. */
export function compileLimits(set: LimitSet | undefined, universe: Universe, path: string, errors: LimitError[]): NodeLimits {
  const limits = new NodeLimits(universe.n, universe.underlyings.length, VENUES.length);
  if (set === undefined) return limits;
  const scalar = (name: ScalarLimit, value: number | undefined): void => {
    if (value === undefined) return;
    const problem = validateScalar(name, value);
    if (problem !== null) errors.push({ path: `${path}.${name}`, message: problem });
    else assignScalar(limits, name, value);
  };
  scalar('maxOrderQty', set.maxOrderQty);
  scalar('maxOrderNotional', set.maxOrderNotional);
  scalar('priceCollarPct', set.priceCollarPct);
  scalar('priceCollarTicks', set.priceCollarTicks);
  scalar('marketOrderSlippagePct', set.marketOrderSlippagePct);
  scalar('maxGrossNotional', set.maxGrossNotional);
  scalar('maxNetNotional', set.maxNetNotional);
  scalar('maxConcentration', set.maxConcentration);
  scalar('concentrationMinGross', set.concentrationMinGross);
  scalar('maxMarginUtilization', set.maxMarginUtilization);
  scalar('maxDailyLoss', set.maxDailyLoss);
  scalar('maxDrawdown', set.maxDrawdown);
  scalar('maxVar', set.maxVar);
  scalar('maxBookFraction', set.maxBookFraction);
  scalar('maxAdvFraction', set.maxAdvFraction);
  if (set.orderRate !== undefined) {
    scalar('orderRateMaxOrders', set.orderRate.maxOrders);
    scalar('orderRateWindowMs', set.orderRate.windowMs);
  }
  for (const [id, il] of Object.entries(set.instruments ?? {})) {
    const idx = universe.registry.indexOf(id);
    if (idx < 0) {
      errors.push({ path: `${path}.instruments.${id}`, message: `unknown instrument ${id}` });
      continue;
    }
    if (il.maxOrderQty !== undefined) applyKeyed(limits, universe, 'instrument.maxOrderQty', id, il.maxOrderQty, `${path}.instruments.${id}`, errors);
    if (il.maxPosition !== undefined) applyKeyed(limits, universe, 'instrument.maxPosition', id, il.maxPosition, `${path}.instruments.${id}`, errors);
  }
  for (const [u, ul] of Object.entries(set.underlyings ?? {})) {
    const p = `${path}.underlyings.${u}`;
    if (ul.maxPosition !== undefined) applyKeyed(limits, universe, 'underlying.maxPosition', u, ul.maxPosition, p, errors);
    if (ul.maxDelta !== undefined) applyKeyed(limits, universe, 'underlying.maxDelta', u, ul.maxDelta, p, errors);
    if (ul.maxGamma !== undefined) applyKeyed(limits, universe, 'underlying.maxGamma', u, ul.maxGamma, p, errors);
    if (ul.maxVega !== undefined) applyKeyed(limits, universe, 'underlying.maxVega', u, ul.maxVega, p, errors);
  }
  for (const [v, vl] of Object.entries(set.venues ?? {})) {
    if (vl.maxExposure !== undefined) applyKeyed(limits, universe, 'venue.maxExposure', v, vl.maxExposure, `${path}.venues.${v}`, errors);
  }
  return limits;
}

function validateScalar(name: ScalarLimit, value: number): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
  if (value < 0) return 'must be >= 0';
  if ((name === 'maxConcentration' || name === 'priceCollarPct' || name === 'marketOrderSlippagePct') && value > 1) return 'is a fraction: must be <= 1';
  if ((name === 'orderRateMaxOrders' || name === 'orderRateWindowMs' || name === 'priceCollarTicks') && !Number.isInteger(value)) return 'must be an integer';
  if (name === 'orderRateMaxOrders' && value > 10_000_000) return 'must be <= 10000000';
  return null;
}

function assignScalar(limits: NodeLimits, name: ScalarLimit, value: number): void {
  limits[name] = value;
  if (name === 'maxOrderQty') limits.maxOrderQtyExact = quantityLimit(value);
}

function applyKeyed(
  limits: NodeLimits,
  universe: Universe,
  name: KeyedLimit,
  key: string,
  value: number | null,
  path: string,
  errors: LimitError[],
): number | null {
  if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
    errors.push({ path, message: `${name} must be a finite number >= 0` });
    return null;
  }
  if (name === 'instrument.maxOrderQty' || name === 'instrument.maxPosition') {
    const idx = universe.registry.indexOf(key);
    if (idx < 0) {
      errors.push({ path, message: `unknown instrument ${key}` });
      return null;
    }
    const entry = limits.instruments.get(idx) ?? { maxOrderQty: null, maxPosition: null, maxOrderQtyLots: Number.NaN, maxPositionLots: Number.NaN };
    const field = name === 'instrument.maxOrderQty' ? 'maxOrderQty' : 'maxPosition';
    const before = entry[field];
    const exact = value === null ? null : quantityLimit(value);
    entry[field] = exact;
    const lots = exact === null ? Number.NaN : stepsBelow(exact, universe.lots[idx]!);
    if (field === 'maxOrderQty') entry.maxOrderQtyLots = lots;
    else entry.maxPositionLots = lots;
    limits.setInstrument(idx, entry);
    return before === null ? null : toNumber(before);
  }
  if (name === 'venue.maxExposure') {
    const v = VENUES.indexOf(key as Venue);
    if (v < 0) {
      errors.push({ path, message: `unknown venue ${key}` });
      return null;
    }
    const before = limits.venues[v]!;
    limits.venues[v] = value ?? Number.NaN;
    return Number.isNaN(before) ? null : before;
  }
  const u = universe.underlyingIdx(key);
  if (u < 0) {
    errors.push({ path, message: `unknown underlying ${key}` });
    return null;
  }
  const slot = u * 4 + UNDERLYING_LIMITS.indexOf(name);
  const before = limits.underlyings[slot]!;
  limits.underlyings[slot] = value ?? Number.NaN;
  return Number.isNaN(before) ? null : before;
}

export type SetLimitResult = { ok: true; previous: number | null } | { ok: false; message: string };

/** Run-time change from an admin event. `value` null removes the limit at this level. */
export function setLimit(limits: NodeLimits, universe: Universe, name: string, key: string | undefined, value: number | null): SetLimitResult {
  if ((SCALAR_LIMITS as readonly string[]).includes(name)) {
    if (key !== undefined) return { ok: false, message: `${name} takes no key` };
    const scalarName = name as ScalarLimit;
    const before = limits[scalarName];
    if (value === null) {
      limits[scalarName] = Number.NaN;
      if (scalarName === 'maxOrderQty') limits.maxOrderQtyExact = null;
    } else {
      const problem = validateScalar(scalarName, value);
      if (problem !== null) return { ok: false, message: `${name} ${problem}` };
      assignScalar(limits, scalarName, value);
    }
    return { ok: true, previous: Number.isNaN(before) ? null : before };
  }
  const keyed = [...INSTRUMENT_LIMITS, ...UNDERLYING_LIMITS, ...VENUE_LIMITS] as readonly string[];
  if (keyed.includes(name)) {
    if (key === undefined) return { ok: false, message: `${name} needs a key` };
    const errors: LimitError[] = [];
    const previous = applyKeyed(limits, universe, name as KeyedLimit, key, value, name, errors);
    if (errors.length > 0) return { ok: false, message: errors.map((e) => e.message).join('; ') };
    return { ok: true, previous };
  }
  return { ok: false, message: `unknown limit ${name}` };
}

/** The configured form of a node's limits, for reports and snapshots. */
export function describeLimits(limits: NodeLimits, universe: Universe): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of SCALAR_LIMITS) if (!Number.isNaN(limits[name])) out[name] = limits[name];
  const instruments: Record<string, Record<string, number>> = {};
  for (const [idx, il] of limits.instruments) {
    const e: Record<string, number> = {};
    if (il.maxOrderQty !== null) e.maxOrderQty = toNumber(il.maxOrderQty);
    if (il.maxPosition !== null) e.maxPosition = toNumber(il.maxPosition);
    if (Object.keys(e).length > 0) instruments[universe.registry.get(idx).id] = e;
  }
  if (Object.keys(instruments).length > 0) out.instruments = instruments;
  const underlyings: Record<string, Record<string, number>> = {};
  universe.underlyings.forEach((u, ui) => {
    const e: Record<string, number> = {};
    UNDERLYING_LIMITS.forEach((n, k) => {
      const v = limits.underlyings[ui * 4 + k]!;
      if (!Number.isNaN(v)) e[n.slice('underlying.'.length)] = v;
    });
    if (Object.keys(e).length > 0) underlyings[u] = e;
  });
  if (Object.keys(underlyings).length > 0) out.underlyings = underlyings;
  const venues: Record<string, Record<string, number>> = {};
  VENUES.forEach((v, vi) => {
    const x = limits.venues[vi]!;
    if (!Number.isNaN(x)) venues[v] = { maxExposure: x };
  });
  if (Object.keys(venues).length > 0) out.venues = venues;
  return out;
}
