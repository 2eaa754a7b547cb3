/**
 * Exact quantities on the hot path without bigint: a quantity on an instrument's lot grid is an
 * integer number of lots, and integers below 2^53 are exact in float64. Positions, open-order
 * reservations and quantity limits are kept in lots, so adding an order to a position and comparing
 * it with a limit is exact and allocates nothing (bigints would be new heap objects on every
 * update of long-lived state, which the GC then has to promote and collect).
 *
 * The ledger stays in Fixed (bigint); lots mirror it. A quantity off the lot grid (a venue fill
 * that is not a multiple of the lot, in practice never) is carried as a fractional lot count and
 * compared in float: the only place exactness is not guaranteed.
 */
import { divRound, plainDecimal, scanPlainDecimal, toNumber, type Fixed } from '../portfolio/fixed.js';
import type { Instrument } from '../portfolio/instruments.js';

/** A step size (lot or tick) as mantissa x 10^-decimals, e.g. 0.001 = 1 x 10^-3, 0.5 = 5 x 10^-1. */
export interface StepScale {
  mantissa: number;
  decimals: number;
  /** The step as float64 (for display and float math). */
  value: number;
  exact: Fixed;
}

const P10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

export function stepScale(step: Fixed): StepScale {
  const text = step.toString(); // integer count of 1e-18
  let digits = text.replace(/^-/, '');
  let decimals = 18;
  while (decimals > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    decimals--;
  }
  return { mantissa: Number(digits), decimals, value: toNumber(step), exact: step };
}

/**
 * Steps in a plain decimal string (`"0.250"` at lot 0.001 = 250), exactly, or NaN when the text is
 * not a multiple of the step or needs more than 15 significant digits (callers fall back to bigint).
 */
export function stepsFromText(text: string, scale: StepScale): number {
  if (!scanPlainDecimal(text)) return Number.NaN;
  const { mantissa, decimals: d, negative } = plainDecimal;
  let scaled: number;
  if (d <= scale.decimals) {
    scaled = mantissa * P10[scale.decimals - d]!;
    if (scaled > Number.MAX_SAFE_INTEGER) return Number.NaN;
  } else {
    const div = P10[d - scale.decimals]!;
    if (mantissa % div !== 0) return Number.NaN;
    scaled = mantissa / div;
  }
  if (scaled % scale.mantissa !== 0) return Number.NaN;
  const steps = scaled / scale.mantissa;
  return negative ? -steps : steps;
}

/** Steps in an exact quantity: an integer when on the grid, else a fractional count (see above). */
export function stepsFromFixed(x: Fixed, scale: StepScale): number {
  if (x === 0n) return 0;
  if (x % scale.exact === 0n) return Number(x / scale.exact);
  return toNumber(x) / scale.value;
}

/** Steps back to an exact quantity (for reports and snapshots). */
export function fixedFromSteps(steps: number, scale: StepScale): Fixed {
  if (Number.isInteger(steps)) return (BigInt(steps) * scale.exact) as Fixed;
  return divRound(BigInt(Math.round(steps * 1e6)) * scale.exact, 1_000_000n) as Fixed;
}

/** Largest whole number of steps not above `limit` (limits need not sit on the grid). */
export function stepsBelow(limit: Fixed, scale: StepScale): number {
  return Number(limit / scale.exact);
}

export function lotScale(ins: Instrument): StepScale {
  return stepScale(ins.lotSize);
}

export function tickScale(ins: Instrument): StepScale {
  return stepScale(ins.tickSize);
}
