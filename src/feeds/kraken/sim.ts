/**
 * Kraken WebSocket v2, server side, for the simulator. Faithful on the wire to the documented
 * frames (fixtures in INDEX.md §5):
 *   - on connect: the `status` channel update (`system: online`);
 *   - `subscribe` / `unsubscribe` with `params.channel` book | trade | ticker and a `symbol` list:
 *     one ack per symbol (`success:true` with `result`, or `success:false` with `error`), `req_id`
 *     echoed; book snapshot after the ack (default on), trade snapshot only when asked (last 50
 *     trades), ticker snapshot by default;
 *   - `ping` -> `pong` with `req_id`, `time_in`, `time_out`;
 *   - `heartbeat` once a second to subscribed clients. Kraken sends it only when nothing else went
 *     out in that second; the simulator cannot see which frames the server withheld during a
 *     `stall` fault, so it always sends it: a stalled stream then looks as it would live (data
 *     stops, heartbeats continue) at the cost of one extra frame per second when busy;
 *   - prices and quantities as JSON NUMBERS formatted like Kraken's (trailing zeros dropped, an
 *     integral value keeps `.0`: `0.5660` -> `0.566`, `40.00000000` -> `40.0`);
 *   - book updates per subscribed depth: only the levels that changed inside the client's window,
 *     a level leaving the window because it was deleted is sent with qty 0, a level pushed out by
 *     a better one is not sent (the client truncates), a level entering from below is sent; each
 *     update carries the CRC32 of the top 10 after it (same algorithm as the client, checksum.ts).
 * Faults: `injectGap` loses the next book update of an instrument (Kraken has no sequence numbers,
 * so the client sees it as a checksum mismatch on a following update that does not overwrite the
 * lost change); `injectChecksumMismatch` corrupts the checksum of the next update;
 * `announceShutdown` sends the `status` update `system: maintenance` before the server closes.
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { L2Book } from '../book.js';
import type { SimClient, SimMarketView, SimTick, SimVenue, SimVenueFactory } from '../sim/types.js';
import { krakenChecksumOfLevels } from './checksum.js';
import { KRAKEN_BOOK_DEPTHS } from './protocol.js';
import { formatRfc3339Micros } from '../rfc3339.js';
import { precisionOfInstrument, type KrakenPrecision } from './symbols.js';
import { TradeStats } from '../trade-stats.js';

/** Kraken keeps the last 50 trades for a trade snapshot. */
const TRADE_SNAPSHOT_SIZE = 50;

type TickerTrigger = 'trades' | 'bbo';

interface View {
  bids: Level[];
  asks: Level[];
}

interface SimInstrument {
  readonly instrument: Instrument;
  readonly symbol: string;
  readonly precision: KrakenPrecision;
  /** The venue's full book, kept from market snapshots and book ticks. */
  readonly book: L2Book;
  /** What subscribers at each depth hold after the last update (top `depth` per side). */
  readonly views: Map<number, View>;
  /** JSON text of the last trades, newest last. */
  readonly recentTrades: string[];
  readonly stats: TradeStats;
  loseNextUpdate: boolean;
  corruptNextChecksum: boolean;
}

interface ClientState {
  readonly client: SimClient;
  readonly book: Map<string, number>;
  readonly trade: Set<string>;
  readonly ticker: Map<string, TickerTrigger>;
}

/** Kraken's float formatting of a plain decimal. */
export function krakenNumber(decimal: string): string {
  const dot = decimal.indexOf('.');
  if (dot < 0) return `${decimal}.0`;
  let end = decimal.length;
  while (end > dot + 2 && decimal.charCodeAt(end - 1) === 48) end--;
  return decimal.slice(0, end);
}

function levelJson(level: Level): string {
  return `{"price":${krakenNumber(level[0])},"qty":${krakenNumber(level[1])}}`;
}

function levelsJson(levels: readonly Level[]): string {
  let s = '[';
  for (let i = 0; i < levels.length; i++) s += (i > 0 ? ',' : '') + levelJson(levels[i]!);
  return `${s}]`;
}

