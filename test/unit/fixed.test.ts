import { describe, expect, it } from 'vitest';
import { add, div, format, fx, mul, parseFixed, parseFixedRounded, roundTo } from '../../src/portfolio/fixed.js';

describe('fixed-point decimals', () => {
  it('adds 0.1 + 0.2 exactly', () => {
    expect(format(add(fx('0.1'), fx('0.2')))).toBe('0.3');
  });
  it('parses scientific notation exactly', () => {
    expect(format(fx('1.423e-4'))).toBe('0.0001423');
    expect(format(fx('5E+3'))).toBe('5000');
  });
  it('refuses more than 18 decimals unless rounding is asked for', () => {
    expect(parseFixed('0.0000000000000000001')).toEqual({ ok: false, error: 'TOO_PRECISE' });
    const r = parseFixedRounded('0.0000000000000000015');
    expect(r.ok && format(r.value)).toBe('0.000000000000000002');
  });
  it('refuses non-numeric text with a stable code', () => {
    expect(parseFixed('abc')).toEqual({ ok: false, error: 'SYNTAX' });
    expect(parseFixed('NaN')).toEqual({ ok: false, error: 'SYNTAX' });
    expect(parseFixed('')).toEqual({ ok: false, error: 'EMPTY' });
    expect(parseFixed(1.5)).toEqual({ ok: false, error: 'NOT_A_STRING' });
    expect(parseFixed('1e')).toEqual({ ok: false, error: 'SYNTAX' });
  });
  it('multiplies and divides with half-even rounding', () => {
    expect(format(mul(fx('0.00000001'), fx('87648.22')))).toBe('0.0008764822');
    expect(format(div(fx('1'), fx('3')))).toBe('0.333333333333333333');
    expect(format(div(fx('2'), fx('3')))).toBe('0.666666666666666667');
    expect(format(roundTo(fx('0.476190476190476190'), 8))).toBe('0.47619048');
  });
});

describe('parsing fast path', () => {
  it('agrees with an independent decimal parser on every plain decimal (fast-check)', async () => {
    const fc = (await import('fast-check')).default;
    const Decimal = (await import('decimal.js')).Decimal.clone({ precision: 100 });
    const decimalText = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,16}$/), fc.option(fc.stringMatching(/^[0-9]{0,20}$/), { nil: undefined }))
      .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`);
    fc.assert(
      fc.property(decimalText, (text) => {
        const r = parseFixed(text);
        const fracLen = text.includes('.') ? text.split('.')[1]!.length : 0;
        if (fracLen > 18 && !/^0*$/.test(text.split('.')[1]!.slice(18))) {
          expect(r.ok).toBe(false);
          return;
        }
        if (text.endsWith('.') && !r.ok) return;
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value.toString()).toBe(new Decimal(text).times('1e18').toFixed(0));
      }),
      { seed: 20261126, numRuns: 2000 },
    );
  });
});
