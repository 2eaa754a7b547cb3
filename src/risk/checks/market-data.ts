import type { RiskCheck } from './context.js';

/**
 * Risk cannot be known without a trusted price: a feed that is resyncing, stale or down, a mark that
 * never arrived or is too old, or an option without IV all reject the order (fail closed).
 */
export const marketData: RiskCheck = {
  name: 'market-data',
  codes: ['DATA_FEED_UNHEALTHY', 'DATA_MARK_MISSING', 'DATA_MARK_STALE', 'DATA_GREEKS_UNAVAILABLE'],
  needsPrice: false,
  run(ctx) {
    const m = ctx.state.market;
    const i = ctx.i;
    if (!m.healthy(i)) ctx.fail('DATA_FEED_UNHEALTHY', 'instrument', ctx.ins.id, null, null, null, `feed status ${m.statusName(i)}`);
    const mark = m.mark[i]!;
    if (!(mark > 0)) {
      ctx.fail('DATA_MARK_MISSING', 'instrument', ctx.ins.id, null, null, null, 'no mark price received');
      return;
    }
    const maxAge = ctx.state.config.marks.maxAgeMs;
    const age = m.markAge(i, ctx.now);
    if (age > maxAge) ctx.fail('DATA_MARK_STALE', 'instrument', ctx.ins.id, maxAge, age, age, 'mark older than the allowed age (ms)');
    if (m.unitsOk[i] !== 1) {
      if (ctx.ins.isOption) ctx.fail('DATA_GREEKS_UNAVAILABLE', 'instrument', ctx.ins.id, null, null, null, 'no implied volatility / forward for Black-76');
      else ctx.fail('DATA_MARK_MISSING', 'instrument', ctx.ins.id, null, null, null, `no fx rate for ${ctx.ins.spec.quote} or ${ctx.ins.spec.settle}`);
    }
  },
};
