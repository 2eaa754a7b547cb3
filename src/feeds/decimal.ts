/**
 * Exact decimal-string helpers for venue parsers and the simulator. They run once per price level,
 * so they scan characters instead of using regular expressions, and return the input string itself
 * (no allocation) when it is already in canonical plain form.
 *
 * Canonical plain form ("plain decimal"): optional `-`, integer digits without leading zeros (a
 * single `0` before the point), optionally `.` and at least one fraction digit. Never an exponent,
 * never `-0`. Trailing fraction zeros are kept exactly as sent ("0.01000000" stays): checksums
 * (OKX, Kraken) are computed over the strings the venue sent.
 *
 * Exponent expansion (Deribit and Kraken send JSON numbers such as `1.423e-4`): the result has
 * `max(0, mantissaFractionDigits - exponent)` fraction digits, i.e. the mantissa's own digits are
 * kept and no trailing zeros are invented: `1.423e-4` -> `0.0001423`, `1.50e1` -> `15.0`,
 * `1.5e3` -> `1500`, `2E+2` -> `200`.
 */

/** Inputs longer than this are refused: a price or size never needs more. */
const MAX_INPUT_LENGTH = 64;
/** Largest exponent magnitude accepted; keeps the expanded text bounded (<= ~100 chars). */
const MAX_EXPONENT = 40;

const CH_MINUS = 45;
const CH_PLUS = 43;
const CH_DOT = 46;
const CH_ZERO = 48;
const CH_NINE = 57;
const CH_E_LOWER = 101;
const CH_E_UPPER = 69;

function isDigit(c: number): boolean {
  return c >= CH_ZERO && c <= CH_NINE;
}

/**
 * True for a plain decimal as venues send it in strings: optional `-`, one or more digits,
 * optionally `.` followed by one or more digits. Leading zeros are tolerated ("007" is a decimal,
 * just not canonical); no `+`, no exponent, no whitespace.
 */
export function isDecimalString(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > MAX_INPUT_LENGTH) return false;
  let i = text.charCodeAt(0) === CH_MINUS ? 1 : 0;
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i === intStart) return false;
  if (i === n) return true;
  if (text.charCodeAt(i) !== CH_DOT) return false;
  i++;
  const fracStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  return i === n && i > fracStart;
}

/**
 * Any decimal a venue may send (plain or scientific, optional sign, ".5" and "5." tolerated) in
 * canonical plain form, or null when the text is not a decimal. See the module comment for the
 * trailing-zero rule. `-0`, `-0.00` become `0`, `0.00`.
 */
