import { SCOPES, type RiskCheck } from './context.js';

/** Loss since 00:00 UTC (net of deposits and withdrawals): at the limit only risk-reducing orders pass. */
export const dailyLoss: RiskCheck = {
  name: 'daily-loss',
  codes: ['RISK_DAILY_LOSS'],
  needsPrice: false,
  run(ctx) {
    if (!ctx.increasesRisk) return;
    const a = ctx.state.agg;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!.maxDailyLoss;
      if (lim !== lim) continue;
      const loss = Math.max(0, -a.dailyPnl(node));
      if (loss >= lim) ctx.fail('RISK_DAILY_LOSS', SCOPES[k]!, ctx.target(k), lim, loss, loss);
    }
  },
};
