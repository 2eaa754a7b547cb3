import { SCOPES, type RiskCheck } from './context.js';

/**
 * Fat finger by size: the order quantity against each level's limit, compared exactly (RTS 6
 * 15(1)(c)): the general limit as Fixed (a bigint comparison allocates nothing), per-instrument
 * limits in whole lots.
 */
export const maxOrderQty: RiskCheck = {
  name: 'max-order-qty',
  codes: ['ORDER_MAX_QTY'],
  needsPrice: false,
  run(ctx) {
    for (let k = 0; k < 3; k++) {
      const lim = ctx.state.limits[ctx.chain[k]!]!;
      const general = lim.maxOrderQtyExact;
      if (general !== null && ctx.qty > general) ctx.fail('ORDER_MAX_QTY', SCOPES[k]!, ctx.target(k), lim.maxOrderQty, ctx.qtyF, ctx.qtyF);
      const specific = lim.instrument(ctx.i);
      if (specific === undefined || specific.maxOrderQty === null) continue;
      const over = Number.isInteger(ctx.qtyLots) ? ctx.qtyLots > specific.maxOrderQtyLots : ctx.qty > specific.maxOrderQty;
      if (over) {
        ctx.fail('ORDER_MAX_QTY', 'instrument', ctx.ins.id, ctx.qtyNumber(specific.maxOrderQty), ctx.qtyF, ctx.qtyF, `${SCOPES[k]} ${ctx.target(k)} limit for this instrument`);
      }
    }
  },
};
