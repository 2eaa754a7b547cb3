/** Shared by the binance*.test.ts files: a test universe, a recording ProtocolIO, fixture access. */
import { readFileSync } from 'node:fs';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { BinanceProtocol, type BinanceRoute } from '../../../src/feeds/binance/protocol.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import type { DeadLetterReason, ProtocolIO } from '../../../src/feeds/types.js';
import { InstrumentRegistry, type Instrument, type InstrumentSpec } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';

export const FIXTURES = '/work/shared/fixtures';

export function fixture(feed: 'binance-spot' | 'binance-usdm', name: string): string {
  return readFileSync(`${FIXTURES}/${feed}/${name}`, 'utf8');
}

function spot(symbol: string, base: string, quote: string, tick = '0.00000001', lot = '0.00000001'): InstrumentSpec {
  return {
    venue: 'binance',
    venueSymbol: symbol,
    kind: 'spot',
    settlementType: 'linear',
    base,
    quote,
    settle: quote,
    underlying: base,
    contractSize: '1',
    tickSize: tick,
    lotSize: lot,
  };
}

function perp(symbol: string, base: string, quote: string, tick = '0.00001', lot = '1'): InstrumentSpec {
  return {
    venue: 'binance',
    venueSymbol: symbol,
    kind: 'perpetual',
    settlementType: 'linear',
    base,
    quote,
    settle: quote,
    underlying: base,
    contractSize: '1',
    tickSize: tick,
    lotSize: lot,
  };
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
  {
    venue: 'binance',
    venueSymbol: 'BTCUSDT_261225',
    kind: 'future',
    settlementType: 'linear',
    base: 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    underlying: 'BTC',
    contractSize: '1',
    tickSize: '0.1',
    lotSize: '0.001',
    expiry: '2026-12-25T08:00:00Z',
  },
]);

export function instrument(feed: 'binance-spot' | 'binance-usdm', symbol: string): Instrument {
  const found = registry.byVenueSymbol(feed, symbol);
  if (found === undefined) throw new Error(`test registry has no ${feed} ${symbol}`);
  return found;
}

export interface Letter {
  reason: DeadLetterReason;
  detail: string;
  raw: string;
}

/** A ProtocolIO that records everything the protocol does. */
export class Recorder implements ProtocolIO {
  events: MarketEvent[] = [];
  letters: Letter[] = [];
  snapshots: string[] = [];
  reconnects: string[] = [];
  sent: string[] = [];

  readonly emit = (event: MarketEvent): void => {
    this.events.push(event);
  };
  readonly send = (text: string): void => {
    this.sent.push(text);
  };
  readonly deadLetter = (reason: DeadLetterReason, detail: string, raw: string): void => {
    this.letters.push({ reason, detail, raw });
  };
  readonly requestSnapshot = (ins: Instrument): void => {
    this.snapshots.push(ins.id);
  };
  readonly reconnect = (reason: string): void => {
    this.reconnects.push(reason);
  };

  clear(): void {
    this.events = [];
    this.letters = [];
    this.snapshots = [];
    this.reconnects = [];
    this.sent = [];
  }

  /** Everything observable, for comparing two protocols' outputs. */
  transcript(): unknown {
    return { events: this.events, letters: this.letters, snapshots: this.snapshots, reconnects: this.reconnects };
  }

  ofType<T extends MarketEvent['type']>(type: T): Extract<MarketEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<MarketEvent, { type: T }> => e.type === type);
  }
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
  const cfg = simSectionSchema.parse({});
  const made = SimMarket.create({
    instruments,
    seed,
    startMs: 1_780_000_000_000,
    model: { calibration: DEFAULT_CALIBRATION, jumps: cfg.model.jumps, basis: cfg.model.basis, futuresCarryAnnual: cfg.model.futuresCarryAnnual, iv: cfg.model.iv },
    flow: { messagesPerSecond, mix: cfg.flow.mix, maxBurstMs: cfg.flow.maxBurstMs },
    book: { ...cfg.book, levels: 12 },
  });
  if (!made.ok) throw new Error(made.errors.join('; '));
  return made.market;
}
