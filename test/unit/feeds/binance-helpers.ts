/** Shared by the binance*.test.ts files: a test universe and protocol factories (recorder, fixtures and markets: ./harness). */
import { BinanceProtocol, type BinanceRoute } from '../../../src/feeds/binance/protocol.js';
import type { SimMarket } from '../../../src/feeds/sim/market.js';
import { InstrumentRegistry, type Instrument, type InstrumentSpec } from '../../../src/portfolio/instruments.js';
import { FIXTURES_DIR, fixture as sharedFixture } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { spotSpec } from './harness/registry.js';
import { seededMarket } from './harness/sim.js';

export { Recorder, type Letter } from './harness/recorder.js';

export const FIXTURES = FIXTURES_DIR;

export function fixture(feed: 'binance-spot' | 'binance-usdm', name: string): string {
  return sharedFixture(feed, name);
}

function spot(symbol: string, base: string, quote: string, tick = '0.00000001', lot = '0.00000001'): InstrumentSpec {
  return spotSpec('binance', symbol, base, quote, tick, lot);
}

function perp(symbol: string, base: string, quote: string, tick = '0.00001', lot = '1'): InstrumentSpec {
  return { ...spotSpec('binance', symbol, base, quote, tick, lot), kind: 'perpetual' };
}

/** The fixtures' depth symbols plus a few majors (the simulator calibrates BTC..DOGE). */
export const registry = InstrumentRegistry.of([
  spot('BNBBTC', 'BNB', 'BTC'),
  spot('NKNUSDT', 'NKN', 'USDT'),
  spot('BTCUSDT', 'BTC', 'USDT', '0.01', '0.00001'),
  spot('ETHUSDT', 'ETH', 'USDT', '0.01', '0.0001'),
  perp('BTCUSDT', 'BTC', 'USDT', '0.1', '0.001'),
  perp('ETHUSDT', 'ETH', 'USDT', '0.01', '0.001'),
  perp('AKROUSDT', 'AKRO', 'USDT'),
  { ...spotSpec('binance', 'BTCUSDT_261225', 'BTC', 'USDT', '0.1', '0.001'), kind: 'future', expiry: '2026-12-25T08:00:00Z' },
]);

export function instrument(feed: 'binance-spot' | 'binance-usdm', symbol: string): Instrument {
  const found = registry.byVenueSymbol(feed, symbol);
  if (found === undefined) throw new Error(`test registry has no ${feed} ${symbol}`);
  return found;
}

export function protocol(route: BinanceRoute, fastPath = true, bookDepth = 5): BinanceProtocol {
  return new BinanceProtocol({ registry, bookDepth, route, fastPath });
}

/** Parses one frame with a fresh protocol and returns what it did. */
export function parseOne(route: BinanceRoute, raw: string, recvTs = 1_700_000_000_123): Recorder {
  const rec = new Recorder();
  protocol(route).onMessage(raw, recvTs, rec);
  return rec;
}

/** The test instruments the simulator can price (its calibration covers BTC..DOGE). */
export const SIMULATED: readonly Instrument[] = registry.all.filter((i) => i.spec.base === 'BTC' || i.spec.base === 'ETH');

/** A seeded simulator market with the config defaults (12 levels per side). */
export function simMarket(messagesPerSecond: number, seed: number, instruments: readonly Instrument[] = SIMULATED): SimMarket {
  return seededMarket(instruments, { seed, startMs: 1_780_000_000_000, messagesPerSecond, bookLevels: 12 });
}
