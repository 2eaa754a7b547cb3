import type { RiskCheck } from './context.js';

/** The instrument must be tradable, unexpired, and at the account's venue. */
export const instrumentState: RiskCheck = {
  name: 'instrument-state',
  codes: ['REF_INSTRUMENT_NOT_TRADABLE', 'REF_INSTRUMENT_EXPIRED', 'REF_VENUE_NOT_PERMITTED'],
  needsPrice: false,
  run(ctx) {
    const ins = ctx.ins;
    if (!ins.tradable) ctx.fail('REF_INSTRUMENT_NOT_TRADABLE', 'instrument', ins.id, null, null, null, 'instrument is configured not tradable');
    if (ins.expiryMs <= ctx.now) {
      ctx.fail('REF_INSTRUMENT_EXPIRED', 'instrument', ins.id, ins.expiryMs, ctx.now, ctx.now, `expired at ${new Date(ins.expiryMs).toISOString()}`);
    }
    if (ctx.venue !== ctx.account.venue) {
      ctx.fail('REF_VENUE_NOT_PERMITTED', 'account', ctx.accountId, null, null, null, `account is at ${ctx.state.universe.venueName(ctx.account.venue)}, instrument at ${ins.venue}`);
    }
  },
};
