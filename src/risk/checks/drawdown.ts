import { SCOPES, type RiskCheck } from './context.js';

/** Trailing drawdown of equity from its peak: at the limit only risk-reducing orders pass. */
export const drawdown: RiskCheck = {
  name: 'drawdown',
  codes: ['RISK_DRAWDOWN'],
  needsPrice: false,
  run(ctx) {
    if (!ctx.increasesRisk) return;
    const a = ctx.state.agg;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!.maxDrawdown;
      if (lim !== lim) continue;
      const dd = a.drawdown(node);
      if (dd >= lim) ctx.fail('RISK_DRAWDOWN', SCOPES[k]!, ctx.target(k), lim, dd, dd);
    }
  },
};
