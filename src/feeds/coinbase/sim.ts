/**
 * Coinbase Exchange feed (`wss://ws-feed.exchange.coinbase.com`), server side, for the simulator.
 * Faithful to the documented frames (fixtures in INDEX.md §6):
 *   - `subscribe` / `unsubscribe` with root `product_ids` and `channels` given as names or
 *     `{name, product_ids}`; every request is answered with a `subscriptions` message listing all of
 *     the client's channels; an unknown product or channel gets
 *     `{"type":"error","message":"Failed to subscribe","reason":...}` and changes nothing;
 *   - a client that has not subscribed within 5 s is disconnected;
 *   - `level2` / `level2_batch`: a full-book `snapshot`, then `l2update` with `changes`
 *     `[side, price, size]` (size padded to 8 decimals as the venue prints it, "0.00000000"
 *     deletes) and `time`; the simulator does not model authentication, so `level2` is served too;
 *   - `matches`: `last_match` on subscribe, then `match` with the MAKER side, `trade_id` +1 per
 *     product and the product's full-feed `sequence` (advanced by every book change and trade,
 *     so it jumps on this channel exactly as on the real feed);
 *   - `ticker`: the trade with the TAKER side plus best bid/ask and running statistics;
 *   - `heartbeat`: one per product per second with `last_trade_id` and `sequence`.
 * Fault: `injectGap` loses the next match (and its ticker) of the instrument, so the client sees a
 * trade_id jump. Coinbase has no checksum.
 */
import type { Instrument } from '../../portfolio/instruments.js';
import type { Level, Side } from '../../risk/events.js';
import { L2Book } from '../book.js';
import { padDecimal } from '../decimal.js';
import { formatRfc3339Micros } from '../rfc3339.js';
import { TradeStats } from '../trade-stats.js';
import type { SimClient, SimMarketView, SimTick, SimVenue, SimVenueFactory } from '../sim/types.js';

const CHANNELS = ['level2', 'level2_batch', 'matches', 'ticker', 'ticker_batch', 'heartbeat'] as const;
type Channel = (typeof CHANNELS)[number];
/** Heartbeat periods a client may stay unsubscribed (Coinbase: 5 s). */
const SUBSCRIBE_DEADLINE_BEATS = 5;

interface SimProduct {
  readonly instrument: Instrument;
  readonly productId: string;
  readonly book: L2Book;
  /** The product's full-feed sequence. */
  sequence: number;
  lastTradeId: number;
  /** JSON body fields of the last match after `"type":"…",`, for last_match. */
  lastMatchBody: string | undefined;
  lastTakerSide: Side;
  readonly stats: TradeStats;
  loseNextMatch: boolean;
}

interface ClientState {
  readonly client: SimClient;
  readonly channels: Map<Channel, Set<string>>;
  beatsUnsubscribed: number;
  everSubscribed: boolean;
}

class CoinbaseSimVenue implements SimVenue {
  readonly feed = 'coinbase' as const;
  readonly heartbeatMs = 1_000;

  private readonly products = new Map<string, SimProduct>();
  private readonly byId = new Map<string, SimProduct>();
  private readonly clients = new Map<number, ClientState>();
  private orderCounter = 0;

  constructor(private readonly market: SimMarketView) {
    for (const instrument of market.instruments) {
      if (instrument.feed !== 'coinbase') continue;
      const book = new L2Book();
      const full = market.book(instrument);
      book.loadSnapshot(full.bids, full.asks);
      const product: SimProduct = {
        instrument,
        productId: instrument.spec.venueSymbol,
        book,
        sequence: 0,
        lastTradeId: 0,
        lastMatchBody: undefined,
        lastTakerSide: 'buy',
        stats: new TradeStats(),
        loseNextMatch: false,
      };
      this.products.set(product.productId, product);
      this.byId.set(instrument.id, product);
    }
  }

  onConnect(client: SimClient): void {
    this.clients.set(client.id, { client, channels: new Map(), beatsUnsubscribed: 0, everSubscribed: false });
  }

  onClose(client: SimClient): void {
    this.clients.delete(client.id);
  }

