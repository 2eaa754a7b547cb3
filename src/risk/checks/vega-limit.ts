import { NU_VEGA, NU_RES_VEGA_NEG, NU_RES_VEGA_POS } from '../exposures.js';
import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Vega per underlying, reporting currency per vol point. Open orders count on the side that makes it worse. */
export const vegaLimit: RiskCheck = {
  name: 'vega-limit',
  codes: ['RISK_VEGA'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const u = ctx.underlying;
    const impact = ctx.vegaImpact;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.underlyings[u * 4 + 3]!;
      if (lim !== lim) continue;
      const base = a.nuBase(node, u);
      const observed = a.nu[base + NU_VEGA]! + a.nu[base + (impact >= 0 ? NU_RES_VEGA_POS : NU_RES_VEGA_NEG)]!;
      const projected = observed + impact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_VEGA', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, lim, observed, projected);
    }
  },
};
