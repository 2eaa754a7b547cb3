/**
 * Bybit v5 symbols -> Keel canonical ids. The same symbol names different instruments on
 * different connections (`BTCUSDT` is spot on /spot and the USDT perpetual on /linear), so every
 * lookup carries the category of the connection.
 *
 * Registry instruments resolve through `registry.byVenueSymbol(feed, symbol)`. Other symbols are
 * derived from Bybit's naming:
 *   spot     BASEQUOTE                     bybit:BASE/QUOTE         (QUOTE from SPOT_QUOTES, longest
 *                                                                     suffix first: NKNUSDT -> NKN/USDT)
 *   linear   BASEUSDT | BASEUSDC           bybit:BASE/Q:Q           (USDT/USDC perpetual)
 *            BASEPERP                      bybit:BASE/USDC:USDC     (legacy USDC perpetual naming)
 *            BASEUSDT-DDMMMYY              bybit:BASE/USDT:USDT-YYMMDD
 *            BASE-DDMMMYY                  bybit:BASE/USDC:USDC-YYMMDD   (USDC futures)
 *   inverse  BASEUSD                       bybit:BASE/USD:BASE
 *            BASEUSD<month code><YY>       bybit:BASE/USD:BASE-YYMMDD    (quarterly; Bybit inverse
 *                                          futures expire on the last Friday of the month)
 *   option   BASE-DMMMYY-STRIKE-C|P[-Q]    bybit:BASE/Q:Q-YYMMDD-STRIKE-C|P  (Q defaults to USDC)
 * Anything else is not an instrument (dead-lettered as `unknown_symbol`).
 */
