import { SCOPES, type RiskCheck } from './context.js';

/** Fat finger by value (RTS 6 15(1)(b)): the order's notional at its price, reporting currency. */
export const maxOrderNotional: RiskCheck = {
  name: 'max-order-notional',
  codes: ['ORDER_MAX_NOTIONAL'],
  needsPrice: true,
  run(ctx) {
    const notional = ctx.orderNotional;
    for (let k = 0; k < 3; k++) {
      const lim = ctx.state.limits[ctx.chain[k]!]!.maxOrderNotional;
      if (lim === lim && notional > lim) ctx.fail('ORDER_MAX_NOTIONAL', SCOPES[k]!, ctx.target(k), lim, notional, notional);
    }
  },
};
