/**
 * Validation at the edge: turns untrusted JSON into typed events, or into a structured error
 * saying which field is wrong and why. Unknown fields are errors (a misspelt `reduceOnly` must
 * not silently become a normal order). Nothing here throws.
 */
import { parseFixed, type Fixed } from '../portfolio/fixed.js';
import { FEED_STATUS_CODES } from './market-state.js';
import type { Envelope, InputEvent, Order } from './events.js';
import { ENVELOPE_VERSION } from './events.js';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `order.qty`. */
  field: string;
  problem: string;
}

export type OrderValidation = { ok: true; order: Order; qty: Fixed; price: Fixed | null } | { ok: false; errors: FieldError[] };

const ID_MAX = 128;

/** Validates a check request's order (what gateways send). */
export function validateOrder(input: unknown, prefix = 'order'): OrderValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: prefix, problem: 'must be an object' }] };
  }
  const errors: FieldError[] = [];
  const o = input as Record<string, unknown>;
  for (const key in o) {
    switch (key) {
      case 'clOrdId':
      case 'account':
      case 'instrument':
      case 'side':
      case 'type':
      case 'qty':
      case 'price':
      case 'reduceOnly':
        break;
      default:
        errors.push({ field: `${prefix}.${key}`, problem: 'unknown field' });
    }
  }
  id(o.clOrdId, `${prefix}.clOrdId`, errors);
  id(o.account, `${prefix}.account`, errors);
  id(o.instrument, `${prefix}.instrument`, errors);
  const side = o.side;
  if (side !== 'buy' && side !== 'sell') errors.push({ field: `${prefix}.side`, problem: 'must be "buy" or "sell"' });
  const type = o.type;
  if (type !== 'limit' && type !== 'market') errors.push({ field: `${prefix}.type`, problem: 'must be "limit" or "market"' });
  const qty = decimal(o.qty, `${prefix}.qty`, errors, true);
  let price: Fixed | null = null;
  if (o.price !== undefined) {
    if (type === 'market') errors.push({ field: `${prefix}.price`, problem: 'market orders carry no price' });
    else price = decimal(o.price, `${prefix}.price`, errors, true);
  } else if (type === 'limit') errors.push({ field: `${prefix}.price`, problem: 'required for limit orders' });
  if (o.reduceOnly !== undefined && typeof o.reduceOnly !== 'boolean') errors.push({ field: `${prefix}.reduceOnly`, problem: 'must be a boolean' });
  if (errors.length > 0 || qty === null) return { ok: false, errors };
  // Every key and type was checked above: the input is an Order (no copy on the hot path).
  return { ok: true, order: o as unknown as Order, qty, price };
}

function id(v: unknown, field: string, errors: FieldError[]): void {
  if (typeof v !== 'string' || v.length === 0) {
    errors.push({ field, problem: 'must be a non-empty string' });
    return;
  }
  if (v.length > ID_MAX) errors.push({ field, problem: `longer than ${ID_MAX} characters` });
}

function decimal(v: unknown, field: string, errors: FieldError[], positive: boolean): Fixed | null {
  if (typeof v !== 'string') {
    errors.push({ field, problem: typeof v === 'number' ? 'must be a decimal string, not a JSON number (exactness)' : 'must be a decimal string' });
    return null;
  }
  const r = parseFixed(v);
  if (!r.ok) {
    errors.push({ field, problem: `not a valid decimal (${r.error})` });
    return null;
  }
  if (positive && r.value <= 0n) {
    errors.push({ field, problem: 'must be greater than zero' });
    return null;
  }
  return r.value;
}

export type EnvelopeValidation = { ok: true; event: Envelope } | { ok: false; errors: FieldError[] };

type FieldKind = 'string' | 'number' | 'decimal' | 'decimal?' | 'string?' | 'number?' | 'side' | 'taker' | 'levels' | 'nullable-decimal' | 'status' | 'boolean?';

const MARKET_BASE: Record<string, FieldKind> = { venue: 'string', instrument: 'string', exchTs: 'number', recvTs: 'number' };

