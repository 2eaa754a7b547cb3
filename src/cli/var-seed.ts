/**
 * Reads the daily close history and builds the VaR covariance seed (src/risk/state.ts VarSeed):
 * the EWMA covariance of daily log returns at the end of the history (DOMAIN.md §1.1).
 * Assets with history through the last date are estimated jointly on their common dates; assets
 * whose history ends earlier (stablecoins in the shipped file) get their own variance and no
 * correlation, which keeps the seed positive semi-definite.
 */
import { readFileSync } from 'node:fs';
import type { VarSeed } from '../risk/state.js';
import { alignDailyCloses, ewmaCovarianceFromReturns, logReturns, type DailyClose } from '../risk/var/history.js';

export function readDailyCloses(file: string): DailyClose[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const header = lines[0]?.trim().split(',') ?? [];
  const di = header.indexOf('date');
  const si = header.indexOf('symbol');
  const ci = header.indexOf('close');
  if (di < 0 || si < 0 || ci < 0) throw new Error(`${file}: header must have date,symbol,close`);
  const rows: DailyClose[] = [];
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!.trim();
    if (line === '') continue;
    const cells = line.split(',');
    const close = Number(cells[ci]);
    if (!(close > 0)) throw new Error(`${file}:${k + 1}: close is not a positive number`);
    rows.push({ date: cells[di]!, symbol: cells[si]!, close });
  }
  return rows;
}

export function buildVarSeed(rows: readonly DailyClose[], wanted: readonly string[], lambda: number, seedDays: number): VarSeed {
  const lastDate = new Map<string, string>();
  for (const r of rows) if ((lastDate.get(r.symbol) ?? '') < r.date) lastDate.set(r.symbol, r.date);
  const present = wanted.filter((s) => lastDate.has(s));
  const end = present.reduce((m, s) => (lastDate.get(s)! > m ? lastDate.get(s)! : m), '');
  const joint = present.filter((s) => lastDate.get(s) === end);
  const alone = present.filter((s) => lastDate.get(s) !== end);
  const symbols = [...joint, ...alone];
  const m = symbols.length;
  const cov = new Float64Array(m * m);
  if (joint.length > 0) {
    const aligned = alignDailyCloses(rows, joint);
    const returns = aligned.closes.map((c) => logReturns(c));
    const jc = ewmaCovarianceFromReturns(returns, lambda, seedDays);
    for (let i = 0; i < joint.length; i++) for (let j = 0; j < joint.length; j++) cov[i * m + j] = jc[i * joint.length + j]!;
  }
  alone.forEach((s, k) => {
    const aligned = alignDailyCloses(rows, [s]);
    const r = logReturns(aligned.closes[0]!);
    const v = ewmaCovarianceFromReturns([r], lambda, Math.min(seedDays, r.length))[0]!;
    const idx = joint.length + k;
    cov[idx * m + idx] = v;
  });
  return { symbols, cov };
}
