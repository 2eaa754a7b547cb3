import type { RiskCheck } from './context.js';

/**
 * A client order id may be used once per account within the duplicate window (15c3-5 (c)(1)(ii)):
 * `duplicateWindowMs`, bounded to the last `duplicateWindowMaxOrders` ids of the account, and
 * never while an order under that id is still open.
 */
export const duplicateOrder: RiskCheck = {
  name: 'duplicate-order',
  codes: ['ORDER_DUPLICATE_ID'],
  needsPrice: false,
  run(ctx) {
    const window = ctx.state.duplicates[ctx.account.idx]!;
    window.prune(ctx.now, ctx.state.config.duplicateWindowMs);
    if (window.has(ctx.clOrdId)) {
      ctx.fail('ORDER_DUPLICATE_ID', 'account', ctx.accountId, null, null, null, `client order id ${ctx.clOrdId} already used`);
    } else if (ctx.state.reservations.get(ctx.account.idx, ctx.clOrdId) !== undefined) {
      // Older than the window but still open: a second order under its id would make every
      // later ack, fill or cancel ambiguous.
      ctx.fail('ORDER_DUPLICATE_ID', 'account', ctx.accountId, null, null, null, `client order id ${ctx.clOrdId} is still open`);
    }
  },
};
