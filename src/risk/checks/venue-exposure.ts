import { SCOPES, type RiskCheck } from './context.js';

/**
 * Counterparty exposure to one exchange: the equity held there (cash, spot inventory, unrealized
 * P&L; floored at 0 per account) plus the gross notional of open orders and of this order, which
 * would be frozen there if the venue failed (DOMAIN §7.6 H6).
 */
export const venueExposure: RiskCheck = {
  name: 'venue-exposure',
  codes: ['RISK_VENUE_EXPOSURE'],
  needsPrice: true,
  run(ctx) {
    const s = ctx.state;
    const a = s.agg;
    const v = ctx.venue;
    for (let k = 0; k < 3; k++) {
      const node = ctx.chain[k]!;
      const lim = s.limits[node]!.venues[v]!;
      if (lim !== lim) continue;
      const observed = a.venueExposure[node * a.venueCount + v]! + a.resVenue[node * a.venueCount + v]!;
      const added = ctx.grossImpact > 0 ? ctx.grossImpact : 0;
      const projected = observed + added;
      if (projected > lim && added > 0) ctx.fail('RISK_VENUE_EXPOSURE', SCOPES[k]!, `${ctx.target(k)}/${ctx.ins.venue}`, lim, observed, projected);
    }
  },
};