/** Field schemas per event type (beyond v, type, ts). */
const SCHEMAS: Record<string, Record<string, FieldKind>> = {
  trade: { ...MARKET_BASE, price: 'decimal', size: 'decimal', side: 'taker', tradeId: 'string' },
  quote: { ...MARKET_BASE, bid: 'nullable-decimal', bidSize: 'nullable-decimal', ask: 'nullable-decimal', askSize: 'nullable-decimal' },
  book: { ...MARKET_BASE, bids: 'levels', asks: 'levels', seq: 'string?' },
  mark: { ...MARKET_BASE, markPrice: 'decimal?', indexPrice: 'decimal?', fundingRate: 'decimal?', nextFundingTs: 'number?' },
  option: {
    ...MARKET_BASE,
    markPrice: 'decimal',
    markIv: 'decimal',
    underlyingPrice: 'decimal',
    indexPrice: 'decimal?',
    bidIv: 'decimal?',
    askIv: 'decimal?',
    delta: 'decimal?',
    gamma: 'decimal?',
    vega: 'decimal?',
    theta: 'decimal?',
  },
  status: { ...MARKET_BASE, status: 'status', reason: 'string?' },
  'order.ack': { account: 'string', clOrdId: 'string', venueOrderId: 'string?' },
  'order.reject': { account: 'string', clOrdId: 'string', reason: 'string?' },
  'order.cancel': { account: 'string', clOrdId: 'string', reason: 'string?' },
  fill: {
    account: 'string',
    execId: 'string',
    clOrdId: 'string?',
    instrument: 'string',
    side: 'side',
    qty: 'decimal',
    price: 'decimal',
    fee: 'decimal?',
    feeCurrency: 'string?',
  },
  funding: { account: 'string', fundingId: 'string', instrument: 'string', amount: 'decimal?', rate: 'decimal?', markPrice: 'decimal?' },
  transfer: { account: 'string', transferId: 'string', currency: 'string', amount: 'decimal' },
  settlement: { instrument: 'string', price: 'decimal' },
  tick: {},
};

/**
 * Validates a wire envelope `{v, type, ts, ...}`. Admin and check events have their own nested
 * validation (`validateOrder`, admin fields below); market and execution events are checked field
 * by field against SCHEMAS.
 */
export function validateEnvelope(input: unknown): EnvelopeValidation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('', 'an event must be a JSON object');
  const e = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (e.v !== ENVELOPE_VERSION) errors.push({ field: 'v', problem: `must be ${ENVELOPE_VERSION}` });
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) errors.push({ field: 'ts', problem: 'must be a finite number (ms since epoch)' });
  const type = e.type;
  if (typeof type !== 'string') return { ok: false, errors: [...errors, { field: 'type', problem: 'must be a string' }] };
  if (type === 'check') {
    for (const key in e) if (key !== 'v' && key !== 'type' && key !== 'ts' && key !== 'order') errors.push({ field: key, problem: 'unknown field' });
    const o = validateOrder(e.order);
    if (!o.ok) errors.push(...o.errors);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, event: e as unknown as Envelope };
  }
  if (type === 'admin.state' || type === 'admin.limit') {
    validateAdmin(e, type, errors);
    return errors.length > 0 ? { ok: false, errors } : { ok: true, event: e as unknown as Envelope };
  }
  const schema = SCHEMAS[type];
  if (schema === undefined) return { ok: false, errors: [...errors, { field: 'type', problem: `unknown event type ${JSON.stringify(type)}` }] };
  for (const key in e) {
    if (key === 'v' || key === 'type' || key === 'ts') continue;
    if (!(key in schema)) errors.push({ field: key, problem: 'unknown field' });
  }
  for (const [field, kind] of Object.entries(schema)) checkField(e[field], field, kind, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, event: e as unknown as Envelope };
}

