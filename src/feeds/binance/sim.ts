/**
 * Binance (spot and USD-M) server side for the simulator: the wire protocol a Binance client sees.
 *
 * Endpoints (paths as the venue sees them, the simulator's `/<feedId>` prefix removed):
 *   spot    /ws, /ws/<s1>/<s2>..., /stream, /stream?streams=<s1>/<s2>...
 *   USD-M   the same under /public and /market; unprefixed paths behave as /public (the legacy
 *           URLs that only deliver /public streams since 2026-04-23).
 *   REST    GET /api/v3/depth (spot), GET /fapi/v1/depth (USD-M) ?symbol=&limit=
 * `/stream` connections get payloads in the `{"stream","data"}` envelope, `/ws` ones raw (the
 * `combined` property, which SET_PROPERTY changes).
 *
 * Requests: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY/GET_PROPERTY `combined`,
 * answered `{"result":...,"id":...}`; errors as Binance words them (code 0-3). More than the
 * venue's incoming-message limit per second (spot 5, USD-M 10) closes the connection.
 *
 * Streams: <sym>@trade, @aggTrade, @bookTicker, @depth, @depth@100ms, @depth5/10/20[@100ms],
 * and on USD-M @markPrice, @markPrice@1s. On USD-M a stream subscribed on the wrong route is
 * acknowledged and never delivered, as at the venue.
 *
 * Update ids: spot depth ids are contiguous per symbol (U = previous u + 1; one id per changed
 * level). USD-M ids come from one counter shared by every symbol of the venue, so a symbol's ids
 * jump and only `pu` (= previous u of the symbol) chains them. The REST snapshot reports the id of
 * the last update applied to the market's book, so snapshot and stream always agree.
 *
 * Faults: injectGap makes the next depth event of the instrument skip (spot: U = local + 2; USD-M:
 * pu names an update that was never sent). There is no checksum at Binance. announceShutdown sends
 * `serverShutdown`. Connections are cut after 24 h of market time, with the notice first.
 * WebSocket pings come from the simulator server (`BINANCE_PING_INTERVAL_MS`).
 */
import type { FeedId, Instrument } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { padDecimal } from '../decimal.js';
import type { SimClient, SimMarketView, SimTick, SimVenue } from '../sim/types.js';
import type { BinanceFeed } from './symbols.js';

/** Server ping period per feed (spot 20 s, USD-M 3 min), for the simulator server's options. */
export const BINANCE_PING_INTERVAL_MS: Readonly<Record<BinanceFeed, number>> = { 'binance-spot': 20_000, 'binance-usdm': 180_000 };
/** A connection is valid for 24 hours. */
export const BINANCE_MAX_CONNECTION_MS = 24 * 60 * 60 * 1000;
/** Incoming messages allowed per second and connection. */
const MESSAGE_LIMIT: Readonly<Record<BinanceFeed, number>> = { 'binance-spot': 5, 'binance-usdm': 10 };
const MAX_STREAMS = 1024;
const SPOT_DECIMALS = 8;

type Route = 'public' | 'market' | 'spot';

/** Stream kinds the simulator serves. */
type StreamKind = 'trade' | 'aggTrade' | 'bookTicker' | 'depth' | 'partialDepth' | 'markPrice';

interface ParsedStream {
  symbol: string;
  kind: StreamKind;
  levels: number;
}

interface ClientState {
  readonly client: SimClient;
  readonly route: Route;
  combined: boolean;
  /** Subscribed streams, as LIST_SUBSCRIPTIONS reports them. */
  readonly streams: Set<string>;
  /** The subscribed streams this route delivers (USD-M drops the other route's silently). */
  readonly delivered: Set<string>;
  readonly connectedAt: number;
  windowStart: number;
  windowCount: number;
}

interface InstrumentState {
  readonly instrument: Instrument;
  readonly lower: string;
  /** Last depth update id of this symbol (its `u`). */
  lastUpdateId: number;
  /** Skip ids before the next depth event (injectGap). */
  gapPending: boolean;
  /** Delivered partial-depth subscriptions (the top-N snapshot is built only when > 0). */
  partialSubscriptions: number;
  aggTradeId: number;
  lastBestBid: string;
  lastBestAsk: string;
}

