import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Projected initial margin (positions + open orders + this order) as a fraction of equity. */
export const margin: RiskCheck = {
  name: 'margin',
  codes: ['RISK_MARGIN'],
  needsPrice: true,
  run(ctx) {
    const a = ctx.state.agg;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!.maxMarginUtilization;
      if (lim !== lim) continue;
      const equity = a.equity(node);
      const im = a.posIm[node]! + a.resIm[node]!;
      const observed = utilization(im, equity);
      const projected = utilization(im + ctx.imImpact, equity);
      if (breaches(lim, observed, projected)) ctx.fail('RISK_MARGIN', SCOPES[k]!, ctx.target(k), lim, observed, projected, `initial margin ${round2(im + ctx.imImpact)} vs equity ${round2(equity)}`);
    }
  },
};

function utilization(im: number, equity: number): number {
  if (equity > 0) return im / equity;
  return im > 0 ? Number.POSITIVE_INFINITY : 0;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