function validateAdmin(e: Record<string, unknown>, type: string, errors: FieldError[]): void {
  const allowed = type === 'admin.state' ? ['scope', 'target', 'state', 'actor', 'reason'] : ['scope', 'target', 'limit', 'key', 'value', 'actor', 'reason'];
  for (const key in e) if (key !== 'v' && key !== 'type' && key !== 'ts' && !allowed.includes(key)) errors.push({ field: key, problem: 'unknown field' });
  if (e.scope !== 'firm' && e.scope !== 'strategy' && e.scope !== 'account') errors.push({ field: 'scope', problem: 'must be firm, strategy or account' });
  if (e.scope !== 'firm' && (typeof e.target !== 'string' || e.target.length === 0)) errors.push({ field: 'target', problem: 'required for strategy and account scope' });
  if (typeof e.actor !== 'string' || e.actor.length === 0) errors.push({ field: 'actor', problem: 'must name who acted (audit)' });
  if (typeof e.reason !== 'string' || e.reason.length === 0) errors.push({ field: 'reason', problem: 'must say why (audit)' });
  if (type === 'admin.state') {
    if (e.state !== 'ACTIVE' && e.state !== 'REDUCING' && e.state !== 'HALTED') errors.push({ field: 'state', problem: 'must be ACTIVE, REDUCING or HALTED' });
  } else {
    if (typeof e.limit !== 'string' || e.limit.length === 0) errors.push({ field: 'limit', problem: 'must name a limit' });
    if (e.key !== undefined && typeof e.key !== 'string') errors.push({ field: 'key', problem: 'must be a string' });
    if (e.value !== null && (typeof e.value !== 'number' || !Number.isFinite(e.value))) errors.push({ field: 'value', problem: 'must be a finite number or null' });
  }
}

function checkField(v: unknown, field: string, kind: FieldKind, errors: FieldError[]): void {
  switch (kind) {
    case 'string':
      if (typeof v !== 'string' || v.length === 0) errors.push({ field, problem: 'must be a non-empty string' });
      return;
    case 'string?':
      if (v !== undefined && typeof v !== 'string') errors.push({ field, problem: 'must be a string' });
      return;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) errors.push({ field, problem: 'must be a finite number' });
      return;
    case 'number?':
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) errors.push({ field, problem: 'must be a finite number' });
      return;
    case 'boolean?':
      if (v !== undefined && typeof v !== 'boolean') errors.push({ field, problem: 'must be a boolean' });
      return;
    case 'decimal':
      decimalField(v, field, errors);
      return;
    case 'decimal?':
      if (v !== undefined) decimalField(v, field, errors);
      return;
    case 'nullable-decimal':
      if (v !== null) decimalField(v, field, errors);
      return;
    case 'side':
      if (v !== 'buy' && v !== 'sell') errors.push({ field, problem: 'must be "buy" or "sell"' });
      return;
    case 'taker':
      if (v !== 'buy' && v !== 'sell' && v !== 'unknown') errors.push({ field, problem: 'must be "buy", "sell" or "unknown"' });
      return;
    case 'status':
      if (typeof v !== 'string' || !(FEED_STATUS_CODES as readonly string[]).includes(v)) errors.push({ field, problem: `must be one of ${FEED_STATUS_CODES.join(', ')}` });
      return;
    case 'levels':
      if (!Array.isArray(v)) {
        errors.push({ field, problem: 'must be an array of [price, size]' });
        return;
      }
      for (let k = 0; k < v.length; k++) {
        const lvl: unknown = v[k];
        if (!Array.isArray(lvl) || lvl.length !== 2) errors.push({ field: `${field}[${k}]`, problem: 'must be [price, size]' });
        else {
          decimalField(lvl[0], `${field}[${k}][0]`, errors);
          decimalField(lvl[1], `${field}[${k}][1]`, errors);
        }
      }
      return;
  }
}

function decimalField(v: unknown, field: string, errors: FieldError[]): void {
  if (typeof v !== 'string') {
    errors.push({ field, problem: 'must be a decimal string' });
    return;
  }
  const r = parseFixed(v);
  if (!r.ok) {
    // Marks may legitimately carry more than 18 decimals (venue floats); they are estimates.
    if (r.error === 'TOO_PRECISE') return;
    errors.push({ field, problem: `not a valid decimal (${r.error})` });
  }
}

function fail(field: string, problem: string): EnvelopeValidation {
  return { ok: false, errors: [{ field, problem }] };
}

export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.field ? `${e.field}: ${e.problem}` : e.problem)).join('; ');
}

export type { InputEvent };