class KrakenSimVenue implements SimVenue {
  readonly feed = 'kraken' as const;
  readonly heartbeatMs = 1_000;

  private readonly bySymbol = new Map<string, SimInstrument>();
  private readonly byId = new Map<string, SimInstrument>();
  private readonly clients = new Map<number, ClientState>();

  constructor(private readonly market: SimMarketView) {
    for (const instrument of market.instruments) {
      if (instrument.feed !== 'kraken') continue;
      const precision = precisionOfInstrument(instrument);
      if (precision === undefined) continue;
      const book = new L2Book();
      const full = market.book(instrument);
      book.loadSnapshot(full.bids, full.asks);
      const entry: SimInstrument = {
        instrument,
        symbol: instrument.spec.venueSymbol,
        precision,
        book,
        views: new Map(),
        recentTrades: [],
        stats: new TradeStats(),
        loseNextUpdate: false,
        corruptNextChecksum: false,
      };
      this.bySymbol.set(entry.symbol, entry);
      this.byId.set(instrument.id, entry);
    }
  }

  /* Connections --------------------------------------------------------------------------------- */

  onConnect(client: SimClient): void {
    this.clients.set(client.id, { client, book: new Map(), trade: new Set(), ticker: new Map() });
    client.send(`{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":${client.id},"system":"online","version":"2.0.0"}]}`);
  }

  onClose(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    this.clients.delete(client.id);
    for (const [symbol, depth] of state.book) this.releaseView(symbol, depth);
  }

  heartbeat(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    if (state.book.size + state.trade.size + state.ticker.size > 0) client.send('{"channel":"heartbeat"}');
  }

  private send(state: ClientState, text: string): void {
    state.client.send(text);
  }

  /* Requests ------------------------------------------------------------------------------------ */