import type { FeedId, Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';

export type BybitCategory = 'spot' | 'linear' | 'inverse' | 'option';

export const BYBIT_FEED: Readonly<Record<BybitCategory, FeedId>> = {
  spot: 'bybit-spot',
  linear: 'bybit-linear',
  inverse: 'bybit-inverse',
  option: 'bybit-option',
};

/** Quote assets of Bybit spot pairs, longest first so `USDT` wins over `USD`. */
export const SPOT_QUOTES: readonly string[] = [
  'FDUSD',
  'USDT',
  'USDC',
  'USDE',
  'USD1',
  'EURI',
  'BTC',
  'ETH',
  'DAI',
  'EUR',
  'BRL',
  'TRY',
  'PLN',
  'MNT',
  'USD',
];

const MONTHS: Readonly<Record<string, string>> = {
  JAN: '01', FEB: '02', MAR: '03', APR: '04', MAY: '05', JUN: '06',
  JUL: '07', AUG: '08', SEP: '09', OCT: '10', NOV: '11', DEC: '12',
};
/** CME-style futures month codes used by Bybit inverse quarterlies (BTCUSDH26 = March 2026). */
const MONTH_CODES: Readonly<Record<string, number>> = {
  F: 1, G: 2, H: 3, J: 4, K: 5, M: 6, N: 7, Q: 8, U: 9, V: 10, X: 11, Z: 12,
};

const ASSET = /^[A-Z0-9]{1,24}$/;
const DATE = /^(\d{1,2})([A-Z]{3})(\d{2})$/;
const INVERSE_FUTURE = /^([A-Z0-9]+)USD([FGHJKMNQUVXZ])(\d{2})$/;
const STRIKE = /^\d+(\.\d+)?$/;

/** `26DEC25` -> `251226`, or undefined. */
function yymmdd(date: string): string | undefined {
  const m = DATE.exec(date);
  if (m === null) return undefined;
  const month = MONTHS[m[2] ?? ''];
  if (month === undefined) return undefined;
  return `${m[3]}${month}${(m[1] ?? '').padStart(2, '0')}`;
}

/** Last Friday of a month, as YYMMDD. */
function lastFriday(year: number, month: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  const back = (last.getUTCDay() - 5 + 7) % 7;
  const day = last.getUTCDate() - back;
  return `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

function splitSpot(symbol: string): [string, string] | undefined {
  for (const quote of SPOT_QUOTES) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) return [symbol.slice(0, -quote.length), quote];
  }
  return undefined;
}

function deriveLinear(symbol: string): string | undefined {
  const dash = symbol.indexOf('-');
  if (dash >= 0) {
    const head = symbol.slice(0, dash);
    const expiry = yymmdd(symbol.slice(dash + 1));
    if (expiry === undefined || !ASSET.test(head)) return undefined;
    if (head.endsWith('USDT') && head.length > 4) return `bybit:${head.slice(0, -4)}/USDT:USDT-${expiry}`;
    return `bybit:${head}/USDC:USDC-${expiry}`;
  }
  if (!ASSET.test(symbol)) return undefined;
  for (const quote of ['USDT', 'USDC']) {
    if (symbol.length > 4 && symbol.endsWith(quote)) return `bybit:${symbol.slice(0, -4)}/${quote}:${quote}`;
  }
  if (symbol.length > 4 && symbol.endsWith('PERP')) return `bybit:${symbol.slice(0, -4)}/USDC:USDC`;
  return undefined;
}

function deriveInverse(symbol: string): string | undefined {
  if (!ASSET.test(symbol)) return undefined;
  const future = INVERSE_FUTURE.exec(symbol);
  if (future !== null) {
    const base = future[1] ?? '';
    const month = MONTH_CODES[future[2] ?? ''] ?? 0;
    const year = 2000 + Number(future[3]);
    return `bybit:${base}/USD:${base}-${lastFriday(year, month)}`;
  }
  if (symbol.length > 3 && symbol.endsWith('USD')) {
    const base = symbol.slice(0, -3);
    return `bybit:${base}/USD:${base}`;
  }
  return undefined;
}

function deriveOption(symbol: string): string | undefined {
  const parts = symbol.split('-');
  if (parts.length !== 4 && parts.length !== 5) return undefined;
  const [base = '', date = '', strike = '', right = ''] = parts;
  const quote = parts[4] ?? 'USDC';
  const expiry = yymmdd(date);
  if (!ASSET.test(base) || !ASSET.test(quote) || expiry === undefined || !STRIKE.test(strike)) return undefined;
  if (right !== 'C' && right !== 'P') return undefined;
  return `bybit:${base}/${quote}:${quote}-${expiry}-${strike}-${right}`;
}

/** Derives the canonical id of a Bybit symbol on one category, or undefined if it has no known shape. */
export function deriveBybitCanonicalId(category: BybitCategory, symbol: string): string | undefined {
  switch (category) {
    case 'spot': {
      if (!ASSET.test(symbol)) return undefined;
      const pair = splitSpot(symbol);
      return pair === undefined ? undefined : `bybit:${pair[0]}/${pair[1]}`;
    }
    case 'linear':
      return deriveLinear(symbol);
    case 'inverse':
      return deriveInverse(symbol);
    case 'option':
      return deriveOption(symbol);
  }
}

export interface ResolvedSymbol {
  readonly id: string;
  readonly instrument: Instrument | undefined;
}

const MEMO_LIMIT = 4096;

/** Per-connection memo of symbol -> canonical id for one category. */
export class BybitSymbols {
  private readonly registry: InstrumentRegistry;
  private readonly category: BybitCategory;
  private readonly feed: FeedId;
  private readonly memo = new Map<string, ResolvedSymbol>();

  constructor(registry: InstrumentRegistry, category: BybitCategory) {
    this.registry = registry;
    this.category = category;
    this.feed = BYBIT_FEED[category];
  }

  resolve(symbol: string): ResolvedSymbol | undefined {
    const hit = this.memo.get(symbol);
    if (hit !== undefined) return hit;
    const instrument = this.registry.byVenueSymbol(this.feed, symbol);
    const id = instrument?.id ?? deriveBybitCanonicalId(this.category, symbol);
    if (id === undefined) return undefined;
    const resolved: ResolvedSymbol = { id, instrument };
    if (this.memo.size < MEMO_LIMIT) this.memo.set(symbol, resolved);
    return resolved;
  }
}