export function normalizeDecimal(text: string): string | null {
  const n = text.length;
  if (n === 0 || n > MAX_INPUT_LENGTH) return null;
  let i = 0;
  let negative = false;
  let signed = false;
  const c0 = text.charCodeAt(0);
  if (c0 === CH_MINUS || c0 === CH_PLUS) {
    negative = c0 === CH_MINUS;
    signed = true;
    i = 1;
  }
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  let hasDot = false;
  if (i < n && text.charCodeAt(i) === CH_DOT) {
    hasDot = true;
    i++;
    fracStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fracEnd = i;
  }
  const intLen = intEnd - intStart;
  const fracLen = fracEnd - fracStart;
  if (intLen === 0 && fracLen === 0) return null;
  if (i === n) {
    // Plain notation. Fast path: already canonical, return the input itself.
    const leadingZero = intLen > 1 && text.charCodeAt(intStart) === CH_ZERO;
    if (!signed && !leadingZero && intLen > 0 && (!hasDot || fracLen > 0)) return text;
    const zero = allZero(text, intStart, intEnd) && allZero(text, fracStart, fracEnd);
    return assemble(negative && !zero, stripLeadingZeros(text.slice(intStart, intEnd)), text.slice(fracStart, fracEnd));
  }
  const e = text.charCodeAt(i);
  if (e !== CH_E_LOWER && e !== CH_E_UPPER) return null;
  i++;
  let expNegative = false;
  if (i < n && (text.charCodeAt(i) === CH_MINUS || text.charCodeAt(i) === CH_PLUS)) {
    expNegative = text.charCodeAt(i) === CH_MINUS;
    i++;
  }
  const expStart = i;
  let exponent = 0;
  while (i < n && isDigit(text.charCodeAt(i))) {
    exponent = exponent * 10 + (text.charCodeAt(i) - CH_ZERO);
    if (exponent > MAX_EXPONENT) return null;
    i++;
  }
  if (i === expStart || i !== n) return null;
  if (expNegative) exponent = -exponent;
  const zero = allZero(text, intStart, intEnd) && allZero(text, fracStart, fracEnd);
  const digits = text.slice(intStart, intEnd) + text.slice(fracStart, fracEnd);
  // value = digits x 10^(exponent - fracLen); keep `fracOut` fraction digits.
  const fracOut = fracLen - exponent;
  let intPart: string;
  let fracPart: string;
  if (fracOut <= 0) {
    intPart = digits + '0'.repeat(-fracOut);
    fracPart = '';
  } else if (digits.length > fracOut) {
    intPart = digits.slice(0, digits.length - fracOut);
    fracPart = digits.slice(digits.length - fracOut);
  } else {
    intPart = '0';
    fracPart = '0'.repeat(fracOut - digits.length) + digits;
  }
  return assemble(negative && !zero, stripLeadingZeros(intPart), fracPart);
}

function allZero(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) !== CH_ZERO) return false;
  return true;
}

function stripLeadingZeros(intDigits: string): string {
  let k = 0;
  while (k < intDigits.length - 1 && intDigits.charCodeAt(k) === CH_ZERO) k++;
  const s = k === 0 ? intDigits : intDigits.slice(k);
  return s.length === 0 ? '0' : s;
}

function assemble(negative: boolean, intPart: string, fracPart: string): string {
  const body = fracPart.length > 0 ? `${intPart}.${fracPart}` : intPart;
  return negative ? `-${body}` : body;
}

/**
 * A raw JSON number token (as it appears in the frame text, e.g. `1.423e-4`, `40.0`) in canonical
 * plain form, exactly; null when the token is not valid JSON number syntax. Venues that send JSON
 * numbers (Kraken v2, Deribit) lose trailing zeros and exactness through `JSON.parse`; keep the
 * token text instead (json-exact.ts).
 */
export function decimalFromJsonNumberToken(token: string): string | null {
  const n = token.length;
  if (n === 0 || n > MAX_INPUT_LENGTH) return null;
  let i = token.charCodeAt(0) === CH_MINUS ? 1 : 0;
  if (i >= n) return null;
  if (token.charCodeAt(i) === CH_ZERO) i++;
  else {
    const start = i;
    while (i < n && isDigit(token.charCodeAt(i))) i++;
    if (i === start) return null;
  }
  if (i < n && token.charCodeAt(i) === CH_DOT) {
    i++;
    const start = i;
    while (i < n && isDigit(token.charCodeAt(i))) i++;
    if (i === start) return null;
  }
  if (i < n) {
    const e = token.charCodeAt(i);
    if (e !== CH_E_LOWER && e !== CH_E_UPPER) return null;
    i++;
    if (i < n && (token.charCodeAt(i) === CH_MINUS || token.charCodeAt(i) === CH_PLUS)) i++;
    const start = i;
    while (i < n && isDigit(token.charCodeAt(i))) i++;
    if (i === start || i !== n) return null;
  }
  return normalizeDecimal(token);
}

/**
 * A float64 as the shortest decimal that round-trips to it (what `String(x)` prints), in plain
 * form: `1e-7` -> `0.0000001`. Exact with respect to the double, not to a token the venue sent
 * (trailing zeros are gone): prefer `decimalFromJsonNumberToken` when the raw text is available.
 */
export function decimalFromNumber(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  return normalizeDecimal(String(value));
}

