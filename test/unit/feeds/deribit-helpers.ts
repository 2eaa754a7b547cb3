/** Shared by the deribit*.test.ts files: the configured universe, a recording ProtocolIO, fixtures, frame builders. */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { simSectionSchema } from '../../../src/config/feeds.js';
import { loadConfig } from '../../../src/config/load.js';
import { DeribitProtocol } from '../../../src/feeds/deribit/protocol.js';
import { DEFAULT_CALIBRATION } from '../../../src/feeds/sim/calibration.js';
import { SimMarket } from '../../../src/feeds/sim/market.js';
import type { DeadLetterReason, ProtocolIO } from '../../../src/feeds/types.js';
import type { Instrument, InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import type { MarketEvent } from '../../../src/risk/events.js';

export const FIXTURE_DIR = '/work/shared/fixtures/deribit';

export function fixture(name: string): string {
  return readFileSync(`${FIXTURE_DIR}/${name}`, 'utf8');
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).sort();
}

function loadRegistry(): InstrumentRegistry {
  const result = loadConfig(fileURLToPath(new URL('../../../config', import.meta.url)));
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.file} ${e.path}: ${e.message}`).join('\n'));
  return result.config.registry;
}

/** config/instruments.yaml, the shipped universe. */
export const registry = loadRegistry();
export const deribitInstruments = registry.forFeed('deribit');

export function instrument(venueSymbol: string): Instrument {
  const ins = registry.byVenueSymbol('deribit', venueSymbol);
  if (ins === undefined) throw new Error(`no deribit instrument ${venueSymbol}`);
  return ins;
}

export interface Letter {
  reason: DeadLetterReason;
  detail: string;
  raw: string;
}

/** A ProtocolIO that records everything. */
export class Recorder implements ProtocolIO {
  events: MarketEvent[] = [];
  sent: string[] = [];
  letters: Letter[] = [];
  reconnects: string[] = [];

  emit = (event: MarketEvent): void => {
    this.events.push(event);
  };
  send = (text: string): void => {
    this.sent.push(text);
  };
  deadLetter = (reason: DeadLetterReason, detail: string, raw: string): void => {
    this.letters.push({ reason, detail, raw });
  };
  requestSnapshot = (): void => {};
  reconnect = (reason: string): void => {
    this.reconnects.push(reason);
  };

  clear(): void {
    this.events = [];
    this.sent = [];
    this.letters = [];
    this.reconnects = [];
  }

  ofType<T extends MarketEvent['type']>(type: T): Extract<MarketEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<MarketEvent, { type: T }> => e.type === type);
  }
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
  const sim = simSectionSchema.parse(messagesPerSecond === undefined ? {} : { flow: { messagesPerSecond } });
  const result = SimMarket.create({
    instruments,
    seed,
    startMs: 1_790_000_000_000,
    model: { calibration: DEFAULT_CALIBRATION, ...sim.model },
    flow: sim.flow,
    book: sim.book,
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.market;
}

/** Strips trailing fraction zeros: "10.0" -> "10", "0.000010" -> "0.00001" (value comparison of exact decimals). */
export function canon(decimal: string): string {
  if (decimal.indexOf('.') < 0) return decimal;
  const t = decimal.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}
