import { SCOPES, type RiskCheck } from './context.js';

/** |Projected position| as a fraction of the instrument's average daily volume. */
export const liquidityAdv: RiskCheck = {
  name: 'liquidity-adv',
  codes: ['RISK_LIQUIDITY_ADV'],
  needsPrice: false,
  run(ctx) {
    const adv = ctx.ins.advF;
    for (let k = 0; k < 3; k++) {
      const lim = ctx.state.limits[ctx.chain[k]!]!.maxAdvFraction;
      if (lim !== lim) continue;
      if (!(adv > 0)) {
        ctx.fail('RISK_LIQUIDITY_ADV', SCOPES[k]!, ctx.target(k), lim, null, null, 'instrument has no ADV configured');
        continue;
      }
      const observed = Math.abs(ctx.worstCaseF) / adv;
      const projected = Math.abs(ctx.projectedF) / adv;
      if (projected > lim && projected > observed) ctx.fail('RISK_LIQUIDITY_ADV', SCOPES[k]!, ctx.target(k), lim, observed, projected);
    }
  },
};
