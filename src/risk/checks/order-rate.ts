import { SCOPES, type RiskCheck } from './context.js';

/** Approved orders per sliding window, per level (RTS 6 Art. 15(1)(d)). */
export const orderRate: RiskCheck = {
  name: 'order-rate',
  codes: ['ORDER_RATE_LIMIT'],
  needsPrice: false,
  run(ctx) {
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = ctx.state.limits[node]!;
      const max = lim.orderRateMaxOrders;
      const window = lim.orderRateWindowMs;
      if (max !== max || window !== window) continue;
      const count = ctx.state.rates[node]!.count(ctx.now, window);
      if (count + 1 > max) ctx.fail('ORDER_RATE_LIMIT', SCOPES[k]!, ctx.target(k), max, count, count + 1, `${max} orders per ${window} ms`);
    }
  },
};
