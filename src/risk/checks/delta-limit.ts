import { NU_DELTA, NU_RES_DELTA_NEG, NU_RES_DELTA_POS } from '../exposures.js';
import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Net delta per underlying (underlying units; every instrument on it, options by Black-76). Open orders count on the side that makes it worse. */
export const deltaLimit: RiskCheck = {
  name: 'delta-limit',
  codes: ['RISK_DELTA'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const u = ctx.underlying;
    const impact = ctx.deltaImpact;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.underlyings[u * 4 + 1]!;
      if (lim !== lim) continue;
      const base = a.nuBase(node, u);
      const observed = a.nu[base + NU_DELTA]! + a.nu[base + (impact >= 0 ? NU_RES_DELTA_POS : NU_RES_DELTA_NEG)]!;
      const projected = observed + impact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_DELTA', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, lim, observed, projected);
    }
  },
};
