/**
 * Exact fixed-point decimals for the ledger.
 *
 * A `Fixed` is a bigint counting units of 1e-18. Every price and size a venue sends has at most
 * 18 decimals, so parsing is exact, and so are sums and most products (8 + 8 decimals). Where a
 * formula divides (average cost on a partial close, 1/price for inverse contracts) the result is
 * rounded half-to-even at 1e-18, ten orders of magnitude below a satoshi.
 *
 * Why bigint and not decimal.js: `bench/ledger-arith.ts` measures both on this machine (see
 * docs/numerics.md); bigint add+mul is ~40x cheaper and allocates less.
 */
export type Fixed = bigint & { readonly __unit: 'fixed1e18' };

export const SCALE_DIGITS = 18;
export const SCALE = 10n ** 18n;
const POW10: readonly bigint[] = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

export const ZERO = 0n as Fixed;
export const ONE = SCALE as Fixed;

/** Why a decimal string was refused. Stable codes; callers put them in structured errors. */
export type DecimalError = 'NOT_A_STRING' | 'EMPTY' | 'SYNTAX' | 'TOO_PRECISE' | 'TOO_LARGE';

export type ParseResult = { ok: true; value: Fixed } | { ok: false; error: DecimalError };

/** Largest magnitude accepted: 1e30 units. Beyond that an input is a bug, not a quantity. */
const MAX_ABS = 10n ** 48n;

/**
 * Parses a plain or scientific decimal string exactly ("0.1", "-12", "1.423e-4", "5E+3").
 * Refuses anything with more than 18 decimals after applying the exponent (`TOO_PRECISE`),
 * rather than rounding: ledger inputs must be exact.
 */
export function parseFixed(text: unknown): ParseResult {
  if (typeof text !== 'string') return { ok: false, error: 'NOT_A_STRING' };
  return scan(text, false);
}

/** As `parseFixed`, but rounds half-to-even beyond 18 decimals. For marks and estimates only. */
export function parseFixedRounded(text: unknown): ParseResult {
  if (typeof text !== 'string') return { ok: false, error: 'NOT_A_STRING' };
  return scan(text, true);
}

/** Parses or throws; for trusted literals (config defaults, tests). */
export function fx(text: string): Fixed {
  const r = parseFixed(text);
  if (!r.ok) throw new Error(`invalid decimal ${JSON.stringify(text)}: ${r.error}`);
  return r.value;
}

const BIG_POW10: readonly bigint[] = POW10;

/**
 * What `scanPlainDecimal` read: |value| = mantissa x 10^-decimals. One shared record, overwritten
 * by each call, so the hot paths that read plain decimals (ledger parsing, order quantities in
 * lots, tick checks) allocate nothing; read it straight after the call.
 */
export const plainDecimal = { mantissa: 0, decimals: 0, negative: false };

/**
 * Reads the common shape `[-]digits[.digits]` with at most 15 digits in all into `plainDecimal`:
 * the digits are accumulated in a float64, exact below 2^53. False (and `plainDecimal` undefined)
 * for anything else: exponent, sign "+", too many digits, no digits, anything unusual.
 */
export function scanPlainDecimal(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 17) return false;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  let mantissa = 0;
  let digits = 0;
  let frac = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) frac = 0;
    else return false;
  }
  if (digits === 0 || digits > 15) return false;
  plainDecimal.mantissa = mantissa;
  plainDecimal.decimals = frac < 0 ? 0 : frac;
  plainDecimal.negative = negative;
  return true;
}

/**
 * Fast path for plain decimals of at most 18 decimals: one bigint multiplication instead of
 * building a digit string and parsing it. Null when the input needs the general scanner.
 */
function fastScan(s: string): ParseResult | null {
  if (!scanPlainDecimal(s)) return null;
  const { mantissa, decimals, negative } = plainDecimal;
  if (decimals > SCALE_DIGITS) return null;
  const value = BigInt(mantissa) * BIG_POW10[SCALE_DIGITS - decimals]!;
  return { ok: true, value: (negative ? -value : value) as Fixed };
}

