import { NU_GROSS, NU_RES_GROSS } from '../exposures.js';
import { SCOPES, type RiskCheck } from './context.js';

/**
 * One underlying's share of gross notional per level, checked once projected gross reaches
 * `concentrationMinGross` (below it every first position would be 100% concentrated).
 */
export const concentration: RiskCheck = {
  name: 'concentration',
  codes: ['RISK_CONCENTRATION'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const u = ctx.underlying;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!;
      const max = lim.maxConcentration;
      if (max !== max) continue;
      const gross = a.posGross[node]! + a.resGross[node]!;
      const projectedGross = gross + ctx.grossImpact;
      const floor = lim.concentrationMinGross;
      if (floor === floor && projectedGross < floor) continue;
      if (!(projectedGross > 0)) continue;
      const base = a.nuBase(node, u);
      const grossU = a.nu[base + NU_GROSS]! + a.nu[base + NU_RES_GROSS]!;
      const observed = gross > 0 ? grossU / gross : 0;
      const projected = (grossU + ctx.grossImpact) / projectedGross;
      if (projected > max && projected > observed) {
        ctx.fail('RISK_CONCENTRATION', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, max, observed, projected);
      }
    }
  },
};
