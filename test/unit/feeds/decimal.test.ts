import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalFromJsonNumberToken,
  decimalFromNumber,
  decimalToNumber,
  divideDecimal,
  formatScaled,
  fractionDigits,
  isDecimalString,
  isZeroDecimal,
  normalizeDecimal,
  padDecimal,
  parseScaled,
  stripForChecksum,
} from '../../../src/feeds/decimal.js';

describe('normalizeDecimal', () => {
  it.each([
    ['1.423e-4', '0.0001423'],
    ['1.423E-4', '0.0001423'],
    ['-0', '0'],
    ['-0.000', '0.000'],
    ['+5', '5'],
    ['0.01000000', '0.01000000'],
    ['007.50', '7.50'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['1.50e1', '15.0'],
    ['1.5e3', '1500'],
    ['2E+2', '200'],
    ['-2.5e-3', '-0.0025'],
    ['0e5', '0'],
    ['-0e-2', '0.00'],
    ['123.456e2', '12345.6'],
    ['123.456e-2', '1.23456'],
    ['12e-2', '0.12'],
    ['1e-7', '0.0000001'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeDecimal(input)).toBe(expected);
  });

  it.each(['', '-', '+', '.', 'e5', '1e', '1e+', '1.2.3', 'abc', ' 1', '1 ', '0x10', 'NaN', 'Infinity', '1e999', '1,5', '--1'])(
    'refuses %j',
    (input) => {
      expect(normalizeDecimal(input)).toBeNull();
    },
  );

  it('returns the very same string when already canonical (no allocation)', () => {
    const s = '12345.6789';
    expect(normalizeDecimal(s)).toBe(s);
  });

  it('agrees with the numeric value for random scientific inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: -12, max: 12 }), (mant, fd, exp) => {
        const abs = String(Math.abs(mant)).padStart(fd + 1, '0');
        const m = (mant < 0 ? '-' : '') + (fd > 0 ? `${abs.slice(0, abs.length - fd)}.${abs.slice(abs.length - fd)}` : abs);
        const text = `${m}e${exp}`;
        const out = normalizeDecimal(text);
        expect(out).not.toBeNull();
        expect(isDecimalString(out!)).toBe(true);
        expect(out!.includes('e')).toBe(false);
        expect(Number(out)).toBeCloseTo(Number(text), 10);
        expect(fractionDigits(out!)).toBe(Math.max(0, fd - exp));
      }),
      { seed: 20261125, numRuns: 500 },
    );
  });
});

describe('isDecimalString', () => {
  it('accepts plain decimals only', () => {
    for (const ok of ['0', '-1', '0.5', '123.000', '007']) expect(isDecimalString(ok)).toBe(true);
    for (const bad of ['', '-', '.5', '5.', '1e3', '+1', '1.2.3', ' 1', 'a']) expect(isDecimalString(bad)).toBe(false);
  });
});

describe('decimalFromJsonNumberToken', () => {
  it('converts JSON number tokens exactly', () => {
    expect(decimalFromJsonNumberToken('1.423e-4')).toBe('0.0001423');
    expect(decimalFromJsonNumberToken('40.0')).toBe('40.0');
    expect(decimalFromJsonNumberToken('-0')).toBe('0');
    expect(decimalFromJsonNumberToken('0.10000000000000000555')).toBe('0.10000000000000000555');
  });
  it('refuses what JSON refuses', () => {
    for (const bad of ['01', '.5', '5.', '+1', '1e', '-', '1.e3', '0x1', 'NaN']) expect(decimalFromJsonNumberToken(bad)).toBeNull();
  });
});

describe('decimalFromNumber', () => {
  it('prints the shortest round-trip form in plain notation', () => {
    expect(decimalFromNumber(1e-7)).toBe('0.0000001');
    expect(decimalFromNumber(0.1)).toBe('0.1');
    expect(decimalFromNumber(-0)).toBe('0');
    expect(decimalFromNumber(1e21)).toBe('1000000000000000000000');
    expect(decimalFromNumber(Number.NaN)).toBeNull();
  });
});

