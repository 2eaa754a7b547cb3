import { format } from '../../portfolio/fixed.js';
import { stepsFromText } from '../lots.js';
import type { RiskCheck } from './context.js';

/**
 * Quantity on the lot grid and at least the minimum; limit price on the tick grid. Exact: counted
 * in whole steps from the decimal text, with a bigint remainder as the fallback for long inputs.
 */
export const increments: RiskCheck = {
  name: 'increments',
  codes: ['INVALID_QTY_INCREMENT', 'INVALID_QTY_BELOW_MIN', 'INVALID_PRICE_TICK'],
  needsPrice: false,
  run(ctx) {
    const ins = ctx.ins;
    if (!Number.isInteger(ctx.qtyLots) && ctx.qty % ins.lotSize !== 0n) {
      ctx.fail('INVALID_QTY_INCREMENT', 'instrument', ins.id, null, ctx.qtyF, ctx.qtyF, `qty must be a multiple of the lot size ${format(ins.lotSize)}`);
    }
    if (ctx.qty < ins.minQty) {
      ctx.fail('INVALID_QTY_BELOW_MIN', 'instrument', ins.id, ctx.qtyNumber(ins.minQty), ctx.qtyF, ctx.qtyF, `minimum quantity is ${format(ins.minQty)}`);
    }
    if (ctx.price !== null && ctx.priceText !== '' && !Number.isInteger(stepsFromText(ctx.priceText, ctx.state.universe.ticks[ctx.i]!)) && ctx.price % ins.tickSize !== 0n) {
      ctx.fail('INVALID_PRICE_TICK', 'instrument', ins.id, null, ctx.priceF, ctx.priceF, `price must be a multiple of the tick size ${format(ins.tickSize)}`);
    }
  },
};
