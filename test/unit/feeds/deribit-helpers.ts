/** Shared by the deribit*.test.ts files: the configured universe, fixtures, frame builders (recorder and markets: ./harness). */
import { DeribitProtocol } from '../../../src/feeds/deribit/protocol.js';
import type { SimMarket } from '../../../src/feeds/sim/market.js';
import type { Instrument } from '../../../src/portfolio/instruments.js';
import { fixture as sharedFixture, fixtureNames as sharedFixtureNames } from './harness/fixtures.js';
import { Recorder } from './harness/recorder.js';
import { shippedRegistry } from './harness/registry.js';
import { seededMarket } from './harness/sim.js';

export { Recorder, type Letter } from './harness/recorder.js';

export function fixture(name: string): string {
  return sharedFixture('deribit', name);
}

export function fixtureNames(): string[] {
  return sharedFixtureNames('deribit');
}

/** config/instruments.yaml, the shipped universe. */
export const registry = shippedRegistry;
export const deribitInstruments = registry.forFeed('deribit');

export function instrument(venueSymbol: string): Instrument {
  const ins = registry.byVenueSymbol('deribit', venueSymbol);
  if (ins === undefined) throw new Error(`no deribit instrument ${venueSymbol}`);
  return ins;
}

export function newProtocol(bookDepth = 5): DeribitProtocol {
  return new DeribitProtocol({ registry, bookDepth });
}

/** Feeds one frame and returns what came out. */
export function feed(p: DeribitProtocol, raw: string, recvTs = 1): Recorder {
  const io = new Recorder();
  p.onMessage(raw, recvTs, io);
  return io;
}

/* Frame builders (wire shapes as in the fixtures and the probe captures). */

export type WireLevel = [action: 'new' | 'change' | 'delete', price: string, amount: string];

export function bookFrame(opts: {
  name: string;
  type: 'snapshot' | 'change';
  changeId: number | string;
  prev?: number | string;
  ts?: number;
  bids?: WireLevel[];
  asks?: WireLevel[];
}): string {
  const levels = (ls: WireLevel[] | undefined): string => `[${(ls ?? []).map(([a, p, q]) => `["${a}",${p},${q}]`).join(',')}]`;
  const prev = opts.prev === undefined ? '' : `,"prev_change_id":${opts.prev}`;
  return (
    `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.${opts.name}.100ms","data":{"timestamp":${opts.ts ?? 1790133840000},` +
    `"type":"${opts.type}","change_id":${opts.changeId}${prev},"instrument_name":"${opts.name}","bids":${levels(opts.bids)},"asks":${levels(opts.asks)}}}}`
  );
}

export function tickerFrame(name: string, fields: Record<string, string | number | null>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => `"${k}":${v === null ? 'null' : typeof v === 'number' ? String(v) : v}`)
    .join(',');
  return `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.${name}.100ms","data":{"instrument_name":"${name}",${body}}}}`;
}

export function ack(id: number, channels: readonly string[]): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: channels, usIn: 1, usOut: 2, usDiff: 1, testnet: false });
}

/** The request frames a protocol produced, parsed. */
export function requests(frames: readonly string[]): { id: number; method: string; params: { channels?: string[]; interval?: number } }[] {
  return frames.map((f) => JSON.parse(f) as { id: number; method: string; params: { channels?: string[]; interval?: number } });
}

/** A seeded simulator market over the Deribit universe with the shipped defaults. */
export function newMarket(seed = 7, instruments: readonly Instrument[] = deribitInstruments, messagesPerSecond?: number): SimMarket {
  return seededMarket(instruments, { seed, startMs: 1_790_000_000_000, messagesPerSecond });
}

/** Strips trailing fraction zeros: "10.0" -> "10", "0.000010" -> "0.00001" (value comparison of exact decimals). */
export function canon(decimal: string): string {
  if (decimal.indexOf('.') < 0) return decimal;
  const t = decimal.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}
