/**
 * Kraken WebSocket v2 (`wss://ws.kraken.com/v2`) client protocol: what to subscribe, how to answer
 * control frames, and the per-symbol book sync. One instance per connection; no I/O of its own.
 *
 * Control frames: subscribe/unsubscribe acks (one per symbol), `heartbeat` (about 1/s when the
 * connection is otherwise idle), `pong` (answer to our app-level `ping` keepalive) and the `status`
 * channel are handled without events or dead letters. `success:false` / `error` frames are
 * dead-lettered as `venue_error`.
 *
 * Scheduled disconnects: Kraken announces trading-engine states on the `status` channel; any state
 * but `online` (maintenance, cancel_only, post_only: no matching) marks every subscribed
 * instrument `halted`; when `online` returns each book is re-subscribed and goes `ok` again with its
 * fresh snapshot. The socket closes for maintenance are ordinary reconnects for the session.
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { ProtocolIO, VenueProtocol, VenueProtocolOptions } from '../types.js';
import type { MarketEvent } from '../../risk/events.js';
import { parseKrakenFrame } from './parser.js';
import { KrakenBookSync, type KrakenSyncIO } from './sync.js';
import { KrakenSymbols, type KrakenMarket, type KrakenPrecision } from './symbols.js';

export type KrakenChannel = 'book' | 'trade' | 'ticker';

/** Depths Kraken accepts for the book channel. */
export const KRAKEN_BOOK_DEPTHS = [10, 25, 100, 500, 1000] as const;

export interface KrakenProtocolOptions extends VenueProtocolOptions {
  /** Channels subscribed for every instrument. Default book + trade (ticker duplicates the book's quote). */
  channels?: readonly KrakenChannel[] | undefined;
  /** Price/qty precision per Kraken symbol, overriding the registry rule (symbols.ts). */
  precisions?: Readonly<Record<string, KrakenPrecision>> | undefined;
  /** App-level ping period (ms). Kraken sends heartbeats itself; the ping proves the round trip. Default 30 000. */
  keepaliveMs?: number | undefined;
}

/** Smallest depth Kraken offers that covers `bookDepth` levels (at least 10, the checksum depth). */
export function krakenSubscribedDepth(bookDepth: number): number {
  for (const d of KRAKEN_BOOK_DEPTHS) if (d >= bookDepth) return d;
  return KRAKEN_BOOK_DEPTHS[KRAKEN_BOOK_DEPTHS.length - 1];
}

class KrakenProtocol implements VenueProtocol, KrakenSyncIO {
  readonly feed = 'kraken' as const;
  readonly venue = 'kraken' as const;
  readonly keepalive: { readonly intervalMs: number; message(): string };

  private readonly symbols: KrakenSymbols;
  private readonly sync: KrakenBookSync;
  private readonly channels: readonly KrakenChannel[];
  private readonly subscribedDepth: number;
  private subscribed: readonly Instrument[] = [];
  private halted = false;
  private nextReqId = 1;
  /** The IO of the frame being handled (set per onMessage; avoids a closure per frame). */
  private io: ProtocolIO | undefined;
  private raw = '';

  constructor(options: KrakenProtocolOptions) {
    const overrides = new Map(Object.entries(options.precisions ?? {}));
    this.symbols = new KrakenSymbols(options.registry, overrides);
    this.channels = options.channels ?? ['book', 'trade'];
    this.subscribedDepth = krakenSubscribedDepth(options.bookDepth);
    this.sync = new KrakenBookSync({ subscribedDepth: this.subscribedDepth, bookDepth: options.bookDepth });
    const intervalMs = options.keepaliveMs ?? 30_000;
    this.keepalive = { intervalMs, message: () => JSON.stringify({ method: 'ping', req_id: this.nextReqId++ }) };
  }

  path(): string {
    return '/v2';
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    this.subscribed = instruments;
    const symbol = instruments.map((i) => i.spec.venueSymbol);
    if (symbol.length === 0) return [];
    return this.channels.map((channel) => this.request('subscribe', channel, symbol));
  }

  private request(method: 'subscribe' | 'unsubscribe', channel: KrakenChannel, symbol: readonly string[]): string {
    const params: Record<string, unknown> = { channel, symbol };
    if (channel === 'book') params['depth'] = this.subscribedDepth;
    // Trade snapshots replay the last 50 trades, already seen before a reconnect: not wanted.
    if (method === 'subscribe') params['snapshot'] = channel !== 'trade';
    return JSON.stringify({ method, params, req_id: this.nextReqId++ });
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    const frame = parseKrakenFrame(raw, recvTs, this.symbols);
    switch (frame.kind) {
      case 'trades':
      case 'quotes':
        for (const e of frame.events) io.emit(e);
        return;
      case 'book':
        this.io = io;
        this.raw = raw;
        for (const m of frame.books) this.sync.apply(m, recvTs, this);
        this.io = undefined;
        this.raw = '';
        return;
      case 'system':
        this.onSystem(frame.system, recvTs, io);
        return;
      case 'heartbeat':
      case 'pong':
      case 'ack':
        return;
      case 'venue_error':
        io.deadLetter('venue_error', frame.symbol === undefined ? frame.detail : `${frame.detail} (${frame.symbol})`, raw);
        return;
      case 'invalid':
        io.deadLetter(frame.reason, frame.detail, raw);
        return;
    }
  }

  reset(): void {
    this.sync.reset();
    this.halted = false;
  }

  /* KrakenSyncIO, valid only inside onMessage */

  emit(event: MarketEvent): void {
    this.io?.emit(event);
  }

  resubscribe(market: KrakenMarket): void {
    const io = this.io;
    if (io === undefined) return;
    io.send(this.request('unsubscribe', 'book', [market.symbol]));
    io.send(this.request('subscribe', 'book', [market.symbol]));
  }

  outOfSequence(detail: string): void {
    this.io?.deadLetter('out_of_sequence', detail, this.raw);
  }

  /* status channel */

  private onSystem(system: string, recvTs: number, io: ProtocolIO): void {
    if (system !== 'online') {
      this.halted = true;
      for (const ins of this.subscribed) {
        io.emit({ type: 'status', venue: 'kraken', instrument: ins.id, exchTs: 0, recvTs, status: 'halted', reason: `kraken system ${system}` });
      }
      return;
    }
    if (!this.halted) return;
    this.halted = false;
    // Trading resumed: rebuild each book from a fresh snapshot, which announces `ok`.
    this.sync.rebuildAll();
    if (this.channels.includes('book') && this.subscribed.length > 0) {
      const symbols = this.subscribed.map((i) => i.spec.venueSymbol);
      io.send(this.request('unsubscribe', 'book', symbols));
      io.send(this.request('subscribe', 'book', symbols));
    }
  }
}

export function createKrakenProtocol(options: KrakenProtocolOptions): VenueProtocol {
  return new KrakenProtocol(options);
}
