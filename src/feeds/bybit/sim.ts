/**
 * Bybit v5 public WebSocket, server side, for one category. What it reproduces
 * (docs/feeds/bybit.md):
 *   - `{"op":"ping"}` -> the category's pong: spot `{"success","ret_msg":"pong","conn_id","op":"ping"}`,
 *     linear/inverse the same plus `"req_id":""`, option `{"args":["<ms>"],"op":"pong"}`;
 *   - `subscribe` / `unsubscribe` acks in the category's shape (spot `ret_msg:"subscribe"`,
 *     linear/inverse `ret_msg:""`, option `COMMAND_RESP` with success/fail topics). A request is
 *     accepted or refused whole (as Bybit does): unknown topic -> `error:handler not found,topic:X`,
 *     duplicate -> `error:already subscribed,topic:X`, more than 10 spot topics -> refused;
 *   - `orderbook.<depth>.<symbol>`: a snapshot on subscribe, then deltas of the top-`depth` window
 *     (levels entering the window are sent, levels leaving it are sent with size "0"), `u` +1 per
 *     message of the topic (the rule Keel's sync checks), `seq` a per-symbol cross sequence, `cts`.
 *     Level 1 is snapshot-only and re-pushed unchanged (same u) after 3 s without change;
 *   - `publicTrade.<symbol>` (options: `publicTrade.<baseCoin>`), `S` = taker side, `L` tick
 *     direction on derivatives;
 *   - `tickers.<symbol>` on linear/inverse: a snapshot on subscribe, then deltas with only the
 *     fields that changed for that connection (pushed on mark updates); options: a full snapshot
 *     per option tick. 24 h statistics and open interest are not simulated;
 *   - `injectGap`: the next delta of each of the instrument's book topics skips one `u`.
 * Bybit v5 books carry no checksum, so there is no checksum fault.
 */
import type { FeedId, Instrument } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { L2Book } from '../book.js';
import type { SimClient, SimMarketView, SimTick, SimVenue } from '../sim/types.js';
import { bybitPath } from './protocol.js';
import { BYBIT_FEED, type BybitCategory } from './symbols.js';

const DEPTHS: Readonly<Record<BybitCategory, readonly number[]>> = {
  spot: [1, 50, 200, 1000],
  linear: [1, 50, 200, 1000],
  inverse: [1, 50, 200, 1000],
  option: [25, 100],
};
/** Level-1 books are re-pushed after this long without change. */
const LEVEL1_REPUSH_MS = 3_000;
const SPOT_TOPICS_PER_REQUEST = 10;

interface BookTopic {
  readonly topic: string;
  readonly depth: number;
  readonly subscribers: Set<SimClient>;
  u: number;
  /** The window last published: what every subscriber of the topic holds. */
  readonly window: L2Book;
  /** The window holds the whole book (no side deeper than `depth`). */
  complete: boolean;
  lastPushAt: number;
  gapPending: boolean;
}

type TickerFields = Record<string, string>;

interface SymbolFeed {
  readonly instrument: Instrument;
  readonly symbol: string;
  /**
   * The venue's full book, kept from the market's book ticks (every change of the market book
   * arrives as one), so windows need not re-read and re-format the whole market book.
   */
  readonly book: L2Book;
  readonly books: Map<number, BookTopic>;
  readonly tickerTopic: string;
  readonly tickerSubscribers: Set<SimClient>;
  /** Per subscriber: the ticker fields it holds (deltas carry only what differs). */
  readonly tickerSent: Map<SimClient, TickerFields>;
  readonly ticker: TickerFields;
  /** Cross sequence of the symbol. */
  seq: number;
  lastTradePrice: number;
  lastTickDirection: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function connIdOf(client: SimClient): string {
  const hex = (0x1000_0000 + client.id * 2_654_435_761).toString(16).slice(-8);
  return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}

function topOf(book: L2Book, side: 'bid' | 'ask', depth: number): Level[] {
  const out: Level[] = [];
  book.top(side, depth, out);
  return out;
}

/**
 * Brings `window` to the best `depth` levels of `book` on one side and appends what changed to
 * `out`: new or resized levels, and size "0" for levels that left the window.
 */
function syncWindowSide(window: L2Book, book: L2Book, side: 'bid' | 'ask', depth: number, out: Level[]): void {
  const next = topOf(book, side, depth);
  const before = new Map<string, string>();
  for (const level of topOf(window, side, depth)) before.set(level[0], level[1]);
  for (const level of next) {
    if (before.get(level[0]) !== level[1]) out.push(level);
    before.delete(level[0]);
  }
  for (const price of before.keys()) out.push([price, '0']);
  for (const level of out) window.set(side, level[0], level[1]);
}

export class BybitSimVenue implements SimVenue {
  readonly feed: FeedId;
  readonly category: BybitCategory;
  readonly heartbeatMs: number | undefined;
  private readonly market: SimMarketView;
  private readonly symbols = new Map<string, SymbolFeed>();
  private readonly byIdx = new Map<number, SymbolFeed>();
  /** Option trades are published per base coin. */
  private readonly tradeTopics = new Map<string, Set<SimClient>>();
  private readonly clientTopics = new Map<SimClient, Set<string>>();

