/**
 * `keel replay` end to end through the real CLI: the documented example log, decisions with their
 * reasons, refused lines reported with their line number, the final state, and byte-identical
 * output on a second run.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const run = (): string =>
  execFileSync(process.execPath, [join(ROOT, 'bin/keel.js'), 'replay', '--events', join(ROOT, 'test/fixtures/replay/day1.ndjson')], { encoding: 'utf8' });

describe('keel replay', () => {
  const first = run();
  const lines = first.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('prints every decision with its reasons', () => {
    const decisions = lines.filter((l) => l.type === 'decision');
    expect(decisions.map((d) => [d.clOrdId, d.approved])).toEqual([
      ['bb-1', true],
      ['bb-2', true],
      ['bb-3', false],
      ['bb-4', false],
      ['dv-1', true],
      ['dv-2', true],
      ['bb-6', false],
      ['bb-7', false],
      ['bb-8', false],
      ['bb-8b', true],
    ]);
    const codes = (id: string): unknown[] => ((decisions.find((d) => d.clOrdId === id)!.reasons as Array<{ code: string }>).map((r) => r.code));
    expect(codes('bb-3')).toEqual(['ORDER_MAX_QTY', 'ORDER_MAX_NOTIONAL']);
    expect(codes('bb-4')).toEqual(['ORDER_PRICE_COLLAR']);
    expect(codes('bb-6')).toEqual(['STATE_HALTED']);
    expect(codes('bb-7')).toEqual(['ORDER_MAX_NOTIONAL']);
    expect(codes('bb-8')).toEqual(['DATA_FEED_UNHEALTHY']);
  });

  it('reports refused input lines with their numbers and keeps going', () => {
    const errors = lines.filter((l) => l.type === 'input_error');
    expect(errors.map((e) => e.line)).toEqual([43, 59]);
  });

  it('ends with the final state: exact positions and cash, risk per account', () => {
    const final = lines.at(-1) as { type: string; summary: Record<string, number>; report: { accounts: Array<{ id: string; cash: Record<string, string>; positions: Array<Record<string, unknown>> }> } };
    expect(final.type).toBe('final');
    expect(final.summary).toEqual({ lines: 60, applied: 58, decisions: 10, approved: 5, inputErrors: 2 });
    const basis = final.report.accounts.find((a) => a.id === 'binance-basis')!;
    // 2,000,000 deposited; spot buy 5 @ 87,630 (fee 0.005 BTC); perp fees 52.596 + 35.064; funding +43.825.
    expect(basis.cash).toEqual({ BTC: '-0.005', USDT: '1561806.165' });
    expect(basis.positions.map((p) => [p.instrument, p.qty, p.avgEntry, p.funding])).toEqual([
      ['binance:BTC/USDT', '5', '87630', '0'],
      ['binance:BTC/USDT:USDT', '-5', '87660', '43.825'],
    ]);
  });

  it('is byte-for-byte reproducible', () => {
    expect(run()).toBe(first);
  });
});