const STREAM_SUFFIXES: ReadonlyArray<[suffix: string, kind: StreamKind, levels: number]> = [
  ['@trade', 'trade', 0],
  ['@aggTrade', 'aggTrade', 0],
  ['@bookTicker', 'bookTicker', 0],
  ['@depth', 'depth', 0],
  ['@depth@100ms', 'depth', 0],
  ['@depth5', 'partialDepth', 5],
  ['@depth10', 'partialDepth', 10],
  ['@depth20', 'partialDepth', 20],
  ['@depth5@100ms', 'partialDepth', 5],
  ['@depth10@100ms', 'partialDepth', 10],
  ['@depth20@100ms', 'partialDepth', 20],
  ['@markPrice', 'markPrice', 0],
  ['@markPrice@1s', 'markPrice', 0],
];

const METHODS = '`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`';

function parseStream(feed: BinanceFeed, name: string): ParsedStream | undefined {
  const at = name.indexOf('@');
  if (at <= 0) return undefined;
  const symbol = name.slice(0, at);
  if (symbol !== symbol.toLowerCase()) return undefined;
  const suffix = name.slice(at);
  for (const [s, kind, levels] of STREAM_SUFFIXES) {
    if (s !== suffix) continue;
    if (kind === 'markPrice' && feed !== 'binance-usdm') return undefined;
    return { symbol, kind, levels };
  }
  return undefined;
}

/** The USD-M route a stream is delivered on. */
function routeOf(kind: StreamKind): Route {
  return kind === 'depth' || kind === 'partialDepth' || kind === 'bookTicker' || kind === 'trade' ? 'public' : 'market';
}

/** Binance accepts ids that are unsigned integers, alphanumeric strings up to 36 chars, or null. */
function validRequestId(id: unknown): boolean {
  if (id === null) return true;
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0;
  return typeof id === 'string' && id.length <= 36 && /^[A-Za-z0-9]*$/.test(id);
}

export class BinanceSimVenue implements SimVenue {
  readonly heartbeatMs = 1000;
  private readonly clients = new Map<number, ClientState>();
  private readonly instruments = new Map<number, InstrumentState>();
  private readonly bySymbol = new Map<string, InstrumentState>();
  /** USD-M: the venue-wide update id counter. */
  private globalUpdateId = 5_000_000;

  constructor(
    readonly feed: BinanceFeed,
    private readonly market: SimMarketView,
  ) {
    let k = 0;
    for (const instrument of market.instruments) {
      if (instrument.feed !== feed) continue;
      const lower = instrument.spec.venueSymbol.toLowerCase();
      const state: InstrumentState = {
        instrument,
        lower,
        lastUpdateId: feed === 'binance-spot' ? 1_000 + 1_000_000 * k : this.globalUpdateId,
        gapPending: false,
        partialSubscriptions: 0,
        aggTradeId: 100_000,
        lastBestBid: '',
        lastBestAsk: '',
      };
      k++;
      this.instruments.set(instrument.idx, state);
      this.bySymbol.set(lower, state);
    }
  }

  onConnect(client: SimClient): void {
    const path = client.url.pathname;
    let rest = path;
    let route: Route = 'spot';
    if (this.feed === 'binance-usdm') {
      route = 'public';
      if (path.startsWith('/public/')) rest = path.slice(7);
      else if (path.startsWith('/market/')) {
        route = 'market';
        rest = path.slice(7);
      }
    }
    let combined: boolean;
    let initial: string[] = [];
    if (rest === '/stream' || rest === '/stream/') {
      combined = true;
      const streams = client.url.searchParams.get('streams');
      if (streams !== null && streams !== '') initial = streams.split('/');
    } else if (rest === '/ws' || rest === '/ws/') {
      combined = false;
    } else if (rest.startsWith('/ws/')) {
      combined = false;
      initial = rest.slice(4).split('/');
    } else {
      client.close(1008, 'unknown endpoint');
      return;
    }
    const now = this.market.now();
    const state: ClientState = { client, route, combined, streams: new Set(), delivered: new Set(), connectedAt: now, windowStart: now, windowCount: 0 };
    if (initial.some((name) => parseStream(this.feed, name) === undefined)) {
      client.close(1008, 'invalid stream');
      return;
    }
    this.clients.set(client.id, state);
    for (const name of initial) this.subscribe(state, name);
  }