  constructor(category: BybitCategory, market: SimMarketView) {
    this.category = category;
    this.feed = BYBIT_FEED[category];
    this.market = market;
    this.heartbeatMs = category === 'option' ? undefined : LEVEL1_REPUSH_MS;
    let seed = 7;
    for (const instrument of market.instruments) {
      if (instrument.feed !== this.feed) continue;
      const symbol = instrument.spec.venueSymbol;
      seed += 104_729;
      const books = new Map<number, BookTopic>();
      for (const depth of DEPTHS[category]) {
        books.set(depth, {
          topic: `orderbook.${depth}.${symbol}`,
          depth,
          subscribers: new Set(),
          u: seed + depth,
          window: new L2Book(),
          complete: false,
          lastPushAt: 0,
          gapPending: false,
        });
      }
      const initial = market.book(instrument);
      const book = new L2Book();
      book.loadSnapshot(initial.bids, initial.asks);
      const feed: SymbolFeed = {
        instrument,
        symbol,
        book,
        books,
        tickerTopic: `tickers.${symbol}`,
        tickerSubscribers: new Set(),
        tickerSent: new Map(),
        ticker: this.initialTicker(instrument),
        seq: seed * 1_000,
        lastTradePrice: Number.NaN,
        lastTickDirection: 'ZeroPlusTick',
      };
      this.symbols.set(symbol, feed);
      this.byIdx.set(instrument.idx, feed);
      this.tradeTopics.set(this.tradeTopicOf(instrument), this.tradeTopics.get(this.tradeTopicOf(instrument)) ?? new Set());
    }
  }

  onConnect(client: SimClient): void {
    if (client.url.pathname !== bybitPath(this.category)) client.close(1008, `no such path ${client.url.pathname}`);
    else this.clientTopics.set(client, new Set());
  }

  onClose(client: SimClient): void {
    this.clientTopics.delete(client);
    for (const set of this.tradeTopics.values()) set.delete(client);
    for (const feed of this.symbols.values()) {
      feed.tickerSubscribers.delete(client);
      feed.tickerSent.delete(client);
      for (const book of feed.books.values()) book.subscribers.delete(client);
    }
  }

