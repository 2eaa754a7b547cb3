/**
 * A small, hand-checkable universe and risk configuration for engine tests, plus helpers that
 * build envelopes. Numbers are chosen so expected values can be computed by hand.
 */
import { InstrumentRegistry, type InstrumentSpec } from '../../../../src/portfolio/instruments.js';
import type { LimitSet, RiskConfig } from '../../../../src/risk/config.js';
import { Engine } from '../../../../src/risk/engine.js';
import type { Envelope, InputEvent, Order } from '../../../../src/risk/events.js';
import type { Decision } from '../../../../src/risk/reasons.js';
import type { VarSeed } from '../../../../src/risk/state.js';

export const SPECS: InstrumentSpec[] = [
  { venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', tickSize: '0.01', lotSize: '0.001', minQty: '0.002', adv: '1000' },
  { venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'perpetual', settlementType: 'linear', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', tickSize: '0.1', lotSize: '0.001', initialMarginRate: 0.1 },
  { venue: 'binance', venueSymbol: 'ETHUSDT', kind: 'perpetual', settlementType: 'linear', base: 'ETH', quote: 'USDT', settle: 'USDT', underlying: 'ETH', contractSize: '1', tickSize: '0.01', lotSize: '0.01', initialMarginRate: 0.1 },
  { venue: 'deribit', venueSymbol: 'BTC-PERPETUAL', kind: 'perpetual', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '10', tickSize: '0.5', lotSize: '1', initialMarginRate: 0.05 },
  { venue: 'deribit', venueSymbol: 'BTC-25DEC26-100000-C', kind: 'option', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '1', tickSize: '0.0001', lotSize: '0.1', expiry: '2026-12-25T08:00:00Z', strike: '100000', optionType: 'call' },
  { venue: 'coinbase', venueSymbol: 'BTC-USD', kind: 'spot', settlementType: 'linear', base: 'BTC', quote: 'USD', settle: 'USD', underlying: 'BTC', contractSize: '1', tickSize: '0.01', lotSize: '0.00000001' },
  { venue: 'binance', venueSymbol: 'DELISTED', kind: 'spot', settlementType: 'linear', base: 'OLD', quote: 'USDT', settle: 'USDT', underlying: 'OLD', contractSize: '1', tickSize: '0.01', lotSize: '1', tradable: false },
];

export const BTC_SPOT = 'binance:BTC/USDT';
export const BTC_PERP = 'binance:BTC/USDT:USDT';
export const ETH_PERP = 'binance:ETH/USDT:USDT';
export const DERIBIT_PERP = 'deribit:BTC/USD:BTC';
export const BTC_CALL = 'deribit:BTC/USD:BTC-261225-100000-C';
export const CB_BTC = 'coinbase:BTC/USD';
export const DELISTED = 'binance:OLD/USDT';

/** 2026-11-26T10:00:00Z */
export const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

export function registry(): InstrumentRegistry {
  return InstrumentRegistry.of(SPECS);
}

export function riskConfig(overrides: { firm?: LimitSet; strategy?: LimitSet; account?: LimitSet; account2?: LimitSet } = {}): RiskConfig {
  return {
    reportingCurrency: 'USD',
    currencies: { USDT: { fixed: '1' }, BTC: { instrument: CB_BTC } },
    underlyings: { BTC: { reference: CB_BTC } },
    marks: { maxAgeMs: 10_000 },
    reservations: { pendingTtlMs: 30_000, openTtlMs: 3_600_000 },
    duplicateWindowMs: 86_400_000,
    duplicateWindowMaxOrders: 50_000,
    var: { lambda: 0.94, confidence: 0.99, horizonDays: 1, sampleIntervalMs: 86_400_000, revalueIntervalMs: 1_000, repriceIntervalMs: 1_000, defaultAnnualVol: 0.8 },
    triggers: { dailyLoss: 'REDUCING', drawdown: 'HALTED' },
    firm: { limits: overrides.firm },
    strategies: { alpha: { limits: overrides.strategy } },
    accounts: {
      acct1: { strategy: 'alpha', venue: 'binance', limits: overrides.account },
      acct2: { strategy: 'alpha', venue: 'binance', limits: overrides.account2 },
      drb1: { strategy: 'alpha', venue: 'deribit' },
    },
  };
}

/** Daily vols 3% (BTC) and 4% (ETH), correlation 0.8: DOMAIN.md §1.3's covariance. */
export const SEED: VarSeed = { symbols: ['BTC', 'ETH'], cov: new Float64Array([0.0009, 0.00096, 0.00096, 0.0016]) };

export function engine(config: RiskConfig = riskConfig(), seed: VarSeed = SEED): Engine {
  return new Engine(registry(), config, { varSeed: seed });
}

export function env<E extends InputEvent>(ts: number, event: E): Envelope<E> {
  return { v: 1, ts, ...event } as Envelope<E>;
}

let seq = 0;
export function order(partial: Partial<Order> & { instrument: string; qty: string }): Order {
  seq += 1;
  const o: Order = { clOrdId: partial.clOrdId ?? `o${seq}`, account: partial.account ?? 'acct1', instrument: partial.instrument, side: partial.side ?? 'buy', type: partial.type ?? 'limit', qty: partial.qty };
  if (o.type === 'limit') o.price = partial.price ?? '50000';
  if (partial.reduceOnly !== undefined) o.reduceOnly = partial.reduceOnly;
  return o;
}

/** Marks every instrument at a BTC price of `btc` (ETH at btc/20) with quotes 1 tick wide. */
export function markAll(e: Engine, ts: number, btc = 50_000): void {
  const q = (instrument: string, bid: string, ask: string, size = '10'): void => {
    e.process(env(ts, { type: 'quote', venue: instrument.startsWith('deribit') ? 'deribit' : instrument.startsWith('coinbase') ? 'coinbase' : 'binance', instrument, exchTs: ts, recvTs: ts, bid, bidSize: size, ask, askSize: size }));
  };
  q(CB_BTC, String(btc - 0.5), String(btc + 0.5));
  q(BTC_SPOT, String(btc - 0.5), String(btc + 0.5));
  e.process(env(ts, { type: 'mark', venue: 'binance', instrument: BTC_PERP, exchTs: ts, recvTs: ts, markPrice: String(btc), indexPrice: String(btc), fundingRate: '0.0001' }));
  q(BTC_PERP, String(btc - 0.5), String(btc + 0.5));
  e.process(env(ts, { type: 'mark', venue: 'binance', instrument: ETH_PERP, exchTs: ts, recvTs: ts, markPrice: String(btc / 20) }));
  q(ETH_PERP, String(btc / 20 - 0.5), String(btc / 20 + 0.5));
  e.process(env(ts, { type: 'mark', venue: 'deribit', instrument: DERIBIT_PERP, exchTs: ts, recvTs: ts, markPrice: String(btc) }));
  q(DERIBIT_PERP, String(btc - 0.5), String(btc + 0.5));
  e.process(env(ts, { type: 'option', venue: 'deribit', instrument: BTC_CALL, exchTs: ts, recvTs: ts, markPrice: '0.05', markIv: '0.6', underlyingPrice: String(btc) }));
  q(BTC_CALL, '0.0495', '0.0505');
}

export function check(e: Engine, ts: number, o: Order): Decision {
  const d = e.process(env(ts, { type: 'check', order: o }));
  if (d === undefined) throw new Error('no decision');
  return d;
}

export function codes(d: Decision): string[] {
  return d.reasons.map((r) => r.code);
}
