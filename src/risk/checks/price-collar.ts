import { SCOPES, type RiskCheck } from './context.js';

/**
 * Price collar (RTS 6 15(1)(a)): a limit price within ±pct or ±ticks of the mark (the wider band
 * when both are set); a market order needs a best opposite price, itself within the band.
 */
export const priceCollar: RiskCheck = {
  name: 'price-collar',
  codes: ['ORDER_PRICE_COLLAR', 'ORDER_NO_REFERENCE_PRICE'],
  needsPrice: true,
  run(ctx) {
    const ref = ctx.refPrice;
    const m = ctx.state.market;
    let price = ctx.priceF;
    if (ctx.isMarket) {
      price = ctx.side === 1 ? m.ask[ctx.i]! : m.bid[ctx.i]!;
      if (!(price > 0)) {
        ctx.fail('ORDER_NO_REFERENCE_PRICE', 'instrument', ctx.ins.id, null, null, null, `market order needs a best ${ctx.side === 1 ? 'ask' : 'bid'}`);
        return;
      }
    }
    const deviation = Math.abs(price - ref);
    for (let k = 0; k < 3; k++) {
      const lim = ctx.state.limits[ctx.chain[k]!]!;
      const pct = lim.priceCollarPct;
      const ticks = lim.priceCollarTicks;
      if (pct !== pct && ticks !== ticks) continue;
      const band = Math.max(pct === pct ? ref * pct : 0, ticks === ticks ? ticks * ctx.ins.tickSizeF : 0);
      if (deviation > band * (1 + 1e-12)) {
        ctx.fail('ORDER_PRICE_COLLAR', SCOPES[k]!, ctx.target(k), band, null, deviation, `price ${price} vs reference ${ref}: band is absolute price distance`);
      }
    }
  },
};
