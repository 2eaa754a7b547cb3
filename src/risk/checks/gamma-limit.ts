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
      const slot = node * a.underlyingCount + u;
      const observed = a.gammaU[slot]! + (impact >= 0 ? a.resGammaPos[slot]! : a.resGammaNeg[slot]!);
      const projected = observed + impact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_GAMMA', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, lim, observed, projected);
    }
  },
};
