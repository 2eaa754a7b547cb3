import type { RiskCheck } from './context.js';

/** A reduce-only order must not increase the position (counting same-side open orders). */
export const reduceOnly: RiskCheck = {
  name: 'reduce-only',
  codes: ['STATE_REDUCE_ONLY_WOULD_INCREASE'],
  needsPrice: false,
  run(ctx) {
    if (!ctx.reduceOnly || !ctx.increasesRisk) return;
    ctx.fail('STATE_REDUCE_ONLY_WOULD_INCREASE', 'instrument', ctx.ins.id, Math.abs(ctx.worstCaseF), ctx.worstCaseF, ctx.projectedF, 'reduce-only order would increase or flip the position');
  },
};