function scan(s: string, round: boolean): ParseResult {
  const fast = fastScan(s);
  if (fast !== null) return fast;
  const n = s.length;
  if (n === 0) return { ok: false, error: 'EMPTY' };
  if (n > 80) return { ok: false, error: 'TOO_LARGE' };
  let i = 0;
  let negative = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    negative = c0 === 45;
    i = 1;
  }
  const intStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intDigits = s.slice(intStart, i);
  let fracDigits = '';
  if (i < n && s.charCodeAt(i) === 46 /* . */) {
    i++;
    const fracStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    fracDigits = s.slice(fracStart, i);
  }
  if (intDigits.length === 0 && fracDigits.length === 0) return { ok: false, error: 'SYNTAX' };
  let exponent = 0;
  if (i < n) {
    const e = s.charCodeAt(i);
    if (e !== 101 && e !== 69) return { ok: false, error: 'SYNTAX' };
    i++;
    let expNeg = false;
    if (i < n && (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43)) {
      expNeg = s.charCodeAt(i) === 45;
      i++;
    }
    const expStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === expStart || i !== n || i - expStart > 3) return { ok: false, error: 'SYNTAX' };
    exponent = Number(s.slice(expStart, i)) * (expNeg ? -1 : 1);
  }
  // value = digits * 10^(exponent - fracDigits.length); we want value * 10^18
  const digits = intDigits + fracDigits;
  const shift = SCALE_DIGITS + exponent - fracDigits.length;
  let magnitude: bigint;
  if (shift >= 0) {
    if (shift > 60) return { ok: false, error: 'TOO_LARGE' };
    magnitude = BigInt(digits) * pow10(shift);
  } else {
    const drop = -shift;
    const raw = BigInt(digits);
    const div = pow10(drop);
    const q = raw / div;
    const r = raw % div;
    if (r !== 0n && !round) return { ok: false, error: 'TOO_PRECISE' };
    magnitude = roundHalfEven(q, r, div);
  }
  if (magnitude > MAX_ABS) return { ok: false, error: 'TOO_LARGE' };
  return { ok: true, value: (negative ? -magnitude : magnitude) as Fixed };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function pow10(k: number): bigint {
  return k < POW10.length ? POW10[k]! : 10n ** BigInt(k);
}

/** q, r from a non-negative division by d: round q half-to-even using the remainder. */
function roundHalfEven(q: bigint, r: bigint, d: bigint): bigint {
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Signed division rounded half-to-even. */
export function divRound(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = roundHalfEven(an / ad, an % ad, ad);
  return negative ? -q : q;
}

export function add(a: Fixed, b: Fixed): Fixed {
  return (a + b) as Fixed;
}

export function sub(a: Fixed, b: Fixed): Fixed {
  return (a - b) as Fixed;
}

export function neg(a: Fixed): Fixed {
  return -a as Fixed;
}

export function abs(a: Fixed): Fixed {
  return (a < 0n ? -a : a) as Fixed;
}

/** a*b, exact when the combined decimals fit in 18, else rounded half-to-even. */
export function mul(a: Fixed, b: Fixed): Fixed {
  return divRound(a * b, SCALE) as Fixed;
}

/** a/b rounded half-to-even at 1e-18. */
export function div(a: Fixed, b: Fixed): Fixed {
  return divRound(a * SCALE, b) as Fixed;
}

/** a*b/c with a single rounding (keeps partial-close cost allocation exact-as-possible). */
export function mulDiv(a: Fixed, b: Fixed, c: Fixed): Fixed {
  return divRound(a * b, c) as Fixed;
}

export function fromInt(n: number | bigint): Fixed {
  return (BigInt(n) * SCALE) as Fixed;
}

export function sign(a: Fixed): -1 | 0 | 1 {
  return a > 0n ? 1 : a < 0n ? -1 : 0;
}

export function min(a: Fixed, b: Fixed): Fixed {
  return a < b ? a : b;
}

export function max(a: Fixed, b: Fixed): Fixed {
  return a > b ? a : b;
}

/** Nearest float64; for risk math, never for the ledger. */
export function toNumber(a: Fixed): number {
  const q = a / SCALE;
  const r = a % SCALE;
  return Number(q) + Number(r) / 1e18;
}

/**
 * Converts a float64 to Fixed through its shortest round-trip decimal form, rounded at 1e-18.
 * Only for values that are estimates already (fx rates, computed marks).
 */
export function fromNumber(x: number): Fixed {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  const r = parseFixedRounded(String(x));
  if (!r.ok) throw new RangeError(`not representable: ${x}`);
  return r.value;
}

/** Plain decimal text, no exponent, trailing zeros trimmed: 1.5, -0.0001, 42. */
export function format(a: Fixed): string {
  const negative = a < 0n;
  const m = negative ? -a : a;
  const int = m / SCALE;
  const frac = m % SCALE;
  let text = int.toString();
  if (frac !== 0n) {
    const f = frac.toString().padStart(SCALE_DIGITS, '0').replace(/0+$/, '');
    text += '.' + f;
  }
  return negative ? '-' + text : text;
}

/** Rounds half-to-even to `decimals` places (e.g. 8 for satoshis). */
export function roundTo(a: Fixed, decimals: number): Fixed {
  if (decimals >= SCALE_DIGITS) return a;
  const unit = pow10(SCALE_DIGITS - decimals);
  return (divRound(a, unit) * unit) as Fixed;
}

/** True when `a` is a whole multiple of `step` (lot and tick checks). */
export function isMultipleOf(a: Fixed, step: Fixed): boolean {
  return step === 0n || a % step === 0n;
}
