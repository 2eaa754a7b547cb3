/**
 * Binance market-data protocol (spot and USD-M futures), one instance per connection.
 *
 * Connection: the combined-stream endpoint, with streams added by a SUBSCRIBE request, so every
 * payload arrives wrapped as `{"stream":...,"data":...}` and the answer `{"result":null,"id":n}`
 * confirms the subscription. Raw payloads (the `/ws` form, recordings) parse the same way.
 *
 *   spot                 /stream          <sym>@trade, <sym>@depth@100ms
 *   USD-M public route   /public/stream   <sym>@depth@100ms
 *   USD-M market route   /market/stream   <sym>@aggTrade, <sym>@markPrice@1s
 *
 * Since 2026-04-23 USD-M routes streams by path: high-frequency book data lives on `/public`,
 * trades-aggregates and mark prices on `/market`, and a stream subscribed on the wrong route is
 * acknowledged but never delivered. A USD-M feed therefore needs two connections, one per route
 * (`binanceUsdmProtocol` and `binanceUsdmMarketProtocol`).
 *
 * Keepalive: the server pings (spot every 20 s, USD-M every 3 min) and the WebSocket client
 * answers with a pong automatically, so there is no application-level keepalive. Connections are
 * cut after 24 h (`serverShutdown` may come first: it makes the session reconnect).
 *
 * Decoding: the raw-text scanner (scan.ts) first, the JSON decoder (json.ts) for everything it
 * declines. Mapping (docs/feeds/binance.md):
 *   trade / aggTrade   -> trade (side = taker: `m` true means the buyer was the maker, so "sell");
 *                         USD-M off-book fills (`X` INSURANCE_FUND / ADL / NA) -> no event
 *   bookTicker         -> quote (a side with size 0 is empty: null)
 *   depthUpdate        -> book sync (sync.ts) -> status, book, quote
 *   partial depth      -> book + quote (a full top-N snapshot each message)
 *   markPriceUpdate    -> mark
 *   forceOrder         -> validated, no event (liquidation fills are in the trade stream already)
 *   serverShutdown     -> io.reconnect
 *   result/id answers, client requests -> control, nothing emitted
 *   error frames       -> dead letter `venue_error`
 */
import type { FeedId, Instrument, InstrumentRegistry, Venue } from '../../portfolio/instruments.js';
import { L2Book } from '../book.js';
import { emitBookAndQuote } from '../book-events.js';
import { isZeroDecimal } from '../decimal.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol } from '../types.js';
import { DecodedFrame } from './frame.js';
import { type FrameSink, JsonDecoder, parseDepthSnapshot } from './json.js';
import { FastDecoder } from './scan.js';
import { type BinanceFeed, BinanceSymbols } from './symbols.js';
import { type DepthRule, DepthSync } from './sync.js';

/** Which Binance endpoint a connection uses. */
export type BinanceRoute = 'spot' | 'usdm-public' | 'usdm-market';

export interface BinanceProtocolConfig {
  registry: InstrumentRegistry;
  bookDepth: number;
  route: BinanceRoute;
  /** Try the raw-text scanner before the JSON decoder (default true; false is for differential tests). */
  fastPath?: boolean | undefined;
}

interface RouteSpec {
  readonly feed: BinanceFeed;
  readonly path: string;
  readonly streams: readonly string[];
  readonly snapshotPath: string;
  readonly depthRule: DepthRule;
}

const ROUTES: Readonly<Record<BinanceRoute, RouteSpec>> = {
  spot: { feed: 'binance-spot', path: '/stream', streams: ['@trade', '@depth@100ms'], snapshotPath: '/api/v3/depth', depthRule: 'spot' },
  'usdm-public': { feed: 'binance-usdm', path: '/public/stream', streams: ['@depth@100ms'], snapshotPath: '/fapi/v1/depth', depthRule: 'usdm' },
  'usdm-market': {
    feed: 'binance-usdm',
    path: '/market/stream',
    streams: ['@aggTrade', '@markPrice@1s'],
    snapshotPath: '/fapi/v1/depth',
    depthRule: 'usdm',
  },
};