  onClientMessage(client: SimClient, text: string): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    const now = this.now();
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(state, this.errorReply(undefined, undefined, 'EGeneral:Invalid arguments', now, undefined));
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.send(state, this.errorReply(undefined, undefined, 'EGeneral:Invalid arguments', now, undefined));
      return;
    }
    const req = msg as Record<string, unknown>;
    const reqId = typeof req['req_id'] === 'number' && Number.isSafeInteger(req['req_id']) ? req['req_id'] : undefined;
    const method = req['method'];
    if (method === 'ping') {
      this.send(state, `{"method":"pong"${reqIdJson(reqId)},"time_in":"${now}","time_out":"${now}"}`);
      return;
    }
    if (method !== 'subscribe' && method !== 'unsubscribe') {
      this.send(state, this.errorReply(typeof method === 'string' ? method : undefined, undefined, 'Method not found', now, reqId));
      return;
    }
    const params = req['params'];
    const p = typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
    const channel = p['channel'];
    const symbols = p['symbol'];
    if ((channel !== 'book' && channel !== 'trade' && channel !== 'ticker') || !Array.isArray(symbols) || symbols.length === 0) {
      this.send(state, this.errorReply(method, undefined, 'EGeneral:Invalid arguments', now, reqId));
      return;
    }
    for (const s of symbols) {
      const symbol = typeof s === 'string' ? s : String(s);
      const entry = this.bySymbol.get(symbol);
      if (entry === undefined) {
        this.send(state, this.errorReply(method, symbol, `Currency pair not supported ${symbol}`, now, reqId));
        continue;
      }
      if (method === 'subscribe') this.subscribe(state, entry, channel, p, now, reqId);
      else this.unsubscribe(state, entry, channel, now, reqId);
    }
  }

  private subscribe(state: ClientState, entry: SimInstrument, channel: 'book' | 'trade' | 'ticker', p: Record<string, unknown>, now: string, reqId: number | undefined): void {
    const symbol = entry.symbol;
    if (channel === 'book') {
      const depth = p['depth'] ?? 10;
      if (typeof depth !== 'number' || !(KRAKEN_BOOK_DEPTHS as readonly number[]).includes(depth)) {
        this.send(state, this.errorReply('subscribe', symbol, 'EGeneral:Invalid arguments:depth', now, reqId));
        return;
      }
      if (state.book.has(symbol)) {
        this.send(state, this.errorReply('subscribe', symbol, 'Already subscribed', now, reqId));
        return;
      }
      const snapshot = p['snapshot'] !== false;
      state.book.set(symbol, depth);
      const view = this.acquireView(entry, depth);
      this.send(state, `{"method":"subscribe"${reqIdJson(reqId)},"result":{"channel":"book","depth":${depth},"snapshot":${snapshot},"symbol":${JSON.stringify(symbol)}},"success":true,"time_in":"${now}","time_out":"${now}"}`);
      if (snapshot) {
        const checksum = krakenChecksumOfLevels(view.asks, view.bids, entry.precision);
        this.send(state, this.bookFrame('snapshot', entry, view.bids, view.asks, checksum, now));
      }
      return;
    }
    if (channel === 'trade') {
      if (state.trade.has(symbol)) {
        this.send(state, this.errorReply('subscribe', symbol, 'Already subscribed', now, reqId));
        return;
      }
      const snapshot = p['snapshot'] === true;
      state.trade.add(symbol);
      this.send(state, `{"method":"subscribe"${reqIdJson(reqId)},"result":{"channel":"trade","snapshot":${snapshot},"symbol":${JSON.stringify(symbol)}},"success":true,"time_in":"${now}","time_out":"${now}"}`);
      if (snapshot) this.send(state, `{"channel":"trade","type":"snapshot","data":[${entry.recentTrades.join(',')}]}`);
      return;
    }
    if (state.ticker.has(symbol)) {
      this.send(state, this.errorReply('subscribe', symbol, 'Already subscribed', now, reqId));
      return;
    }
    const trigger: TickerTrigger = p['event_trigger'] === 'bbo' ? 'bbo' : 'trades';
    const snapshot = p['snapshot'] !== false;
    state.ticker.set(symbol, trigger);
    this.send(state, `{"method":"subscribe"${reqIdJson(reqId)},"result":{"channel":"ticker","event_trigger":"${trigger}","snapshot":${snapshot},"symbol":${JSON.stringify(symbol)}},"success":true,"time_in":"${now}","time_out":"${now}"}`);
    if (snapshot) this.send(state, this.tickerFrame('snapshot', entry, now));
  }

  private unsubscribe(state: ClientState, entry: SimInstrument, channel: 'book' | 'trade' | 'ticker', now: string, reqId: number | undefined): void {
    const symbol = entry.symbol;
    let result: string;
    if (channel === 'book') {
      const depth = state.book.get(symbol);
      if (depth === undefined) {
        this.send(state, this.errorReply('unsubscribe', symbol, 'Subscription Not Found', now, reqId));
        return;
      }
      state.book.delete(symbol);
      this.releaseView(symbol, depth);
      result = `{"channel":"book","depth":${depth},"symbol":${JSON.stringify(symbol)}}`;
    } else {
      const subs = channel === 'trade' ? state.trade : state.ticker;
      if (!subs.has(symbol)) {
        this.send(state, this.errorReply('unsubscribe', symbol, 'Subscription Not Found', now, reqId));
        return;
      }
      subs.delete(symbol);
      result = `{"channel":"${channel}","symbol":${JSON.stringify(symbol)}}`;
    }
    this.send(state, `{"method":"unsubscribe"${reqIdJson(reqId)},"result":${result},"success":true,"time_in":"${now}","time_out":"${now}"}`);
  }

  private errorReply(method: string | undefined, symbol: string | undefined, error: string, now: string, reqId: number | undefined): string {
    const m = method === undefined ? '' : `,"method":${JSON.stringify(method)}`;
    const s = symbol === undefined ? '' : `,"symbol":${JSON.stringify(symbol)}`;
    return `{"error":${JSON.stringify(error)}${m}${reqIdJson(reqId)},"success":false${s},"time_in":"${now}","time_out":"${now}"}`;
  }

  private now(): string {
    return formatRfc3339Micros(this.market.now());
  }

  /* Views (what subscribers at one depth hold) ---------------------------------------------------- */

  private acquireView(entry: SimInstrument, depth: number): View {
    let view = entry.views.get(depth);
    if (view === undefined) {
      view = { bids: [], asks: [] };
      entry.book.top('bid', depth, view.bids);
      entry.book.top('ask', depth, view.asks);
      entry.views.set(depth, view);
    }
    return view;
  }

  /** Drops a depth's view when no client holds it any more (it would otherwise go stale). */
  private releaseView(symbol: string, depth: number): void {
    for (const state of this.clients.values()) if (state.book.get(symbol) === depth) return;
    this.bySymbol.get(symbol)?.views.delete(depth);
  }

  /* Market ticks -------------------------------------------------------------------------------- */

  onTick(tick: SimTick): void {
    if (tick.kind !== 'book' && tick.kind !== 'trade') return; // Kraken spot: no marks or options
    const entry = this.byId.get(tick.instrument.id);
    if (entry === undefined) return;
    if (tick.kind === 'trade') this.onTrade(entry, tick.price, tick.size, tick.side, tick.tradeId, tick.ts);
    else this.onBook(entry, tick.bids, tick.asks, tick.ts);
  }

  private onTrade(entry: SimInstrument, price: string, size: string, side: 'buy' | 'sell', tradeId: number, ts: number): void {
    entry.stats.add(price, size);
    const item = `{"symbol":${JSON.stringify(entry.symbol)},"side":"${side}","price":${krakenNumber(price)},"qty":${krakenNumber(size)},"ord_type":"market","trade_id":${tradeId},"timestamp":"${formatRfc3339Micros(ts)}"}`;
    entry.recentTrades.push(item);
    if (entry.recentTrades.length > TRADE_SNAPSHOT_SIZE) entry.recentTrades.shift();
    const frame = `{"channel":"trade","type":"update","data":[${item}]}`;
    let ticker: string | undefined;
    for (const state of this.clients.values()) {
      if (state.trade.has(entry.symbol)) this.send(state, frame);
      if (state.ticker.get(entry.symbol) === 'trades') this.send(state, (ticker ??= this.tickerFrame('update', entry, formatRfc3339Micros(ts))));
    }
  }

  private onBook(entry: SimInstrument, bids: readonly Level[], asks: readonly Level[], ts: number): void {
    const book = entry.book;
    const bestBid = book.bestBid();
    const bestAsk = book.bestAsk();
    for (const [p, q] of bids) book.set('bid', p, q);
    for (const [p, q] of asks) book.set('ask', p, q);
    const timestamp = formatRfc3339Micros(ts);
    const lose = entry.loseNextUpdate;
    let produced = false;
    for (const [depth, view] of entry.views) {
      const bidChanges = diffSide(view.bids, book, 'bid', depth);
      const askChanges = diffSide(view.asks, book, 'ask', depth);
      if (bidChanges.length === 0 && askChanges.length === 0) continue;
      produced = true;
      book.top('bid', depth, view.bids);
      book.top('ask', depth, view.asks);
      if (lose) continue;
      let checksum = krakenChecksumOfLevels(view.asks, view.bids, entry.precision);
      if (entry.corruptNextChecksum) checksum = (checksum ^ 0x1) >>> 0;
      const frame = this.bookFrame('update', entry, bidChanges, askChanges, checksum, timestamp);
      for (const state of this.clients.values()) if (state.book.get(entry.symbol) === depth) this.send(state, frame);
    }
    if (produced) {
      entry.loseNextUpdate = false;
      if (!lose) entry.corruptNextChecksum = false;
    }
    if (!sameLevel(book.bestBid(), bestBid) || !sameLevel(book.bestAsk(), bestAsk)) {
      let ticker: string | undefined;
      for (const state of this.clients.values()) {
        if (state.ticker.get(entry.symbol) === 'bbo') this.send(state, (ticker ??= this.tickerFrame('update', entry, timestamp)));
      }
    }
  }

  private bookFrame(type: 'snapshot' | 'update', entry: SimInstrument, bids: readonly Level[], asks: readonly Level[], checksum: number, timestamp: string): string {
    return `{"channel":"book","type":"${type}","data":[{"symbol":${JSON.stringify(entry.symbol)},"bids":${levelsJson(bids)},"asks":${levelsJson(asks)},"checksum":${checksum},"timestamp":"${timestamp}"}]}`;
  }

  private tickerFrame(type: 'snapshot' | 'update', entry: SimInstrument, timestamp: string): string {
    const bid = entry.book.bestBid() ?? (['0', '0'] as const);
    const ask = entry.book.bestAsk() ?? (['0', '0'] as const);
    const s = entry.stats;
    const last = s.empty ? this.market.mid(entry.instrument) : s.last;
    const vwap = s.empty ? last : s.vwap(entry.precision.price);
    return (
      `{"channel":"ticker","type":"${type}","data":[{"symbol":${JSON.stringify(entry.symbol)},` +
      `"bid":${krakenNumber(bid[0])},"bid_qty":${krakenNumber(bid[1])},"ask":${krakenNumber(ask[0])},"ask_qty":${krakenNumber(ask[1])},` +
      `"last":${krakenNumber(last)},"volume":${krakenNumber(s.volume)},"vwap":${krakenNumber(vwap)},"low":${krakenNumber(s.empty ? last : s.low)},` +
      `"high":${krakenNumber(s.empty ? last : s.high)},"change":${krakenNumber(s.change())},"change_pct":${krakenNumber(s.changePercent())},` +
      `"timestamp":"${timestamp}"}]}`
    );
  }

  /* Faults -------------------------------------------------------------------------------------- */

  /** Kraken announces maintenance on the status channel before it takes the socket down. */
  announceShutdown(client: SimClient): void {
    client.send(`{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":${client.id},"system":"maintenance","version":"2.0.0"}]}`);
  }

  injectGap(instrument: Instrument): void {
    const entry = this.byId.get(instrument.id);
    if (entry !== undefined) entry.loseNextUpdate = true;
  }

  injectChecksumMismatch(instrument: Instrument): void {
    const entry = this.byId.get(instrument.id);
    if (entry !== undefined) entry.corruptNextChecksum = true;
  }
}

