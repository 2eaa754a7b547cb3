import { NU_GAMMA, NU_RES_GAMMA_NEG, NU_RES_GAMMA_POS } from '../exposures.js';
import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Gamma per underlying: change of delta (underlying units) for a 1% move. Open orders count on the side that makes it worse. */
export const gammaLimit: RiskCheck = {
  name: 'gamma-limit',
  codes: ['RISK_GAMMA'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const u = ctx.underlying;
    const impact = ctx.gammaImpact;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.underlyings[u * 4 + 2]!;
      if (lim !== lim) continue;
      const base = a.nuBase(node, u);
      const observed = a.nu[base + NU_GAMMA]! + a.nu[base + (impact >= 0 ? NU_RES_GAMMA_POS : NU_RES_GAMMA_NEG)]!;
      const projected = observed + impact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_GAMMA', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, lim, observed, projected);
    }
  },
};
