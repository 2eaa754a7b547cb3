/** RFC 3339 timestamps (src/feeds/rfc3339.ts), the time format of Kraken v2 and Coinbase. */
import { describe, expect, it } from 'vitest';
import { formatRfc3339Micros, parseRfc3339Ms } from '../../../src/feeds/rfc3339.js';

describe('RFC 3339 timestamps', () => {
  it('RFC 3339 with µs and ns fractions, offsets; invalid dates refused', () => {
    expect(parseRfc3339Ms('2023-10-06T17:35:55.440295Z')).toBe(Date.UTC(2023, 9, 6, 17, 35, 55, 440) + 0.295);
    expect(parseRfc3339Ms('2023-02-09T20:32:50.714964855Z')).toBe(Date.UTC(2023, 1, 9, 20, 32, 50, 714) + 0.964);
    expect(parseRfc3339Ms('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseRfc3339Ms('2023-10-06T19:35:55.5+02:00')).toBe(Date.UTC(2023, 9, 6, 17, 35, 55, 500));
    expect(parseRfc3339Ms('2023-02-30T00:00:00Z')).toBeNaN();
    expect(parseRfc3339Ms('2023-10-06 17:35')).toBeNaN();
    expect(formatRfc3339Micros(Date.UTC(2023, 9, 6, 17, 35, 55, 440) + 0.295)).toBe('2023-10-06T17:35:55.440295Z');
    expect(formatRfc3339Micros(Date.UTC(2023, 9, 6, 17, 35, 55, 999) + 0.9996)).toBe('2023-10-06T17:35:56.000000Z');
  });
});
