import { breaches, SCOPES, type RiskCheck } from './context.js';

/** |Net notional| (signed delta-equivalent, open orders assumed filled) per level. */
export const netNotional: RiskCheck = {
  name: 'net-notional',
  codes: ['RISK_NET_NOTIONAL'],
  needsPrice: true,
  run(ctx) {
    const a = ctx.state.agg;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!.maxNetNotional;
      if (lim !== lim) continue;
      const observed = a.posNet[node]! + a.resNet[node]!;
      const projected = observed + ctx.netImpact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_NET_NOTIONAL', SCOPES[k]!, ctx.target(k), lim, observed, projected);
    }
  },
};
