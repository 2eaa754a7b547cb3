import { breaches, SCOPES, type RiskCheck } from './context.js';

/**
 * Parametric VaR per level, projected in O(1): the order's exact incremental effect on the
 * positions' VaR (σ'² = σ² + 2δg_k + δ²Σ_kk) plus the conservative bound carried by open orders.
 */
export const varLimit: RiskCheck = {
  name: 'var-limit',
  codes: ['RISK_VAR'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.maxVar;
      if (lim !== lim) continue;
      const observed = s.valueAtRisk(node);
      const projected = s.projectedVar(node, ctx.factor, ctx.varImpact);
      if (breaches(lim, observed, projected)) ctx.fail('RISK_VAR', SCOPES[k]!, ctx.target(k), lim, observed, projected);
    }
  },
};