  onClientMessage(client: SimClient, text: string): void {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      client.send(JSON.stringify({ success: false, ret_msg: 'error:request not json', conn_id: connIdOf(client), op: '' }));
      return;
    }
    if (!isRecord(request)) {
      client.send(JSON.stringify({ success: false, ret_msg: 'error:request not json object', conn_id: connIdOf(client), op: '' }));
      return;
    }
    const op = request['op'];
    const reqId = typeof request['req_id'] === 'string' ? request['req_id'] : undefined;
    if (op === 'ping') {
      this.sendPong(client);
      return;
    }
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      this.sendAck(client, typeof op === 'string' ? op : '', reqId, [], `error:unsupported op ${String(op)}`);
      return;
    }
    const args = request['args'];
    if (!Array.isArray(args) || args.length === 0 || !args.every((a): a is string => typeof a === 'string')) {
      this.sendAck(client, op, reqId, [], 'error:args must be a non-empty list of topics');
      return;
    }
    if (this.category === 'spot' && args.length > SPOT_TOPICS_PER_REQUEST) {
      this.sendAck(client, op, reqId, args, `error:args size >${SPOT_TOPICS_PER_REQUEST}`);
      return;
    }
    const held = this.clientTopics.get(client) ?? new Set<string>();
    for (const topic of args) {
      if (!this.knows(topic)) {
        this.sendAck(client, op, reqId, args, `error:handler not found,topic:${topic}`);
        return;
      }
      if (op === 'subscribe' && held.has(topic)) {
        this.sendAck(client, op, reqId, args, `error:already subscribed,topic:${topic}`);
        return;
      }
    }
    for (const topic of args) {
      if (op === 'subscribe') held.add(topic);
      else held.delete(topic);
    }
    this.clientTopics.set(client, held);
    this.sendAck(client, op, reqId, args, undefined);
    for (const topic of args) this.applySubscription(client, topic, op === 'subscribe');
  }

  onTick(tick: SimTick): void {
    const feed = this.byIdx.get(tick.instrument.idx);
    if (feed === undefined) return;
    switch (tick.kind) {
      case 'book':
        this.pushBooks(feed, tick.ts, tick.bids, tick.asks);
        return;
      case 'trade':
        this.pushTrade(feed, tick.ts, tick.price, tick.size, tick.side, tick.tradeId);
        return;
      case 'mark':
        feed.ticker['markPrice'] = tick.markPrice;
        feed.ticker['indexPrice'] = tick.indexPrice;
        if (feed.instrument.kind === 'perpetual') {
          feed.ticker['fundingRate'] = tick.fundingRate;
          feed.ticker['nextFundingTime'] = tick.nextFundingTs > 0 ? String(tick.nextFundingTs) : '';
        }
        this.pushTickerDeltas(feed, tick.ts);
        return;
      case 'option':
        if (this.category === 'option') this.pushOptionTicker(feed, tick);
        return;
    }
  }

  heartbeat(client: SimClient): void {
    const now = this.market.now();
    for (const feed of this.symbols.values()) {
      const level1 = feed.books.get(1);
      if (level1 === undefined || !level1.subscribers.has(client) || now - level1.lastPushAt < LEVEL1_REPUSH_MS) continue;
      client.send(this.bookFrame(feed, level1, 'snapshot', topOf(level1.window, 'bid', 1), topOf(level1.window, 'ask', 1), now));
    }
  }

  injectGap(instrument: Instrument): void {
    const feed = this.byIdx.get(instrument.idx);
    if (feed === undefined) return;
    for (const book of feed.books.values()) book.gapPending = true;
  }

  /* Subscriptions ------------------------------------------------------------------------------ */

  private tradeTopicOf(instrument: Instrument): string {
    return this.category === 'option' ? `publicTrade.${instrument.spec.base}` : `publicTrade.${instrument.spec.venueSymbol}`;
  }

  private knows(topic: string): boolean {
    if (this.tradeTopics.has(topic)) return true;
    const parts = topic.split('.');
    if (parts[0] === 'tickers' && parts.length === 2) return this.symbols.has(parts[1]!) && this.category !== 'spot';
    if (parts[0] === 'orderbook' && parts.length === 3) return this.symbols.get(parts[2]!)?.books.has(Number(parts[1])) ?? false;
    return false;
  }

  private applySubscription(client: SimClient, topic: string, on: boolean): void {
    const trades = this.tradeTopics.get(topic);
    if (trades !== undefined) {
      if (on) trades.add(client);
      else trades.delete(client);
      return;
    }
    const parts = topic.split('.');
    const feed = this.symbols.get(parts[parts.length - 1]!);
    if (feed === undefined) return;
    if (parts[0] === 'tickers') {
      if (!on) {
        feed.tickerSubscribers.delete(client);
        feed.tickerSent.delete(client);
        return;
      }
      feed.tickerSubscribers.add(client);
      if (this.category !== 'option') this.sendTickerSnapshot(client, feed);
      return;
    }
    const book = feed.books.get(Number(parts[1]));
    if (book === undefined) return;
    if (!on) {
      book.subscribers.delete(client);
      return;
    }
    if (book.subscribers.size === 0) {
      // Nobody held this window: bring it up to date before publishing it.
      book.window.loadSnapshot(topOf(feed.book, 'bid', book.depth), topOf(feed.book, 'ask', book.depth));
      book.complete = feed.book.depth('bid') <= book.depth && feed.book.depth('ask') <= book.depth;
    }
    book.subscribers.add(client);
    client.send(this.bookFrame(feed, book, 'snapshot', topOf(book.window, 'bid', book.depth), topOf(book.window, 'ask', book.depth), this.market.now()));
  }

  /* Frames ------------------------------------------------------------------------------------- */

  private sendPong(client: SimClient): void {
    if (this.category === 'option') {
      client.send(JSON.stringify({ args: [String(this.market.now())], op: 'pong' }));
      return;
    }
    const pong: Record<string, unknown> = { success: true, ret_msg: 'pong', conn_id: connIdOf(client) };
    if (this.category !== 'spot') pong['req_id'] = '';
    pong['op'] = 'ping';
    client.send(JSON.stringify(pong));
  }

  private sendAck(client: SimClient, op: string, reqId: string | undefined, topics: readonly unknown[], error: string | undefined): void {
    if (this.category === 'option') {
      const ok = error === undefined;
      client.send(
        JSON.stringify({
          success: ok,
          ret_msg: ok ? '' : error,
          conn_id: connIdOf(client),
          ...(reqId === undefined ? {} : { req_id: reqId }),
          data: { failTopics: ok ? [] : topics, successTopics: ok ? topics : [] },
          type: 'COMMAND_RESP',
        }),
      );
      return;
    }
    const ack: Record<string, unknown> = {
      success: error === undefined,
      ret_msg: error ?? (this.category === 'spot' ? op : ''),
      conn_id: connIdOf(client),
    };
    if (reqId !== undefined) ack['req_id'] = reqId;
    else if (this.category !== 'spot') ack['req_id'] = '';
    ack['op'] = op;
    client.send(JSON.stringify(ack));
  }

  private bookFrame(feed: SymbolFeed, book: BookTopic, type: 'snapshot' | 'delta', bids: readonly Level[], asks: readonly Level[], ts: number): string {
    return JSON.stringify({
      topic: book.topic,
      type,
      ts,
      data: { s: feed.symbol, b: bids, a: asks, u: book.u, seq: feed.seq },
      cts: ts,
    });
  }

  private pushBooks(feed: SymbolFeed, ts: number, bids: readonly Level[], asks: readonly Level[]): void {
    for (const level of bids) feed.book.set('bid', level[0], level[1]);
    for (const level of asks) feed.book.set('ask', level[0], level[1]);
    for (const book of feed.books.values()) {
      if (book.subscribers.size === 0) continue;
      let changedBids: Level[];
      let changedAsks: Level[];
      const fits = feed.book.depth('bid') <= book.depth && feed.book.depth('ask') <= book.depth;
      if (book.complete && fits) {
        // The window held the whole book and still does: the tick's changes are the window's.
        changedBids = bids as Level[];
        changedAsks = asks as Level[];
        for (const level of bids) book.window.set('bid', level[0], level[1]);
        for (const level of asks) book.window.set('ask', level[0], level[1]);
      } else {
        changedBids = [];
        changedAsks = [];
        syncWindowSide(book.window, feed.book, 'bid', book.depth, changedBids);
        syncWindowSide(book.window, feed.book, 'ask', book.depth, changedAsks);
      }
      book.complete = fits;
      if (changedBids.length === 0 && changedAsks.length === 0) continue;
      book.u += book.gapPending ? 2 : 1;
      book.gapPending = false;
      book.lastPushAt = ts;
      feed.seq++;
      const frame =
        book.depth === 1
          ? this.bookFrame(feed, book, 'snapshot', topOf(book.window, 'bid', 1), topOf(book.window, 'ask', 1), ts)
          : this.bookFrame(feed, book, 'delta', changedBids, changedAsks, ts);
      for (const client of book.subscribers) client.send(frame);
    }
  }

  private pushTrade(feed: SymbolFeed, ts: number, price: string, size: string, side: 'buy' | 'sell', tradeId: number): void {
    const px = Number(price);
    const previous = feed.lastTradePrice;
    if (!Number.isNaN(previous)) {
      if (px > previous) feed.lastTickDirection = 'PlusTick';
      else if (px < previous) feed.lastTickDirection = 'MinusTick';
      else feed.lastTickDirection = feed.lastTickDirection === 'MinusTick' || feed.lastTickDirection === 'ZeroMinusTick' ? 'ZeroMinusTick' : 'ZeroPlusTick';
    }
    feed.lastTradePrice = px;
    feed.ticker['lastPrice'] = price;
    feed.ticker['tickDirection'] = feed.lastTickDirection;
    feed.seq++;
    const subscribers = this.tradeTopics.get(this.tradeTopicOf(feed.instrument));
    if (subscribers === undefined || subscribers.size === 0) return;
    const trade: Record<string, unknown> = { T: ts, s: feed.symbol, S: side === 'buy' ? 'Buy' : 'Sell', v: size, p: price };
    if (this.category !== 'spot') trade['L'] = feed.lastTickDirection;
    trade['i'] = String(tradeId);
    trade['BT'] = false;
    trade['RPI'] = false;
    trade['seq'] = feed.seq;
    const frame = JSON.stringify({ topic: this.tradeTopicOf(feed.instrument), type: 'snapshot', ts, data: [trade] });
    for (const client of subscribers) client.send(frame);
  }

  private initialTicker(instrument: Instrument): TickerFields {
    const fields: TickerFields = { symbol: instrument.spec.venueSymbol, tickDirection: 'ZeroPlusTick', lastPrice: '' };
    if (instrument.kind === 'perpetual') {
      fields['fundingIntervalHour'] = '8';
      fields['fundingRate'] = '';
      fields['nextFundingTime'] = '';
    } else if (instrument.kind === 'future') {
      fields['deliveryTime'] = instrument.spec.expiry?.replace('.000Z', 'Z') ?? '';
      fields['fundingRate'] = '';
      fields['nextFundingTime'] = '';
    }
    fields['markPrice'] = '';
    fields['indexPrice'] = '';
    fields['bid1Price'] = '';
    fields['bid1Size'] = '';
    fields['ask1Price'] = '';
    fields['ask1Size'] = '';
    return fields;
  }

  /** Best bid/ask into the ticker (Bybit's ticker carries the top of book). */
  private refreshTop(feed: SymbolFeed): void {
    const bid = feed.book.bestBid();
    const ask = feed.book.bestAsk();
    feed.ticker['bid1Price'] = bid?.[0] ?? '';
    feed.ticker['bid1Size'] = bid?.[1] ?? '';
    feed.ticker['ask1Price'] = ask?.[0] ?? '';
    feed.ticker['ask1Size'] = ask?.[1] ?? '';
  }

  private sendTickerSnapshot(client: SimClient, feed: SymbolFeed): void {
    this.refreshTop(feed);
    const copy: TickerFields = { ...feed.ticker };
    feed.tickerSent.set(client, copy);
    feed.seq++;
    const now = this.market.now();
    client.send(JSON.stringify({ topic: feed.tickerTopic, type: 'snapshot', data: copy, cs: feed.seq, ts: now }));
  }

  private pushTickerDeltas(feed: SymbolFeed, ts: number): void {
    if (feed.tickerSubscribers.size === 0 || this.category === 'spot' || this.category === 'option') return;
    this.refreshTop(feed);
    feed.seq++;
    for (const client of feed.tickerSubscribers) {
      const held = feed.tickerSent.get(client);
      if (held === undefined) continue;
      const delta: TickerFields = { symbol: feed.symbol };
      let changed = 0;
      for (const key of Object.keys(feed.ticker)) {
        const value = feed.ticker[key]!;
        if (held[key] === value) continue;
        delta[key] = value;
        held[key] = value;
        changed++;
      }
      if (changed > 0) client.send(JSON.stringify({ topic: feed.tickerTopic, type: 'delta', data: delta, cs: feed.seq, ts }));
    }
  }

  private pushOptionTicker(feed: SymbolFeed, tick: Extract<SimTick, { kind: 'option' }>): void {
    if (feed.tickerSubscribers.size === 0) return;
    const bid = feed.book.bestBid();
    const ask = feed.book.bestAsk();
    const data = {
      symbol: feed.symbol,
      bidPrice: bid?.[0] ?? '0',
      bidSize: bid?.[1] ?? '0',
      bidIv: '0',
      askPrice: ask?.[0] ?? '0',
      askSize: ask?.[1] ?? '0',
      askIv: '0',
      lastPrice: feed.ticker['lastPrice'] || '0',
      markPrice: tick.markPrice,
      indexPrice: tick.indexPrice,
      markPriceIv: String(tick.markIv),
      underlyingPrice: tick.underlyingPrice,
      delta: String(tick.delta),
      gamma: String(tick.gamma),
      vega: String(tick.vega),
      theta: String(tick.theta),
    };
    feed.seq++;
    const frame = JSON.stringify({ id: `${feed.tickerTopic}-${feed.seq}-${tick.ts}`, topic: feed.tickerTopic, ts: tick.ts, data, type: 'snapshot' });
    for (const client of feed.tickerSubscribers) client.send(frame);
  }
}
