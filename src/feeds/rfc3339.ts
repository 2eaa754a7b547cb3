/**
 * RFC 3339 timestamps to epoch milliseconds, keeping microseconds as the fraction
 * (`2023-10-06T17:35:55.440295Z` -> 1696613755440.295). Digits beyond microseconds (Coinbase
 * Advanced Trade sends nanoseconds) are dropped: a double holds epoch-ms with ~0.25 µs resolution,
 * so nanoseconds would be noise. Hand-rolled because Date.parse silently truncates to ms and accepts
 * many non-RFC forms.
 */

/** Epoch ms (fraction = sub-ms part), or NaN when the text is not an RFC 3339 UTC/offset time. */
export function parseRfc3339Ms(s: string): number {
  // Shortest valid form: 2023-10-06T17:35:55Z (20 chars).
  if (s.length < 20 || s.length > 40) return Number.NaN;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (s.charCodeAt(10) !== 84 && s.charCodeAt(10) !== 116 && s.charCodeAt(10) !== 32) || // T, t or space
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return Number.NaN;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  if (hour < 0 || minute < 0 || second < 0) return Number.NaN;
  let i = 19;
  let fractionMs = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    i++;
    const fracStart = i;
    let scale = 100; // first fraction digit = 100 ms
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (i - fracStart < 6) {
        fractionMs += (c - 48) * scale;
        scale /= 10;
      }
      i++;
    }
    if (i === fracStart) return Number.NaN;
  }
  let offsetMinutes = 0;
  const z = s.charCodeAt(i);
  if (z === 90 /* Z */ || z === 122 /* z */) {
    i++;
  } else if (z === 43 /* + */ || z === 45 /* - */) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59 || s.charCodeAt(i + 3) !== 58) return Number.NaN;
    offsetMinutes = (oh * 60 + om) * (z === 43 ? 1 : -1);
    i += 6;
  } else {
    return Number.NaN;
  }
  if (i !== s.length) return Number.NaN;
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second === 60 ? 59 : second);
  // Date.UTC rolls 2023-02-31 over into March: refuse such dates instead.
  if (new Date(wholeMs).getUTCDate() !== day) return Number.NaN;
  // Rounded to 1e-3 ms so 440.295 stays 440.295 rather than 440.29499999.
  return Math.round((wholeMs - offsetMinutes * 60_000 + fractionMs) * 1000) / 1000;
}

/** Formats epoch ms (fraction = µs) as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the form Kraken and Coinbase send. */
export function formatRfc3339Micros(ms: number): string {
  const totalMicros = Math.round(ms * 1000);
  const whole = Math.floor(totalMicros / 1000);
  const micros = totalMicros - whole * 1000;
  const iso = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Non-negative integer from `count` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const c = s.charCodeAt(at + k);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}
