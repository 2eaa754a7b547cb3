import { SCOPES, type RiskCheck } from './context.js';

/** Order size against the size at the best opposite level (an order that would sweep the book). */
export const liquidityBook: RiskCheck = {
  name: 'liquidity-book',
  codes: ['RISK_LIQUIDITY_BOOK'],
  needsPrice: true,
  run(ctx) {
    const m = ctx.state.market;
    const size = ctx.side === 1 ? m.askSize[ctx.i]! : m.bidSize[ctx.i]!;
    for (let k = 0; k < 3; k++) {
      const lim = ctx.state.limits[ctx.chain[k]!]!.maxBookFraction;
      if (lim !== lim) continue;
      if (!(size > 0)) {
        ctx.fail('RISK_LIQUIDITY_BOOK', SCOPES[k]!, ctx.target(k), lim, null, null, 'no size at the best opposite level');
        continue;
      }
      const fraction = ctx.qtyF / size;
      if (fraction > lim) ctx.fail('RISK_LIQUIDITY_BOOK', SCOPES[k]!, ctx.target(k), lim, fraction, fraction, `order ${ctx.qtyF} vs best level ${size}`);
    }
  },
};
