/**
 * Why the ledger uses bigint fixed-point: the cost of one ledger step (qty x price + running sum)
 * with decimal.js, with Keel's Fixed (bigint at 1e-18, one rounding division), and with float64
 * (for scale only: float64 is not exact). Each variant's result is checked against the exact
 * answer, so a fast but wrong variant is reported as wrong, not as fast.
 *
 *   node --import tsx bench/ledger-arith.ts [--json]
 */
import { Decimal } from 'decimal.js';
import { add, format, fx, mul, type Fixed } from '../src/portfolio/fixed.js';
import { machineInfo, machineLine, saveResult } from './lib/machine.js';

const N = 1_000_000;
const qtys = Array.from({ length: 1024 }, (_, k) => `0.${String(1000 + ((k * 7919) % 9000)).padStart(4, '0')}`);
const prices = Array.from({ length: 1024 }, (_, k) => `8764${k % 10}.${String((k * 31) % 100).padStart(2, '0')}`);

function timeIt(run: () => string): { nsPerOp: number; result: string } {
  run(); // warm-up (JIT)
  const samples: number[] = [];
  let result = '';
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    result = run();
    samples.push(((performance.now() - t0) * 1e6) / N);
  }
  samples.sort((a, b) => a - b);
  return { nsPerOp: Math.round(samples[2]! * 10) / 10, result };
}

function main(): void {
  const json = process.argv.includes('--json');
  const dq = qtys.map((q) => new Decimal(q));
  const dp = prices.map((p) => new Decimal(p));
  const fq = qtys.map((q) => fx(q));
  const fp = prices.map((p) => fx(p));
  const nq = qtys.map(Number);
  const np = prices.map(Number);

  const decimal = timeIt(() => {
    let sum = new Decimal(0);
    for (let k = 0; k < N; k++) sum = sum.plus(dq[k & 1023]!.times(dp[k & 1023]!));
    return sum.toFixed();
  });
  const fixed = timeIt(() => {
    let sum = 0n as Fixed;
    for (let k = 0; k < N; k++) sum = add(sum, mul(fq[k & 1023]!, fp[k & 1023]!));
    return format(sum);
  });
  const float = timeIt(() => {
    let sum = 0;
    for (let k = 0; k < N; k++) sum += nq[k & 1023]! * np[k & 1023]!;
    return String(sum);
  });
  const exact = decimal.result;
  const result = {
    bench: 'ledger-arith',
    date: new Date().toISOString(),
    machine: machineInfo(),
    operation: 'sum += qty * price, 1e6 times (4-decimal qty, 2-decimal price)',
    decimalJs: { ...decimal, exact: true },
    bigintFixed: { ...fixed, exact: fixed.result === exact },
    float64: { ...float, exact: float.result === exact },
  };
  const path = saveResult('ledger-arith', result);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(`machine: ${machineLine(result.machine)}\n`);
    process.stdout.write(`decimal.js     ${decimal.nsPerOp} ns/op  ${exact}\n`);
    process.stdout.write(`bigint Fixed   ${fixed.nsPerOp} ns/op  ${fixed.result}  exact=${result.bigintFixed.exact}\n`);
    process.stdout.write(`float64        ${float.nsPerOp} ns/op  ${float.result}  exact=${result.float64.exact}\n`);
    process.stdout.write(`saved ${path}\n`);
  }
}

main();