/** Levels requested per REST snapshot: the USD-M maximum, spot weight 50 (5000 would cost 250). */
export const SNAPSHOT_LIMIT = 1000;
/** Binance's cap on streams per connection. */
export const MAX_STREAMS_PER_CONNECTION = 1024;

const VENUE: Venue = 'binance';

const IDLE_IO: ProtocolIO = {
  emit: () => undefined,
  send: () => undefined,
  deadLetter: () => undefined,
  requestSnapshot: () => undefined,
  reconnect: () => undefined,
};

export class BinanceProtocol implements VenueProtocol, FrameSink {
  readonly venue: Venue = VENUE;
  readonly feed: FeedId;
  readonly keepalive = undefined;
  readonly route: BinanceRoute;

  private readonly spec: RouteSpec;
  private readonly symbols: BinanceSymbols;
  private readonly fast: FastDecoder;
  private readonly slow: JsonDecoder;
  private readonly fastPath: boolean;
  private readonly decoded = new DecodedFrame();
  private readonly sync: DepthSync;
  private readonly bookDepth: number;
  /** Scratch book for partial-depth snapshots (sorted and truncated like a synced one). */
  private readonly partial = new L2Book();
  private nextRequestId = 1;
  /** SUBSCRIBE ids sent on this connection and not yet answered. */
  private readonly pendingRequests = new Set<string>();

  /* The frame being handled (set per message, so handlers need no closures). */
  private io: ProtocolIO = IDLE_IO;
  private recvTs = 0;
  private raw = '';

  constructor(config: BinanceProtocolConfig) {
    this.route = config.route;
    this.spec = ROUTES[config.route];
    this.feed = this.spec.feed;
    this.bookDepth = Math.max(1, Math.floor(config.bookDepth));
    this.symbols = new BinanceSymbols(this.spec.feed, config.registry);
    this.fast = new FastDecoder(this.symbols);
    this.slow = new JsonDecoder(this.symbols);
    this.fastPath = config.fastPath ?? true;
    this.sync = new DepthSync(this.spec.depthRule, VENUE, this.bookDepth);
  }

  path(_instruments: readonly Instrument[]): string {
    return this.spec.path;
  }

  /** The stream names this connection subscribes for `instruments` (those of its feed). */
  streams(instruments: readonly Instrument[]): string[] {
    const out: string[] = [];
    for (const instrument of instruments) {
      if (instrument.feed !== this.feed) continue;
      const lower = instrument.spec.venueSymbol.toLowerCase();
      for (const suffix of this.spec.streams) out.push(lower + suffix);
    }
    return out;
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    const streams = this.streams(instruments);
    if (streams.length === 0) return [];
    const id = this.nextRequestId++;
    this.pendingRequests.add(String(id));
    return [JSON.stringify({ method: 'SUBSCRIBE', params: streams.slice(0, MAX_STREAMS_PER_CONNECTION), id })];
  }

  snapshotPath(instrument: Instrument): string {
    return `${this.spec.snapshotPath}?symbol=${encodeURIComponent(instrument.spec.venueSymbol)}&limit=${SNAPSHOT_LIMIT}`;
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    this.io = io;
    this.recvTs = recvTs;
    this.raw = raw;
    try {
      const decoded = this.decoded;
      if (this.fastPath && this.fast.decode(raw, decoded)) {
        // Trades are most of the traffic: a small, separate call keeps their path inlinable.
        if (decoded.kind === 'trade') this.trade(decoded);
        else this.frame(decoded);
      } else this.slow.decode(raw, decoded, this);
    } catch (err) {
      // A bug must not take the feed down: the frame is kept for replay with what went wrong.
      io.deadLetter('invalid_field', `internal error while parsing: ${err instanceof Error ? err.message : String(err)}`, raw);
    }
  }