  heartbeat(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    if (!state.everSubscribed) {
      if (++state.beatsUnsubscribed >= SUBSCRIBE_DEADLINE_BEATS) client.close(1008, 'no subscribe within 5 s');
      return;
    }
    const beats = state.channels.get('heartbeat');
    if (beats === undefined) return;
    const time = formatRfc3339Micros(this.market.now());
    for (const productId of beats) {
      const p = this.products.get(productId)!;
      client.send(`{"type":"heartbeat","last_trade_id":${p.lastTradeId},"product_id":"${productId}","sequence":${p.sequence},"time":"${time}"}`);
    }
  }

  /* Requests ------------------------------------------------------------------------------------ */

  onClientMessage(client: SimClient, text: string): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      client.send('{"type":"error","message":"Malformed JSON"}');
      return;
    }
    const req = typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as Record<string, unknown>) : {};
    const type = req['type'];
    if (type !== 'subscribe' && type !== 'unsubscribe') {
      client.send(`{"type":"error","message":"Failed to subscribe","reason":${JSON.stringify(`${String(type)} is not a valid message type`)}}`);
      return;
    }
    const pairs = this.requestedPairs(req);
    if (typeof pairs === 'string') {
      client.send(`{"type":"error","message":"Failed to ${type}","reason":${JSON.stringify(pairs)}}`);
      return;
    }
    const added: [Channel, string][] = [];
    for (const [channel, productId] of pairs) {
      let set = state.channels.get(channel);
      if (type === 'subscribe') {
        if (set === undefined) state.channels.set(channel, (set = new Set()));
        if (!set.has(productId)) {
          set.add(productId);
          added.push([channel, productId]);
        }
      } else if (set !== undefined) {
        set.delete(productId);
        if (set.size === 0) state.channels.delete(channel);
      }
    }
    if (type === 'subscribe') state.everSubscribed = true;
    client.send(this.subscriptionsFrame(state));
    for (const [channel, productId] of added) this.initialData(client, channel, this.products.get(productId)!);
  }

  /** (channel, product) pairs of a request, or the reason it is refused. */
  private requestedPairs(req: Record<string, unknown>): [Channel, string][] | string {
    const rootIds = req['product_ids'];
    const root: string[] = Array.isArray(rootIds) ? rootIds.filter((x): x is string => typeof x === 'string') : [];
    const channels = req['channels'];
    if (!Array.isArray(channels) || channels.length === 0) return 'channels must be a non-empty list';
    const out: [Channel, string][] = [];
    for (const c of channels) {
      const name = typeof c === 'string' ? c : typeof c === 'object' && c !== null ? (c as Record<string, unknown>)['name'] : undefined;
      if (typeof name !== 'string' || !(CHANNELS as readonly string[]).includes(name)) return `${String(name)} is not a valid channel`;
      const own = typeof c === 'object' && c !== null ? (c as Record<string, unknown>)['product_ids'] : undefined;
      const ids = [...root, ...(Array.isArray(own) ? own.filter((x): x is string => typeof x === 'string') : [])];
      if (ids.length === 0) return `${name} needs product_ids`;
      for (const id of ids) {
        if (!this.products.has(id)) return `${id} is not a valid product`;
        out.push([name as Channel, id]);
      }
    }
    return out;
  }

  private subscriptionsFrame(state: ClientState): string {
    const parts: string[] = [];
    for (const [name, ids] of state.channels) parts.push(`{"name":"${name}","product_ids":${JSON.stringify([...ids])}}`);
    return `{"type":"subscriptions","channels":[${parts.join(',')}]}`;
  }

  private initialData(client: SimClient, channel: Channel, p: SimProduct): void {
    if (channel === 'level2' || channel === 'level2_batch') {
      const bids: Level[] = [];
      const asks: Level[] = [];
      p.book.top('bid', p.book.depth('bid'), bids);
      p.book.top('ask', p.book.depth('ask'), asks);
      client.send(`{"type":"snapshot","product_id":"${p.productId}","asks":${JSON.stringify(asks)},"bids":${JSON.stringify(bids)}}`);
    } else if (channel === 'matches') {
      if (p.lastMatchBody !== undefined) client.send(`{"type":"last_match",${p.lastMatchBody}}`);
    } else if ((channel === 'ticker' || channel === 'ticker_batch') && !p.stats.empty) {
      client.send(this.tickerFrame(p, p.lastTradeId, p.lastTakerSide, formatRfc3339Micros(this.market.now())));
    }
  }

  /* Market ticks -------------------------------------------------------------------------------- */

  onTick(tick: SimTick): void {
    if (tick.kind !== 'book' && tick.kind !== 'trade') return; // Coinbase spot: no marks or options
    const p = this.byId.get(tick.instrument.id);
    if (p === undefined) return;
    if (tick.kind === 'trade') this.onTrade(p, tick.price, tick.size, tick.side, tick.tradeId, tick.ts);
    else this.onBook(p, tick.bids, tick.asks, tick.ts);
  }

  private onBook(p: SimProduct, bids: readonly Level[], asks: readonly Level[], ts: number): void {
    const changes: string[] = [];
    for (const [price, size] of bids) {
      p.book.set('bid', price, size);
      changes.push(`["buy","${price}","${padDecimal(size, 8) ?? size}"]`);
    }
    for (const [price, size] of asks) {
      p.book.set('ask', price, size);
      changes.push(`["sell","${price}","${padDecimal(size, 8) ?? size}"]`);
    }
    if (changes.length === 0) return;
    p.sequence += changes.length;
    const frame = `{"type":"l2update","product_id":"${p.productId}","changes":[${changes.join(',')}],"time":"${formatRfc3339Micros(ts)}"}`;
    this.broadcast(p.productId, 'level2', frame);
    this.broadcast(p.productId, 'level2_batch', frame);
  }

  private onTrade(p: SimProduct, price: string, size: string, takerSide: Side, tradeId: number, ts: number): void {
    p.sequence++;
    p.lastTradeId = tradeId;
    p.lastTakerSide = takerSide;
    p.stats.add(price, size);
    const makerSide: Side = takerSide === 'buy' ? 'sell' : 'buy';
    const time = formatRfc3339Micros(ts);
    const body =
      `"trade_id":${tradeId},"maker_order_id":"${this.orderId()}","taker_order_id":"${this.orderId()}","side":"${makerSide}",` +
      `"size":"${size}","price":"${price}","product_id":"${p.productId}","sequence":${p.sequence},"time":"${time}"`;
    p.lastMatchBody = body;
    if (p.loseNextMatch) {
      p.loseNextMatch = false;
      return;
    }
    this.broadcast(p.productId, 'matches', `{"type":"match",${body}}`);
    const ticker = this.tickerFrame(p, tradeId, takerSide, time);
    this.broadcast(p.productId, 'ticker', ticker);
    this.broadcast(p.productId, 'ticker_batch', ticker);
  }

  private tickerFrame(p: SimProduct, tradeId: number, takerSide: Side, time: string): string {
    const s = p.stats;
    const bid = p.book.bestBid();
    const ask = p.book.bestAsk();
    const best =
      (bid === undefined ? '' : `,"best_bid":"${bid[0]}","best_bid_size":"${padDecimal(bid[1], 8) ?? bid[1]}"`) +
      (ask === undefined ? '' : `,"best_ask":"${ask[0]}","best_ask_size":"${padDecimal(ask[1], 8) ?? ask[1]}"`);
    return (
      `{"type":"ticker","sequence":${p.sequence},"product_id":"${p.productId}","price":"${s.last}","open_24h":"${s.open}",` +
      `"volume_24h":"${s.volume}","low_24h":"${s.low}","high_24h":"${s.high}","volume_30d":"${s.volume}"${best},` +
      `"side":"${takerSide}","time":"${time}","trade_id":${tradeId},"last_size":"${s.lastSize}"}`
    );
  }

  private broadcast(productId: string, channel: Channel, frame: string): void {
    for (const state of this.clients.values()) {
      if (state.channels.get(channel)?.has(productId) === true) state.client.send(frame);
    }
  }

  /** A deterministic UUID-shaped order id (the venue's ids are random UUIDs). */
  private orderId(): string {
    const n = (++this.orderCounter).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }

  injectGap(instrument: Instrument): void {
    const p = this.byId.get(instrument.id);
    if (p !== undefined) p.loseNextMatch = true;
  }
}

export const coinbaseSimVenue: SimVenueFactory = (market) => new CoinbaseSimVenue(market);
