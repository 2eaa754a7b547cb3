import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalEsMultiplier, normalVarMultiplier, normCdf, normInv, normPdf } from '../../../src/risk/math/normal.js';

// A 40-digit reference, independent of the float code: Taylor series of Φ near 0, Laplace's
// continued fraction for the tail (each checked against the other where they overlap).
const Big = Decimal.clone({ precision: 40 });
const SQRT_2PI = Big.acos(-1).mul(2).sqrt();
const ULP = 2 ** -52;

/** The exact value of a double as a decimal (String(x) is only the shortest round-trip form). */
function exact(x: number): Decimal {
  let mantissa = x;
  let halvings = 0;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2;
    halvings++;
  }
  return new Big(String(mantissa)).div(new Big(2).pow(halvings));
}

function pdfRef(x: Decimal): Decimal {
  return x.mul(x).div(-2).exp().div(SQRT_2PI);
}

function seriesCdf(x: Decimal): Decimal {
  // Φ(x) = 1/2 + φ(x)·Σ x^(2k+1)/(2k+1)!!
  const x2 = x.mul(x);
  let term = x;
  let sum = x;
  for (let k = 1; term.abs().gt(1e-45); k++) {
    term = term.mul(x2).div(2 * k + 1);
    sum = sum.plus(term);
  }
  return pdfRef(x).mul(sum).plus(0.5);
}

function continuedFractionTail(y: Decimal): Decimal {
  // Q(y) = φ(y) / (y + 1/(y + 2/(y + 3/(y + ...)))), evaluated from the bottom
  let fraction = y;
  for (let k = 200; k >= 1; k--) fraction = y.plus(new Big(k).div(fraction));
  return pdfRef(y).div(fraction);
}

function cdfRef(x: Decimal): Decimal {
  if (x.abs().lte(5)) return seriesCdf(x);
  const tail = continuedFractionTail(x.abs());
  return x.isNegative() ? tail : new Big(1).minus(tail);
}

function relativeError(got: number, ref: Decimal): number {
  return new Big(got).minus(ref).div(ref).abs().toNumber();
}

