import { NU_RES_UNITS, NU_UNITS } from '../exposures.js';
import { breaches, SCOPES, type RiskCheck } from './context.js';

/** Gross position in the underlying (delta-equivalent units, long plus short) per level. */
export const underlyingPosition: RiskCheck = {
  name: 'underlying-position',
  codes: ['RISK_UNDERLYING_POSITION'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const u = ctx.underlying;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.underlyings[u * 4]!;
      if (lim !== lim) continue;
      const base = a.nuBase(node, u);
      const observed = a.nu[base + NU_UNITS]! + a.nu[base + NU_RES_UNITS]!;
      const projected = observed + ctx.unitsImpact;
      if (breaches(lim, observed, projected)) ctx.fail('RISK_UNDERLYING_POSITION', SCOPES[k]!, `${ctx.target(k)}/${s.universe.underlyings[u]}`, lim, observed, projected);
    }
  },
};