  onSnapshot(instrument: Instrument, body: string, recvTs: number, io: ProtocolIO): void {
    try {
      const parsed = parseDepthSnapshot(body);
      if (!parsed.ok) {
        io.deadLetter(parsed.reason, `${instrument.spec.venueSymbol} ${parsed.detail}`, body);
        return;
      }
      this.sync.onSnapshot(instrument, parsed.snapshot, recvTs, io);
    } catch (err) {
      io.deadLetter('invalid_field', `internal error while applying a snapshot: ${err instanceof Error ? err.message : String(err)}`, body);
    }
  }

  reset(): void {
    this.sync.reset();
    this.pendingRequests.clear();
  }

  /** Whether an instrument's book is in sync (tests, health). */
  isSynced(instrument: Instrument): boolean {
    return this.sync.isSynced(instrument);
  }

  /** FrameSink: one decoded payload. */
  frame(f: DecodedFrame): void {
    const io = this.io;
    switch (f.kind) {
      case 'trade':
        this.trade(f);
        return;
      case 'bookTicker': {
        const hasBid = !isZeroDecimal(f.bidSize);
        const hasAsk = !isZeroDecimal(f.askSize);
        io.emit({
          type: 'quote',
          venue: VENUE,
          instrument: f.symbol!.id,
          exchTs: f.engineTime > 0 ? f.engineTime : f.eventTime,
          recvTs: this.recvTs,
          bid: hasBid ? f.bid : null,
          bidSize: hasBid ? f.bidSize : null,
          ask: hasAsk ? f.ask : null,
          askSize: hasAsk ? f.askSize : null,
        });
        return;
      }
      case 'depth':
        this.depth(f);
        return;
      case 'partialDepth':
        this.partialDepth(f);
        return;
      case 'mark':
        io.emit({
          type: 'mark',
          venue: VENUE,
          instrument: f.symbol!.id,
          exchTs: f.eventTime,
          recvTs: this.recvTs,
          markPrice: f.markPrice,
          indexPrice: f.indexPrice,
          fundingRate: f.fundingRate,
          nextFundingTs: f.nextFundingTime > 0 ? f.nextFundingTime : undefined,
        });
        return;
      case 'serverShutdown':
        io.reconnect('serverShutdown');
        return;
      case 'response':
        this.pendingRequests.delete(f.requestId);
        return;
      case 'venueError': {
        const id = f.requestId === '' ? '' : ` (request ${f.requestId})`;
        if (f.requestId !== '') this.pendingRequests.delete(f.requestId);
        io.deadLetter('venue_error', `code ${f.errorCode}: ${f.errorMessage}${id}`, this.raw);
        return;
      }
      case 'forceOrder':
      case 'offBookTrade':
      case 'request':
        return;
    }
  }

  private trade(f: DecodedFrame): void {
    this.io.emit({
      type: 'trade',
      venue: VENUE,
      instrument: f.symbol!.id,
      exchTs: f.engineTime > 0 ? f.engineTime : f.eventTime,
      recvTs: this.recvTs,
      price: f.price,
      size: f.size,
      side: f.buyerIsMaker ? 'sell' : 'buy',
      tradeId: f.tradeId,
    });
  }

  /** FrameSink: a refused payload. */
  reject(reason: DeadLetterReason, detail: string): void {
    this.io.deadLetter(reason, detail, this.raw);
  }

  private depth(f: DecodedFrame): void {
    const symbol = f.symbol!;
    const instrument = symbol.instrument;
    if (instrument === undefined) {
      // A book needs a REST snapshot, which needs an instrument of the registry.
      this.io.deadLetter('unknown_symbol', `depth for ${symbol.symbol}: not in the registry, no book to synchronise`, this.raw);
      return;
    }
    const exchTs = f.engineTime > 0 ? f.engineTime : f.eventTime;
    this.sync.onDelta(instrument, f, exchTs, this.raw, this.recvTs, this.io);
  }

  private partialDepth(f: DecodedFrame): void {
    const book = this.partial;
    book.loadSnapshot(f.bids, f.asks);
    const exchTs = f.engineTime > 0 ? f.engineTime : f.eventTime;
    emitBookAndQuote(this.io, VENUE, f.symbol!.id, book, this.bookDepth, exchTs, this.recvTs, String(f.finalUpdateId));
    book.clear();
  }
}
