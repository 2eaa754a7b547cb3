import { SCOPES, type RiskCheck } from './context.js';

/**
 * Position per instrument, projected with open orders on the same side, compared exactly in whole
 * lots at each level (a strategy's and the firm's position sum their accounts').
 */
export const positionLimit: RiskCheck = {
  name: 'position-limit',
  codes: ['RISK_POSITION'],
  needsPrice: false,
  run(ctx) {
    const s = ctx.state;
    const lot = ctx.lot.value;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.instrument(ctx.i);
      if (lim === undefined || lim.maxPosition === null) continue;
      const nq = s.nodeQty(node, ctx.i);
      const worst = nq.qtyLots + (ctx.side === 1 ? nq.resBuyLots : -nq.resSellLots);
      const projected = worst + ctx.side * ctx.qtyLots;
      const absP = Math.abs(projected);
      if (absP > lim.maxPositionLots && absP > Math.abs(worst)) {
        ctx.fail('RISK_POSITION', SCOPES[k]!, `${ctx.target(k)}/${ctx.ins.id}`, ctx.qtyNumber(lim.maxPosition), worst * lot, projected * lot);
      }
    }
  },
};