  onClientMessage(client: SimClient, text: string): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    const now = this.market.now();
    if (now - state.windowStart >= 1000) {
      state.windowStart = now;
      state.windowCount = 0;
    }
    if (++state.windowCount > MESSAGE_LIMIT[this.feed]) {
      client.close(1008, 'too many requests');
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (err) {
      const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
      const column = at === null ? 1 : Number(at[1]) + 1;
      client.send(`{"code":3,"msg":"Invalid JSON: expected value at line 1 column ${column}"}`);
      return;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      client.send('{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"}');
      return;
    }
    const req = request as Record<string, unknown>;
    const id = req['id'];
    if (!Object.hasOwn(req, 'id') || !validRequestId(id)) {
      client.send('{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"}');
      return;
    }
    const idText = JSON.stringify(id);
    const method = req['method'];
    if (typeof method !== 'string') {
      client.send('{"code":2,"msg":"Invalid request: missing field `method` at line 1 column 1"}');
      return;
    }
    const params = req['params'];
    switch (method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p): p is string => typeof p === 'string')) {
          client.send(`{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":${idText}}`);
          return;
        }
        if (params.some((p) => parseStream(this.feed, p) === undefined)) {
          client.send(`{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":${idText}}`);
          return;
        }
        if (method === 'SUBSCRIBE') {
          if (state.streams.size + params.length > MAX_STREAMS) {
            client.send(`{"error":{"code":2,"msg":"Invalid request: too many streams"},"id":${idText}}`);
            return;
          }
          for (const p of params) this.subscribe(state, p);
        } else {
          for (const p of params) this.unsubscribe(state, p);
        }
        client.send(`{"result":null,"id":${idText}}`);
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        client.send(`{"result":${JSON.stringify([...state.streams])},"id":${idText}}`);
        return;
      case 'SET_PROPERTY':
      case 'GET_PROPERTY': {
        if (!Array.isArray(params) || typeof params[0] !== 'string') {
          client.send('{"code":2,"msg":"Invalid request: property name must be a string"}');
          return;
        }
        if (params[0] !== 'combined') {
          client.send(`{"code":0,"msg":"Unknown property","id":${idText}}`);
          return;
        }
        if (method === 'GET_PROPERTY') {
          client.send(`{"result":${state.combined},"id":${idText}}`);
          return;
        }
        if (typeof params[1] !== 'boolean') {
          client.send('{"code":1,"msg":"Invalid value type: expected Boolean"}');
          return;
        }
        state.combined = params[1];
        client.send(`{"result":null,"id":${idText}}`);
        return;
      }
      default:
        client.send(`{"code":2,"msg":"Invalid request: unknown variant ${method}, expected one of ${METHODS} at line 1 column 28"}`);
    }
  }

  onClose(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    for (const name of [...state.streams]) this.unsubscribe(state, name);
    this.clients.delete(client.id);
  }

  private subscribe(state: ClientState, name: string): void {
    if (state.streams.has(name)) return;
    state.streams.add(name);
    const parsed = parseStream(this.feed, name);
    if (parsed === undefined || (this.feed === 'binance-usdm' && routeOf(parsed.kind) !== state.route)) return;
    state.delivered.add(name);
    if (parsed.kind === 'partialDepth') {
      const ins = this.bySymbol.get(parsed.symbol);
      if (ins !== undefined) ins.partialSubscriptions++;
    }
  }

  private unsubscribe(state: ClientState, name: string): void {
    state.streams.delete(name);
    if (!state.delivered.delete(name)) return;
    const parsed = parseStream(this.feed, name);
    if (parsed?.kind === 'partialDepth') {
      const ins = this.bySymbol.get(parsed.symbol);
      if (ins !== undefined) ins.partialSubscriptions--;
    }
  }

  onTick(tick: SimTick): void {
    const ins = this.instruments.get(tick.instrument.idx);
    if (ins === undefined) return;
    switch (tick.kind) {
      case 'trade':
        this.trade(ins, tick.ts, tick.price, tick.size, tick.side === 'sell', tick.tradeId);
        return;
      case 'book':
        this.book(ins, tick.ts, tick.bids, tick.asks);
        return;
      case 'mark':
        if (this.feed === 'binance-usdm') this.mark(ins, tick.ts, tick.markPrice, tick.indexPrice, tick.fundingRate, tick.nextFundingTs);
        return;
      case 'option':
        return;
    }
  }

  /** Checks the 24 h limit (the only periodic thing a Binance server does besides pings). */
  heartbeat(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    if (this.market.now() - state.connectedAt >= BINANCE_MAX_CONNECTION_MS) {
      this.announceShutdown(client);
      client.close(1001, 'connection lifetime reached');
    }
  }

  handleRest(url: URL): { status: number; body: string } | undefined {
    const expected = this.feed === 'binance-spot' ? '/api/v3/depth' : '/fapi/v1/depth';
    if (url.pathname !== expected) return undefined;
    const symbol = url.searchParams.get('symbol');
    if (symbol === null || symbol === '') {
      return { status: 400, body: `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}` };
    }
    const ins = this.bySymbol.get(symbol.toLowerCase());
    if (ins === undefined || ins.instrument.spec.venueSymbol !== symbol) return { status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' };
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? (this.feed === 'binance-spot' ? 100 : 500) : Number(limitText);
    const validLimit =
      this.feed === 'binance-spot' ? Number.isInteger(limit) && limit >= 1 && limit <= 5000 : [5, 10, 20, 50, 100, 500, 1000].includes(limit);
    if (!validLimit) return { status: 400, body: `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '${limitText ?? ''}'."}` };
    const book = this.market.book(ins.instrument);
    const bids = this.levels(book.bids.slice(0, limit));
    const asks = this.levels(book.asks.slice(0, limit));
    const now = Math.floor(this.market.now());
    const body =
      this.feed === 'binance-spot'
        ? `{"lastUpdateId":${ins.lastUpdateId},"bids":${bids},"asks":${asks}}`
        : `{"lastUpdateId":${ins.lastUpdateId},"E":${now},"T":${now},"bids":${bids},"asks":${asks}}`;
    return { status: 200, body };
  }

  injectGap(instrument: Instrument): void {
    const ins = this.instruments.get(instrument.idx);
    if (ins !== undefined) ins.gapPending = true;
  }

  announceShutdown(client: SimClient): void {
    const state = this.clients.get(client.id);
    const payload = `{"e":"serverShutdown","E":${Math.floor(this.market.now())}}`;
    client.send(state !== undefined && state.combined ? `{"stream":"!serverShutdown","data":${payload}}` : payload);
  }

  /* Encoders ------------------------------------------------------------------------------------ */

  private trade(ins: InstrumentState, ts: number, price: string, size: string, buyerIsMaker: boolean, tradeId: number): void {
    const t = Math.floor(ts);
    const e = Math.floor(this.market.now());
    const symbol = ins.instrument.spec.venueSymbol;
    const p = this.decimal(price);
    const q = this.decimal(size);
    this.publish(ins, '@trade', () =>
      this.feed === 'binance-spot'
        ? `{"e":"trade","E":${e},"s":"${symbol}","t":${tradeId},"p":"${p}","q":"${q}","T":${t},"m":${buyerIsMaker},"M":true}`
        : `{"e":"trade","E":${e},"T":${t},"s":"${symbol}","t":${tradeId},"p":"${p}","q":"${q}","X":"MARKET","m":${buyerIsMaker}}`,
    );
    // One aggregate per trade tick: the simulator's ticks are already one taker order each.
    const aggId = ++ins.aggTradeId;
    this.publish(ins, '@aggTrade', () =>
      this.feed === 'binance-spot'
        ? `{"e":"aggTrade","E":${e},"s":"${symbol}","a":${aggId},"p":"${p}","q":"${q}","f":${tradeId},"l":${tradeId},"T":${t},"m":${buyerIsMaker},"M":true}`
        : `{"e":"aggTrade","E":${e},"s":"${symbol}","a":${aggId},"p":"${p}","q":"${q}","nq":"${q}","f":${tradeId},"l":${tradeId},"T":${t},"m":${buyerIsMaker}}`,
    );
  }

  private book(ins: InstrumentState, ts: number, bids: readonly Level[], asks: readonly Level[]): void {
    const changes = Math.max(1, bids.length + asks.length);
    let first: number;
    let prev: number;
    if (this.feed === 'binance-spot') {
      if (ins.gapPending) ins.lastUpdateId += 1;
      prev = ins.lastUpdateId;
      first = ins.lastUpdateId + 1;
      ins.lastUpdateId += changes;
    } else {
      prev = ins.lastUpdateId;
      if (ins.gapPending) {
        // An update of this symbol that is never sent: the next event's pu names it.
        this.globalUpdateId += 3;
        prev = this.globalUpdateId;
      }
      // Other symbols' updates interleave in the shared id space.
      this.globalUpdateId += 1 + (ins.instrument.idx % 3);
      first = this.globalUpdateId + 1;
      this.globalUpdateId += changes;
      ins.lastUpdateId = this.globalUpdateId;
    }
    ins.gapPending = false;
    const final = ins.lastUpdateId;
    const t = Math.floor(ts);
    const e = Math.floor(this.market.now());
    const symbol = ins.instrument.spec.venueSymbol;
    this.publish(ins, '@depth', () => this.depthPayload(symbol, e, t, first, final, prev, this.levels(bids), this.levels(asks)));
    this.publish(ins, '@depth@100ms', () => this.depthPayload(symbol, e, t, first, final, prev, this.levels(bids), this.levels(asks)));
    if (ins.partialSubscriptions > 0) {
      const book = this.market.book(ins.instrument);
      for (const levels of [5, 10, 20]) {
        const payload = (): string => {
          const top = this.levels(book.bids.slice(0, levels));
          const bottom = this.levels(book.asks.slice(0, levels));
          return this.feed === 'binance-spot'
            ? `{"lastUpdateId":${final},"bids":${top},"asks":${bottom}}`
            : this.depthPayload(symbol, e, t, first, final, prev, top, bottom);
        };
        this.publish(ins, `@depth${levels}`, payload);
        this.publish(ins, `@depth${levels}@100ms`, payload);
      }
    }
    const book = this.market.book(ins.instrument);
    const bestBid = book.bids[0];
    const bestAsk = book.asks[0];
    const bidKey = bestBid === undefined ? '' : `${bestBid[0]}/${bestBid[1]}`;
    const askKey = bestAsk === undefined ? '' : `${bestAsk[0]}/${bestAsk[1]}`;
    if (bidKey === ins.lastBestBid && askKey === ins.lastBestAsk) return;
    ins.lastBestBid = bidKey;
    ins.lastBestAsk = askKey;
    const b = bestBid === undefined ? '0' : this.decimal(bestBid[0]);
    const bq = bestBid === undefined ? '0' : this.decimal(bestBid[1]);
    const a = bestAsk === undefined ? '0' : this.decimal(bestAsk[0]);
    const aq = bestAsk === undefined ? '0' : this.decimal(bestAsk[1]);
    this.publish(ins, '@bookTicker', () =>
      this.feed === 'binance-spot'
        ? `{"u":${final},"s":"${symbol}","b":"${b}","B":"${bq}","a":"${a}","A":"${aq}"}`
        : `{"e":"bookTicker","u":${final},"s":"${symbol}","b":"${b}","B":"${bq}","a":"${a}","A":"${aq}","T":${t},"E":${e}}`,
    );
  }

  private mark(ins: InstrumentState, ts: number, markPrice: string, indexPrice: string, fundingRate: string, nextFundingTs: number): void {
    const e = Math.floor(ts);
    const symbol = ins.instrument.spec.venueSymbol;
    // Delivery contracts carry no funding: Binance sends a zero rate and T = 0.
    const dated = fundingRate === '';
    const r = dated ? '0.00000000' : fundingRate;
    const next = dated ? 0 : Math.floor(nextFundingTs);
    const payload = (): string =>
      `{"e":"markPriceUpdate","E":${e},"s":"${symbol}","p":"${markPrice}","i":"${indexPrice}","P":"${indexPrice}","r":"${r}","T":${next}}`;
    this.publish(ins, '@markPrice', payload);
    this.publish(ins, '@markPrice@1s', payload);
  }

  private depthPayload(symbol: string, e: number, t: number, first: number, final: number, prev: number, bids: string, asks: string): string {
    return this.feed === 'binance-spot'
      ? `{"e":"depthUpdate","E":${e},"s":"${symbol}","U":${first},"u":${final},"b":${bids},"a":${asks}}`
      : `{"e":"depthUpdate","E":${e},"T":${t},"s":"${symbol}","U":${first},"u":${final},"pu":${prev},"b":${bids},"a":${asks}}`;
  }

  /** Sends one payload to every client subscribed to `<sym><suffix>` on the right route. */
  private publish(ins: InstrumentState, suffix: string, payload: () => string): void {
    if (this.clients.size === 0) return;
    const stream = ins.lower + suffix;
    let data: string | undefined;
    for (const state of this.clients.values()) {
      if (!state.delivered.has(stream)) continue;
      data ??= payload();
      state.client.send(state.combined ? `{"stream":"${stream}","data":${data}}` : data);
    }
  }

  /** Spot prints prices and quantities with 8 decimals ("0.35280000"); USD-M at the tick size. */
  private decimal(text: string): string {
    if (this.feed !== 'binance-spot') return text;
    return padDecimal(text, SPOT_DECIMALS) ?? text;
  }

  private levels(levels: readonly Level[]): string {
    let out = '[';
    for (let k = 0; k < levels.length; k++) {
      const level = levels[k]!;
      if (k > 0) out += ',';
      out += `["${this.decimal(level[0])}","${this.decimal(level[1])}"]`;
    }
    return `${out}]`;
  }
}

/** The feed of a SimVenue built by this module (for wiring code that maps feeds to venues). */
export function isBinanceFeed(feed: FeedId): feed is BinanceFeed {
  return feed === 'binance-spot' || feed === 'binance-usdm';
}