function sameLevel(a: Level | undefined, b: Level | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1]);
}

function reqIdJson(reqId: number | undefined): string {
  return reqId === undefined ? '' : `,"req_id":${reqId}`;
}

/**
 * The update entries that turn `view` (a client's window) into the book's new top `depth`:
 * changed or entering levels with their quantity, deleted levels with qty 0. Levels pushed out
 * of the window by better ones are left to the client's truncation, as Kraken does.
 */
function diffSide(view: readonly Level[], book: L2Book, side: 'bid' | 'ask', depth: number): Level[] {
  const out: Level[] = [];
  const next: Level[] = [];
  book.top(side, depth, next);
  const old = new Map<number, Level>();
  for (const level of view) old.set(+level[0], level);
  const kept = new Set<number>();
  for (const level of next) {
    const key = +level[0];
    kept.add(key);
    const before = old.get(key);
    if (before === undefined || before[1] !== level[1]) out.push(level);
  }
  for (const level of view) {
    const key = +level[0];
    if (kept.has(key)) continue;
    if (!stillInBook(book, side, key, depth)) out.push([level[0], '0']);
  }
  return out;
}

/** True when the book still holds a level at this price (it fell out of the window, not deleted). */
function stillInBook(book: L2Book, side: 'bid' | 'ask', key: number, depth: number): boolean {
  const n = book.depth(side);
  for (let i = depth; i < n; i++) {
    const level = book.at(side, i)!;
    const p = +level[0];
    if (p === key) return true;
    // Beyond the price the level would have: it is gone.
    if (side === 'bid' ? p < key : p > key) return false;
  }
  return false;
}

export const krakenSimVenue: SimVenueFactory = (market) => new KrakenSimVenue(market);
