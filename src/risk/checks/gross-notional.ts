import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Gross notional (Σ |delta-equivalent notional|, open orders at full size) per level. */
export const grossNotional: RiskCheck = {
  name: 'gross-notional',
  codes: ['RISK_GROSS_NOTIONAL'],
  needsPrice: true,
  run(ctx) {
    const a = ctx.state.agg;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!.maxGrossNotional;
      if (lim !== lim) continue;
      const observed = a.posGross[node]! + a.resGross[node]!;
      const projected = observed + ctx.grossImpact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_GROSS_NOTIONAL', SCOPES[k]!, ctx.target(k), lim, observed, projected);
    }
  },
};
