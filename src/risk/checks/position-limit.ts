import type { Fixed } from '../../portfolio/fixed.js';
import { SCOPES, type RiskCheck } from './context.js';

/**
 * Position per instrument, projected with open orders on the same side, compared exactly in
 * contracts at each level (a strategy's and the firm's position sum their accounts').
 */
export const positionLimit: RiskCheck = {
  name: 'position-limit',
  codes: ['RISK_POSITION'],
  needsPrice: false,
  run(ctx) {
    const s = ctx.state;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.instrument(ctx.i)?.maxPosition ?? null;
      if (lim === null) continue;
      const nq = s.nodeQty(node, ctx.i);
      const worst = (nq.qty + (ctx.side === 1 ? nq.resBuy : -nq.resSell)) as Fixed;
      const projected = (worst + (ctx.side === 1 ? ctx.qty : -ctx.qty)) as Fixed;
      const absP = projected < 0n ? -projected : projected;
      const absW = worst < 0n ? -worst : worst;
      if (absP > lim && absP > absW) {
        ctx.fail('RISK_POSITION', SCOPES[k]!, `${ctx.target(k)}/${ctx.ins.id}`, ctx.qtyNumber(lim), ctx.qtyNumber(worst), ctx.qtyNumber(projected));
      }
    }
  },
};
