/**
 * A seeded generator of realistic event logs for determinism and snapshot tests: random-walk
 * marks on every instrument, orders from three accounts, and the gateway's acks, fills, cancels
 * and rejects for the approved ones, plus deposits, funding, admin actions and ticks.
 */
import { SeededRandom } from '../../../../src/feeds/sim/random.js';
import type { Envelope, InputEvent } from '../../../../src/risk/events.js';
import { BTC_CALL, BTC_PERP, BTC_SPOT, CB_BTC, DERIBIT_PERP, ETH_PERP, T0 } from './setup.js';

const BINANCE = [BTC_SPOT, BTC_PERP, ETH_PERP];

function fmt(x: number, decimals: number): string {
  return x.toFixed(decimals);
}

/** Events in time order; check events carry the order, the gateway's reports follow later. */
export function generateLog(seed: number, count: number): Envelope<InputEvent>[] {
  const random = new SeededRandom(seed);
  const rnd = (): number => random.next();
  const out: Envelope<InputEvent>[] = [];
  let ts = T0;
  let btc = 50_000;
  let orderSeq = 0;
  const open: Array<{ account: string; clOrdId: string; instrument: string; side: 'buy' | 'sell'; qty: string; price: string }> = [];
  const push = (e: InputEvent): void => {
    out.push({ v: 1, ts, ...e } as Envelope<InputEvent>);
  };
  push({ type: 'transfer', account: 'acct1', transferId: 'dep1', currency: 'USDT', amount: '250000' });
  push({ type: 'transfer', account: 'acct2', transferId: 'dep2', currency: 'USDT', amount: '150000' });
  push({ type: 'transfer', account: 'drb1', transferId: 'dep3', currency: 'BTC', amount: '5' });
  while (out.length < count) {
    ts += Math.floor(rnd() * 400);
    const roll = rnd();
    if (roll < 0.45) {
      btc *= Math.exp((rnd() - 0.5) * 0.004);
      const px = (x: number, d: number): string => fmt(x, d);
      push({ type: 'quote', venue: 'coinbase', instrument: CB_BTC, exchTs: ts, recvTs: ts, bid: px(btc - 0.5, 2), bidSize: '3', ask: px(btc + 0.5, 2), askSize: '4' });
      push({ type: 'quote', venue: 'binance', instrument: BTC_SPOT, exchTs: ts, recvTs: ts, bid: px(btc - 1, 2), bidSize: '2', ask: px(btc + 1, 2), askSize: '2' });
      push({ type: 'mark', venue: 'binance', instrument: BTC_PERP, exchTs: ts, recvTs: ts, markPrice: px(btc * 1.0002, 1), fundingRate: '0.0001' });
      push({ type: 'quote', venue: 'binance', instrument: BTC_PERP, exchTs: ts, recvTs: ts, bid: px(btc, 1), bidSize: '5', ask: px(btc + 0.1, 1), askSize: '5' });
      push({ type: 'mark', venue: 'binance', instrument: ETH_PERP, exchTs: ts, recvTs: ts, markPrice: px(btc / 20, 2) });
      push({ type: 'quote', venue: 'binance', instrument: ETH_PERP, exchTs: ts, recvTs: ts, bid: px(btc / 20 - 0.01, 2), bidSize: '50', ask: px(btc / 20 + 0.01, 2), askSize: '50' });
      push({ type: 'mark', venue: 'deribit', instrument: DERIBIT_PERP, exchTs: ts, recvTs: ts, markPrice: px(btc, 1) });
      push({ type: 'quote', venue: 'deribit', instrument: DERIBIT_PERP, exchTs: ts, recvTs: ts, bid: px(btc - 0.5, 1), bidSize: '1000', ask: px(btc + 0.5, 1), askSize: '1000' });
      push({ type: 'option', venue: 'deribit', instrument: BTC_CALL, exchTs: ts, recvTs: ts, markPrice: fmt(0.03 + rnd() * 0.02, 4), markIv: fmt(0.5 + rnd() * 0.2, 4), underlyingPrice: px(btc, 2) });
    } else if (roll < 0.75) {
      const account = rnd() < 0.4 ? 'drb1' : rnd() < 0.5 ? 'acct1' : 'acct2';
      const instrument = account === 'drb1' ? (rnd() < 0.5 ? DERIBIT_PERP : BTC_CALL) : BINANCE[Math.floor(rnd() * BINANCE.length)]!;
      const side = rnd() < 0.55 ? 'buy' : 'sell';
      const ref = instrument === ETH_PERP ? btc / 20 : instrument === BTC_CALL ? 0.04 : btc;
      const tick = instrument === BTC_CALL ? 4 : instrument === BTC_PERP || instrument === DERIBIT_PERP ? 1 : 2;
      const price = instrument === DERIBIT_PERP ? fmt(Math.round((ref * (1 + (rnd() - 0.5) * 0.01)) * 2) / 2, 1) : fmt(ref * (1 + (rnd() - 0.5) * 0.01), tick);
      const qty = instrument === DERIBIT_PERP ? String(1 + Math.floor(rnd() * 500)) : instrument === BTC_CALL ? fmt(0.1 * (1 + Math.floor(rnd() * 20)), 1) : instrument === ETH_PERP ? fmt(0.01 * (1 + Math.floor(rnd() * 500)), 2) : fmt(0.001 * (2 + Math.floor(rnd() * 800)), 3);
      const clOrdId = `c${++orderSeq}`;
      const isMarket = rnd() < 0.1;
      const o = isMarket ? { clOrdId, account, instrument, side, type: 'market', qty } : { clOrdId, account, instrument, side, type: 'limit', qty, price };
      push({ type: 'check', order: o } as InputEvent);
      open.push({ account, clOrdId, instrument, side: side as 'buy' | 'sell', qty, price: isMarket ? fmt(ref, tick) : price });
    } else if (roll < 0.93 && open.length > 0) {
      const k = Math.floor(rnd() * open.length);
      const o = open[k]!;
      const what = rnd();
      if (what < 0.25) push({ type: 'order.ack', account: o.account, clOrdId: o.clOrdId });
      else if (what < 0.7) {
        open.splice(k, 1);
        push({ type: 'fill', account: o.account, execId: `e-${o.clOrdId}`, clOrdId: o.clOrdId, instrument: o.instrument, side: o.side, qty: o.qty, price: o.price, fee: '0.5', feeCurrency: 'USDT' });
        if (rnd() < 0.1) push({ type: 'fill', account: o.account, execId: `e-${o.clOrdId}`, clOrdId: o.clOrdId, instrument: o.instrument, side: o.side, qty: o.qty, price: o.price, fee: '0.5', feeCurrency: 'USDT' });
      } else if (what < 0.9) {
        open.splice(k, 1);
        push({ type: 'order.cancel', account: o.account, clOrdId: o.clOrdId });
      } else {
        open.splice(k, 1);
        push({ type: 'order.reject', account: o.account, clOrdId: o.clOrdId, reason: 'venue says no' });
      }
    } else if (roll < 0.95) {
      push({ type: 'funding', account: 'acct1', fundingId: `f${out.length}`, instrument: BTC_PERP, rate: '0.0001', markPrice: fmt(btc, 1) });
    } else if (roll < 0.97) {
      const state = rnd() < 0.5 ? 'REDUCING' : 'ACTIVE';
      push({ type: 'admin.state', scope: 'account', target: 'acct2', state, actor: 'risk.mgr', reason: 'drill' } as InputEvent);
    } else if (roll < 0.98) {
      push({ type: 'admin.limit', scope: 'strategy', target: 'alpha', limit: 'maxGrossNotional', value: 200_000 + Math.floor(rnd() * 400_000), actor: 'risk.mgr', reason: 'resize' } as InputEvent);
    } else {
      ts += 30_000;
      push({ type: 'tick' });
    }
  }
  return out;
}
