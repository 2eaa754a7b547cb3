import { SCOPES, type RiskCheck } from './context.js';

/**
 * Kill switches and automatic triggers: HALTED rejects everything, REDUCING rejects any order
 * that would add exposure in its instrument (RTS 6 Art. 12 kill functionality; ARCHITECTURE §Risk).
 */
export const tradingState: RiskCheck = {
  name: 'trading-state',
  codes: ['STATE_HALTED', 'STATE_REDUCING'],
  needsPrice: false,
  run(ctx) {
    const states = ctx.state.tradingStates;
    for (let k = 2; k >= 0; k--) {
      const node = ctx.chain[k]!;
      const s = states[node]!;
      if (s === 2) ctx.fail('STATE_HALTED', SCOPES[k]!, ctx.target(k), null, null, null, ctx.state.stateReasons[node] || 'halted');
      else if (s === 1 && ctx.increasesRisk) {
        ctx.fail('STATE_REDUCING', SCOPES[k]!, ctx.target(k), null, null, null, ctx.state.stateReasons[node] || 'reduce-only');
      }
    }
  },
};
