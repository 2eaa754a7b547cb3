/**
 * Coinbase client protocol. Two APIs share the parser and sync:
 *   - `exchange` (default): `wss://ws-feed.exchange.coinbase.com`. One subscribe with every channel
 *     (unauthenticated `level2_batch` for depth, `matches` for trades, `heartbeat` so quiet products
 *     still show life); Coinbase answers with one `subscriptions` message listing everything.
 *   - `advanced`: `wss://advanced-trade-ws.coinbase.com`. One subscribe per channel (`level2`,
 *     `market_trades`, `heartbeats`); public channels need no JWT.
 * Coinbase disconnects a client that has not subscribed within 5 s: the session sends the
 * subscribe right after the open. There is no client keepalive (the heartbeat channel keeps
 * traffic flowing; Advanced Trade closes idle channels after 60-90 s without it) and no scheduled
 * disconnect is documented. `error` frames are dead-lettered as `venue_error`.
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { MarketEvent } from '../../risk/events.js';
import type { ProtocolIO, VenueProtocol, VenueProtocolOptions } from '../types.js';
import { parseCoinbaseFrame, type AdvancedBody } from './parser.js';
import { CoinbaseSync, type CoinbaseSyncIO } from './sync.js';
import { CoinbaseProducts, type CoinbaseProduct } from './symbols.js';

export type CoinbaseApi = 'exchange' | 'advanced';

export interface CoinbaseProtocolOptions extends VenueProtocolOptions {
  /** Default `exchange`. */
  api?: CoinbaseApi | undefined;
  /** Exchange depth channel: `level2_batch` (public, 50 ms batches, default) or `level2` (needs auth). */
  level2Channel?: 'level2_batch' | 'level2' | undefined;
}

class CoinbaseProtocol implements VenueProtocol, CoinbaseSyncIO {
  readonly feed = 'coinbase' as const;
  readonly venue = 'coinbase' as const;
  readonly keepalive = undefined;

  private readonly api: CoinbaseApi;
  private readonly level2Channel: string;
  private readonly products: CoinbaseProducts;
  private readonly sync: CoinbaseSync;
  /** The IO and frame being handled (set per onMessage; avoids a closure per frame). */
  private io: ProtocolIO | undefined;
  private raw = '';

  constructor(options: CoinbaseProtocolOptions) {
    this.api = options.api ?? 'exchange';
    this.level2Channel = this.api === 'advanced' ? 'level2' : (options.level2Channel ?? 'level2_batch');
    this.products = new CoinbaseProducts(options.registry);
    this.sync = new CoinbaseSync(options.bookDepth);
  }

  path(): string {
    return '';
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    const productIds = instruments.map((i) => i.spec.venueSymbol);
    if (productIds.length === 0) return [];
    for (const id of productIds) {
      const product = this.products.resolve(id);
      if (product !== undefined) this.sync.expectBook(product);
    }
    if (this.api === 'exchange') {
      return [JSON.stringify({ type: 'subscribe', product_ids: productIds, channels: [this.level2Channel, 'matches', 'heartbeat'] })];
    }
    return [
      JSON.stringify({ type: 'subscribe', product_ids: productIds, channel: 'level2' }),
      JSON.stringify({ type: 'subscribe', product_ids: productIds, channel: 'market_trades' }),
      JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }),
    ];
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    const frame = parseCoinbaseFrame(raw, recvTs, this.products);
    this.io = io;
    this.raw = raw;
    switch (frame.kind) {
      case 'book':
        this.sync.applyBook(frame.book, recvTs, undefined, this);
        break;
      case 'match':
        this.sync.applyMatch(frame.event, frame.product, frame.tradeNumber, frame.last, this);
        break;
      case 'events':
        for (const e of frame.events) io.emit(e);
        break;
      case 'advanced':
        if (this.sync.acceptAdvancedSeq(frame.seq, recvTs, this)) this.onAdvanced(frame.body, frame.seq, recvTs, io);
        break;
      case 'control':
        break;
      case 'venue_error':
        io.deadLetter('venue_error', frame.detail, raw);
        break;
      case 'invalid':
        io.deadLetter(frame.reason, frame.detail, raw);
        break;
    }
    this.io = undefined;
    this.raw = '';
  }

  private onAdvanced(body: AdvancedBody, seq: number, recvTs: number, io: ProtocolIO): void {
    if (body.kind === 'events') {
      for (const e of body.events) io.emit(e);
    } else if (body.kind === 'books') {
      const seqText = String(seq);
      for (const b of body.books) this.sync.applyBook(b, recvTs, seqText, this);
    }
  }

  reset(): void {
    this.sync.reset();
  }

  /* CoinbaseSyncIO, valid only inside onMessage */

  emit(event: MarketEvent): void {
    this.io?.emit(event);
  }

  resubscribe(products: readonly CoinbaseProduct[]): void {
    const io = this.io;
    if (io === undefined) return;
    const productIds = products.map((p) => p.productId);
    if (this.api === 'exchange') {
      io.send(JSON.stringify({ type: 'unsubscribe', product_ids: productIds, channels: [this.level2Channel] }));
      io.send(JSON.stringify({ type: 'subscribe', product_ids: productIds, channels: [this.level2Channel] }));
    } else {
      io.send(JSON.stringify({ type: 'unsubscribe', product_ids: productIds, channel: 'level2' }));
      io.send(JSON.stringify({ type: 'subscribe', product_ids: productIds, channel: 'level2' }));
    }
  }

  outOfSequence(detail: string): void {
    this.io?.deadLetter('out_of_sequence', detail, this.raw);
  }
}

export function createCoinbaseProtocol(options: CoinbaseProtocolOptions): VenueProtocol {
  return new CoinbaseProtocol(options);
}