describe('divideDecimal', () => {
  it('divides exactly, adding only the fraction digits the quotient needs', () => {
    expect(divideDecimal('88270.0', '10')).toBe('8827.0');
    expect(divideDecimal('15', '10')).toBe('1.5');
    expect(divideDecimal('2.2e3', '10')).toBe('220');
    expect(divideDecimal('1', '8')).toBe('0.125');
    expect(divideDecimal('0.5', '0.1')).toBe('5');
    expect(divideDecimal('0.0645', '1')).toBe('0.0645');
    expect(divideDecimal('-25', '10')).toBe('-2.5');
  });
  it('divides by a power of ten (the contract-size case) as exact bigint division does', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 6 }), (negative, units, scale, k) => {
        const digits = units.toString().padStart(scale + 1, '0');
        const dividend = `${negative ? '-' : ''}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
        // Reference: (units x 10^extra) / 10^k with the fewest extra digits that make it whole.
        let numerator = units;
        let extra = 0;
        while (numerator % 10n ** BigInt(k) !== 0n) {
          numerator *= 10n;
          extra++;
        }
        const quotient = (numerator / 10n ** BigInt(k)).toString().padStart(scale + extra + 1, '0');
        const outScale = scale + extra;
        const body = outScale === 0 ? quotient : `${quotient.slice(0, -outScale)}.${quotient.slice(-outScale)}`;
        expect(divideDecimal(dividend, `1${'0'.repeat(k)}`)).toBe(negative && units !== 0n ? `-${body}` : body);
      }),
      { seed: 20261126, numRuns: 2000 },
    );
  });
  it('refuses a quotient that does not terminate, a zero divisor and non-decimals', () => {
    expect(divideDecimal('1', '3')).toBeNull();
    expect(divideDecimal('3', '0')).toBeNull();
    expect(divideDecimal('x', '10')).toBeNull();
  });
});

describe('padDecimal', () => {
  it('pads and trims zeros exactly', () => {
    expect(padDecimal('0.566', 8)).toBe('0.56600000');
    expect(padDecimal('40', 2)).toBe('40.00');
    expect(padDecimal('1.2300', 2)).toBe('1.23');
    expect(padDecimal('5.000', 0)).toBe('5');
    expect(padDecimal('1.25', 1)).toBeNull();
    expect(padDecimal('1e3', 2)).toBeNull();
  });
});

describe('stripForChecksum', () => {
  it('follows the Kraken v2 form', () => {
    expect(stripForChecksum('45285.2')).toBe('452852');
    expect(stripForChecksum('0.00100000')).toBe('100000');
    expect(stripForChecksum('0.00000000')).toBe('');
  });
});

describe('isZeroDecimal / decimalToNumber', () => {
  it('detects zeros in any notation', () => {
    for (const z of ['0', '0.00000000', '-0', '0e-3', '0.0E5']) expect(isZeroDecimal(z)).toBe(true);
    for (const nz of ['0.00000001', '1', '-0.1', '1e-9', '', '.']) expect(isZeroDecimal(nz)).toBe(false);
  });
  it('gives float keys', () => {
    expect(decimalToNumber('123.5')).toBe(123.5);
    expect(Number.isNaN(decimalToNumber('x'))).toBe(true);
  });
});

describe('parseScaled / formatScaled', () => {
  it('round-trips integer unit counts', () => {
    expect(parseScaled('2.5')).toEqual({ units: 25, decimals: 1 });
    expect(parseScaled('0.00000001')).toEqual({ units: 1, decimals: 8 });
    expect(parseScaled('1e-3')).toBeNull();
    expect(formatScaled(36000 * 25, 1)).toBe('90000.0');
    expect(formatScaled(1, 8)).toBe('0.00000001');
    expect(formatScaled(-5, 2)).toBe('-0.05');
    expect(formatScaled(0, 3)).toBe('0.000');
    expect(formatScaled(1.5, 2)).toBeNull();
  });
  it('formats every safe tick count exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 10 }), (units, decimals) => {
        const text = formatScaled(units, decimals)!;
        expect(fractionDigits(text)).toBe(decimals);
        expect(parseScaled(text)).toEqual({ units: units === 0 ? 0 : units, decimals });
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