describe('normal distribution', () => {
  it('reproduces the DOMAIN §1.2 quantiles and normal-ES multipliers to the printed digits', () => {
    const table: [number, number, number][] = [
      [0.95, 1.6448536, 2.0627128],
      [0.975, 1.959964, 2.3378028],
      [0.99, 2.3263479, 2.6652142],
      [0.995, 2.5758293, 2.8919486],
      [0.999, 3.0902323, 3.3670901],
    ];
    for (const [c, z, es] of table) {
      expect(normalVarMultiplier(c)).toBeCloseTo(z, 7);
      expect(normInv(c)).toBeCloseTo(z, 7);
      expect(normalEsMultiplier(c)).toBeCloseTo(es, 7);
      expect(normPdf(normInv(c)) / (1 - c)).toBeCloseTo(es, 7);
    }
  });

  it('the two references agree where both converge', () => {
    for (const x of [-5, -4.5, -4, -3.5]) {
      const a = seriesCdf(new Big(x));
      const b = continuedFractionTail(new Big(-x));
      expect(a.minus(b).div(b).abs().toNumber()).toBeLessThan(1e-25);
    }
  });

  it('normCdf is within 1e-14 relative of the 40-digit reference from -37 to 8.5, incl. the range seams', () => {
    const points = [-0.66291, 0.66291, -5.656854249492381, 5.656854249492381, -38.4, -37.5, 1e-300, -1e-10];
    for (let k = -37 * 16; k <= 8.5 * 16; k += 5) points.push(k / 16 + 0.0123);
    let worst = 0;
    for (const x of points) {
      const ref = cdfRef(exact(x));
      if (ref.lt(1e-300)) continue; // subnormal results carry fewer digits by construction
      worst = Math.max(worst, relativeError(normCdf(x), ref));
    }
    expect(worst).toBeLessThan(1e-14);
  });

  it('normCdf keeps relative precision deep in the lower tail', () => {
    // Φ(-20) = 2.7536241186062336951e-89, Φ(-37) = 5.7255712225239946e-300 (from the reference)
    expect(relativeError(normCdf(-20), cdfRef(new Big(-20)))).toBeLessThan(1e-14);
    expect(normCdf(-20)).toBeCloseTo(2.7536241186062337e-89, 100);
    expect(normCdf(-40)).toBe(0);
    expect(normCdf(40)).toBe(1);
  });

  it('normPdf is within 1e-14 relative of the reference on [-37, 37]', () => {
    let worst = 0;
    for (let k = -37 * 8; k <= 37 * 8; k += 3) {
      const x = k / 8 + 0.0071;
      worst = Math.max(worst, relativeError(normPdf(x), pdfRef(exact(x))));
    }
    expect(worst).toBeLessThan(1e-14);
    expect(normPdf(0)).toBe(0.3989422804014327);
  });

  it('normInv is within 1e-14 of the exact quantile of its (double) argument, tails included', () => {
    let worst = 0;
    const probabilities: number[] = [0.5, 0.5 + 2 ** -30, 0.075, 0.925, 0.6, 0.99, 0.999999, 1 - 2 ** -40];
    for (const e of [300, 200, 100, 50, 20, 12, 8, 5, 3, 2, 1.3, 1.1]) {
      for (const m of [1, 3.7]) probabilities.push(m * 10 ** -e);
    }
    for (const p of probabilities) {
      const target = exact(p);
      const got = normInv(p);
      // Newton from the candidate, in 40 digits: x ← x − (Φ(x) − p)/φ(x)
      let x = exact(got);
      for (let i = 0; i < 3; i++) x = x.minus(cdfRef(x).minus(target).div(pdfRef(x)));
      const error = new Big(got).minus(x).abs().div(Decimal.max(1, x.abs())).toNumber();
      worst = Math.max(worst, error);
    }
    expect(worst).toBeLessThan(1e-14);
  });

  it('handles the edges without throwing', () => {
    expect(normInv(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normInv(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normInv(-0.1)).toBeNaN();
    expect(normInv(1.1)).toBeNaN();
    expect(normInv(Number.NaN)).toBeNaN();
    expect(normInv(0.5)).toBe(0);
    expect(normCdf(Number.NaN)).toBeNaN();
    expect(normCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normPdf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normPdf(Number.NaN)).toBeNaN();
  });

  it('is symmetric: φ(−x) = φ(x), Φ(−x) + Φ(x) = 1, Φ⁻¹(1 − p) = −Φ⁻¹(p)', () => {
    fc.assert(
      fc.property(fc.double({ min: -40, max: 40, noNaN: true }), (x) => {
        expect(normPdf(-x)).toBe(normPdf(x));
        expect(Math.abs(normCdf(-x) + normCdf(x) - 1)).toBeLessThanOrEqual(ULP);
      }),
      { seed: 20260101, numRuns: 500 },
    );
    // dyadic p so that 1 − p is exact
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 30 - 1 }), (k) => {
        const p = k / 2 ** 30;
        expect(normInv(1 - p)).toBe(-normInv(p));
      }),
      { seed: 20260102, numRuns: 500 },
    );
  });

  it('is monotone up to rounding (a few ulps), and strictly so for separated arguments', () => {
    fc.assert(
      fc.property(fc.double({ min: -38, max: 9, noNaN: true }), fc.double({ min: -38, max: 9, noNaN: true }), (u, v) => {
        const a = Math.min(u, v);
        const b = Math.max(u, v);
        const fa = normCdf(a);
        const fb = normCdf(b);
        expect(fa).toBeLessThanOrEqual(fb * (1 + 4 * ULP));
        if (b <= 0 && a > -37 && b - a >= 1e-6 * Math.max(1, Math.abs(a))) expect(fa).toBeLessThan(fb);
      }),
      { seed: 20260103, numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1, noNaN: true }), fc.double({ min: 1e-300, max: 1, noNaN: true }), (u, v) => {
        const lo = normInv(Math.min(u, v));
        const hi = normInv(Math.max(u, v));
        expect(lo).toBeLessThanOrEqual(hi + 4 * ULP * Math.max(1, Math.abs(hi)));
      }),
      { seed: 20260104, numRuns: 2000 },
    );
  });

  it('round-trips: normInv(normCdf(x)) ≈ x, within the conditioning of the double p', () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 6, noNaN: true }), (x) => {
        const p = normCdf(x);
        // rounding p to a double moves the quantile by up to ulp(p)/φ(x)
        const tolerance = 1e-14 * Math.max(1, Math.abs(x)) + (2 * ULP * p) / normPdf(x);
        expect(Math.abs(normInv(p) - x)).toBeLessThanOrEqual(tolerance);
      }),
      { seed: 20260105, numRuns: 2000 },
    );
  });
});
