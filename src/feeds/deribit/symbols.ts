/**
 * Deribit instrument names -> Keel canonical ids, for names the registry does not hold.
 *
 * Registry instruments always win (`registry.byVenueSymbol('deribit', name)`); this rule lets
 * `keel parse` and the DLQ name any instrument Deribit sends, and it reproduces the registry's
 * ids for the configured universe (checked by a unit test over config/instruments.yaml).
 *
 *   BTC-PERPETUAL            inverse perpetual   deribit:BTC/USD:BTC
 *   BTC_USDC-PERPETUAL       linear perpetual    deribit:BTC/USDC:USDC
 *   BTC-25DEC26              inverse future      deribit:BTC/USD:BTC-261225
 *   BTC-24SEP21-34000-P      inverse option      deribit:BTC/USD:BTC-210924-34000-P
 *   XRP_USDC-30MAY25-2d2-C   linear option       deribit:XRP/USDC:USDC-250530-2.2-C  ("d" = decimal point)
 *   BTC_USDC                 spot                deribit:BTC/USDC
 *
 * A name without `_` is coin-margined: quoted in USD, settled in the coin. `BASE_QUOTE` is
 * linear: quoted and settled in QUOTE. Expiry `DMMMYY` becomes `YYMMDD`. Combos and spreads
 * (`BTC-FS-...`, `BTC-CS-...`) and anything else do not match: the caller dead-letters them.
 */
import type { InstrumentKind } from '../../portfolio/instruments.js';

export interface DerivedSymbol {
  canonical: string;
  kind: InstrumentKind;
}

const MONTHS: readonly string[] = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const CURRENCY = /^[A-Z0-9]{1,16}$/;
const EXPIRY = /^(\d{1,2})([A-Z]{3})(\d{2})$/;
const STRIKE = /^\d{1,12}(d\d{1,12})?$/;

/** The canonical id and kind for a Deribit instrument name, or null when the name is not one. */
export function deriveDeribitSymbol(name: string): DerivedSymbol | null {
  if (name.length === 0 || name.length > 64) return null;
  const parts = name.split('-');
  const head = parts[0]!;
  const underscore = head.indexOf('_');
  const base = underscore < 0 ? head : head.slice(0, underscore);
  const quoteCcy = underscore < 0 ? 'USD' : head.slice(underscore + 1);
  if (!CURRENCY.test(base) || !CURRENCY.test(quoteCcy)) return null;
  const settle = underscore < 0 ? base : quoteCcy;
  const settled = `deribit:${base}/${quoteCcy}:${settle}`;
  if (parts.length === 1) {
    // Spot pairs are always BASE_QUOTE; a bare coin is an index, not an instrument.
    return underscore < 0 ? null : { canonical: `deribit:${base}/${quoteCcy}`, kind: 'spot' };
  }
  if (parts.length === 2) {
    if (parts[1] === 'PERPETUAL') return { canonical: settled, kind: 'perpetual' };
    const yymmdd = expiryCode(parts[1]!);
    return yymmdd === null ? null : { canonical: `${settled}-${yymmdd}`, kind: 'future' };
  }
  if (parts.length === 4) {
    const yymmdd = expiryCode(parts[1]!);
    const strike = parts[2]!;
    const cp = parts[3];
    if (yymmdd === null || !STRIKE.test(strike) || (cp !== 'C' && cp !== 'P')) return null;
    return { canonical: `${settled}-${yymmdd}-${strike.replace('d', '.')}-${cp}`, kind: 'option' };
  }
  return null;
}

/** `24SEP21` -> `210924`; null when not a Deribit expiry. */
function expiryCode(text: string): string | null {
  const m = EXPIRY.exec(text);
  if (m === null) return null;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2]!);
  if (month < 0 || day < 1 || day > 31) return null;
  return `${m[3]}${String(month + 1).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}