/** Number of fraction digits of a plain decimal ("1.50" -> 2, "7" -> 0). */
export function fractionDigits(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * A plain decimal with exactly `decimals` fraction digits, exactly: pads with zeros, or removes
 * trailing zeros beyond `decimals`. Null when that would need rounding (a non-zero digit would be
 * cut) or the input is not a plain decimal. For checksums over venue precision (Kraken).
 */
export function padDecimal(text: string, decimals: number): string | null {
  if (!isDecimalString(text) || decimals < 0 || !Number.isInteger(decimals)) return null;
  const have = fractionDigits(text);
  if (have === decimals) return text;
  if (have < decimals) return (have === 0 ? `${text}.` : text) + '0'.repeat(decimals - have);
  const cut = text.length - (have - decimals);
  for (let k = cut; k < text.length; k++) if (text.charCodeAt(k) !== CH_ZERO) return null;
  return decimals === 0 ? text.slice(0, cut - 1) : text.slice(0, cut);
}

/**
 * The digits of a plain decimal with the point removed and leading zeros stripped, the common
 * CRC32 checksum form (Kraken v2): "0.00100000" -> "100000", "45285.2" -> "452852". A zero value
 * gives "" (as the reference implementations' `lstrip('0')` does).
 */
export function stripForChecksum(text: string): string {
  let k = 0;
  const n = text.length;
  while (k < n && (text.charCodeAt(k) === CH_ZERO || text.charCodeAt(k) === CH_DOT)) k++;
  const rest = text.slice(k);
  return rest.indexOf('.') < 0 ? rest : rest.replace('.', '');
}

/** Float64 for ordering keys and models only (never for a value put on the wire). NaN if invalid. */
export function decimalToNumber(text: string): number {
  return +text;
}

/**
 * True when a decimal (plain or scientific) has only zero digits: "0", "0.00000000", "-0", "0e-3".
 * The input is assumed valid (the parser checks first); anything without a digit is not zero.
 */
export function isZeroDecimal(text: string): boolean {
  let sawDigit = false;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === CH_ZERO) sawDigit = true;
    else if (isDigit(c)) return false;
    else if (c === CH_E_LOWER || c === CH_E_UPPER) break;
  }
  return sawDigit;
}

/** A decimal as an integer count of 10^-decimals units: "2.5" -> { units: 25, decimals: 1 }. */
export interface ScaledDecimal {
  units: number;
  decimals: number;
}

/**
 * Parses a plain decimal into a safe-integer count of units (tick and lot sizes, simulator
 * prices). Null when not a plain decimal or when the units exceed 2^53.
 */
export function parseScaled(text: string): ScaledDecimal | null {
  if (!isDecimalString(text)) return null;
  const decimals = fractionDigits(text);
  const units = Number(decimals === 0 ? text : text.replace('.', ''));
  if (!Number.isSafeInteger(units)) return null;
  return { units, decimals };
}

/**
 * `units x 10^-decimals` as a plain decimal with exactly `decimals` fraction digits; `units` must
 * be a safe integer (the simulator formats integer tick and lot counts with it, so no float
 * formatting artefact can reach the wire). Null for a non-safe-integer.
 */
export function formatScaled(units: number, decimals: number): string | null {
  if (!Number.isSafeInteger(units) || !Number.isInteger(decimals) || decimals < 0) return null;
  const negative = units < 0;
  const digits = String(negative ? -units : units);
  let body: string;
  if (decimals === 0) body = digits;
  else {
    const padded = digits.length > decimals ? digits : '0'.repeat(decimals - digits.length + 1) + digits;
    body = `${padded.slice(0, padded.length - decimals)}.${padded.slice(padded.length - decimals)}`;
  }
  return negative && units !== 0 ? `-${body}` : body;
}

/** Fraction digits a quotient may need before `divideDecimal` calls it non-terminating. */
const MAX_QUOTIENT_FRACTION_DIGITS = 40;

/**
 * `dividend / divisor` exactly, in plain form (decimals plain or scientific; Deribit amounts to
 * contracts: "88270.0" / "10" -> "8827.0", "15" / "10" -> "1.5"). The quotient keeps the
 * dividend's fraction digits beyond the divisor's and adds only the digits the division needs;
 * none is rounded. Null when an operand is not a decimal, the divisor is zero, or the quotient
 * does not terminate within 40 fraction digits ("1" / "3").
 */
export function divideDecimal(dividend: string, divisor: string): string | null {
  const shift = powerOfTenExponent(divisor);
  if (shift >= 0) return shiftedDown(dividend, shift);
  const a = scaledBigInt(dividend);
  const b = scaledBigInt(divisor);
  if (a === null || b === null || b.units === 0n) return null;
  // a.units x 10^-a.scale / (b.units x 10^-b.scale) = (a.units x 10^k / b.units) x 10^-(a.scale - b.scale + k)
  let k = Math.max(0, b.scale - a.scale);
  let numerator = a.units * 10n ** BigInt(k);
  while (numerator % b.units !== 0n) {
    if (a.scale - b.scale + k >= MAX_QUOTIENT_FRACTION_DIGITS) return null;
    numerator *= 10n;
    k++;
  }
  const quotient = numerator / b.units;
  const negative = quotient < 0n;
  const digits = (negative ? -quotient : quotient).toString();
  const scale = a.scale - b.scale + k;
  const padded = digits.length > scale ? digits : '0'.repeat(scale - digits.length + 1) + digits;
  const body = scale === 0 ? padded : `${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
  return negative ? `-${body}` : body;
}

/** k when `text` is 10^k written as a plain integer ("1", "10", "1000"), else -1. */
function powerOfTenExponent(text: string): number {
  const n = text.length;
  if (n === 0 || n > MAX_INPUT_LENGTH || text.charCodeAt(0) !== CH_ZERO + 1) return -1;
  for (let k = 1; k < n; k++) if (text.charCodeAt(k) !== CH_ZERO) return -1;
  return n - 1;
}

/**
 * `dividend / 10^shift` by moving the point, with the same digits as the general division: the
 * dividend's trailing zeros absorb the shift first, then fraction digits are added.
 */
function shiftedDown(dividend: string, shift: number): string | null {
  const plain = normalizeDecimal(dividend);
  if (plain === null || shift === 0) return plain;
  const negative = plain.charCodeAt(0) === CH_MINUS;
  const body = negative ? plain.slice(1) : plain;
  const dot = body.indexOf('.');
  const scale = dot < 0 ? 0 : body.length - dot - 1;
  let digits = dot < 0 ? body : body.slice(0, dot) + body.slice(dot + 1);
  // Zero divides into any power of ten without a new digit.
  if (allZero(digits, 0, digits.length)) return plain;
  let trailingZeros = 0;
  while (trailingZeros < shift && digits.charCodeAt(digits.length - 1 - trailingZeros) === CH_ZERO) trailingZeros++;
  digits = digits.slice(0, digits.length - trailingZeros);
  const outScale = scale + shift - trailingZeros;
  const padded = digits.length > outScale ? digits : '0'.repeat(outScale - digits.length + 1) + digits;
  const unsigned = outScale === 0 ? stripLeadingZeros(padded) : `${stripLeadingZeros(padded.slice(0, padded.length - outScale))}.${padded.slice(padded.length - outScale)}`;
  return negative ? `-${unsigned}` : unsigned;
}

/** A decimal as `units x 10^-scale` with a bigint `units`; null when not a decimal. */
function scaledBigInt(text: string): { units: bigint; scale: number } | null {
  const plain = normalizeDecimal(text);
  if (plain === null) return null;
  const dot = plain.indexOf('.');
  if (dot < 0) return { units: BigInt(plain), scale: 0 };
  return { units: BigInt(plain.slice(0, dot) + plain.slice(dot + 1)), scale: plain.length - dot - 1 };
}
