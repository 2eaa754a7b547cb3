/**
 * Deribit's server side for the simulator: JSON-RPC 2.0 over WebSocket at `/ws/api/v2`, as the
 * live venue answers (fixtures in test/fixtures/venues/deribit and the 2026-09 probe report).
 *
 *   public/subscribe      result = the channels actually subscribed, sorted (the live venue does
 *                         not keep request order); unknown instruments, unknown intervals and
 *                         malformed names are silently left out; any `.raw` channel fails the
 *                         whole call with 13778 (raw needs auth). A new `book.*` subscription is
 *                         followed by its snapshot; subscribing an existing one again is acked
 *                         without a new snapshot (as probed live).
 *   public/unsubscribe    result = the channels removed.
 *   public/set_heartbeat  interval >= 10 -> "ok", else -32602 Invalid params.
 *   public/test           {"version": "1.2.26"}; answers the outstanding test_request.
 *   unknown method        -32601 Method not found; private/* -> 13009 unauthorized.
 *   not JSON              11050 bad_request, data "invalid json", no id; the socket stays open.
 *
 * Heartbeats: once a client set an interval of N seconds, every N heartbeat units the server
 * sends `test_request` (preceded by a plain `heartbeat` when the socket was otherwise idle); a
 * test_request still unanswered one interval later closes the socket with 4000 "heartbeat close".
 * The unit is 1000 ms on the wire; tests shrink it (`heartbeatUnitMs`) to run in milliseconds.
 *
 * Data: `ticker.*` (perpetual/future on mark ticks; option on option ticks, with IV in percent
 * and the tick's Greeks), `trades.*` (array data, per-instrument `trade_seq`, `tick_direction`),
 * `book.*` (snapshot then `change` frames; `change_id` is one counter shared by all instruments,
 * chained per instrument through `prev_change_id`), `book.{name}.none.{1|10|20}.{interval}`
 * (whole window per change) and `perpetual.*`. Numbers are written as Deribit prints them: the
 * shorter of `1054.0` and `2.2e3` (ties keep plain), so the client's exponent path is exercised.
 * Fields the simulator has no model for (stats, open interest, settlement price, price limits,
 * funding_8h, bid/ask IV, rho) are left out rather than invented.
 */
import { performance } from 'node:perf_hooks';
import type { FeedId, Instrument } from '../../portfolio/instruments.js';
import type { Level, Side } from '../../risk/events.js';
import { decimalFromNumber, normalizeDecimal } from '../decimal.js';
import type { SimBook, SimClient, SimMarketView, SimTick, SimVenue } from '../sim/types.js';

const FEED: FeedId = 'deribit';
const VERSION = '1.2.26';
const MIN_HEARTBEAT_S = 10;
const INTERVALS: ReadonlySet<string> = new Set(['100ms', 'agg2']);
const GROUPED_DEPTHS: ReadonlySet<string> = new Set(['1', '10', '20']);

export interface DeribitSimOptions {
  /** Length of one heartbeat "second" in ms (default 1000); the server's heartbeat period. */
  heartbeatUnitMs?: number | undefined;
}

interface ClientState {
  readonly client: SimClient;
  readonly channels: Set<string>;
  /** Heartbeat interval in units; 0 = heartbeats off. */
  interval: number;
  unitsSinceTest: number;
  testOutstanding: boolean;
  /** Notifications sent since the last test_request (a plain heartbeat goes out only when idle). */
  framesSinceBeat: number;
}

interface InstrumentState {
  readonly instrument: Instrument;
  readonly name: string;
  /** What this venue has published of the book (mirror of the change stream), priceKey -> level. */
  readonly bids: Map<string, Level>;
  readonly asks: Map<string, Level>;
  mirrored: boolean;
  /**
   * Simulator sizes are contracts (lots of the instrument); Deribit amounts are contracts x
   * contractSize: USD for inverse contracts, base coin for linear ones and options.
   */
  readonly contractSize: string;
  lastChangeId: number;
  gapPending: boolean;
  tradeSeq: number;
  lastTradePrice: string;
  tickDirection: number;
  markPrice: string;
  indexPrice: string;
  fundingRate: string;
}

type ChannelKind = 'ticker' | 'trades' | 'book' | 'grouped' | 'perpetual';

interface ParsedChannel {
  kind: ChannelKind;
  name: string;
  depth: number;
}

export class DeribitSimVenue implements SimVenue {
  readonly feed = FEED;
  readonly heartbeatMs: number;
  private readonly market: SimMarketView;
  private readonly clients = new Map<number, ClientState>();
  /** channel -> subscribers, for one encode per tick and channel. */
  private readonly subscribers = new Map<string, Set<ClientState>>();
  private readonly byName = new Map<string, InstrumentState>();
  private readonly byIdx = new Map<number, InstrumentState>();
  /** Deribit's change_id: one counter for every book, so an instrument's ids jump. */
  private changeCounter = 1_000_000;

  constructor(market: SimMarketView, options: DeribitSimOptions = {}) {
    this.market = market;
    this.heartbeatMs = Math.max(1, options.heartbeatUnitMs ?? 1000);
    for (const instrument of market.instruments) {
      if (instrument.feed !== FEED) continue;
      const state: InstrumentState = {
        instrument,
        name: instrument.spec.venueSymbol,
        bids: new Map(),
        asks: new Map(),
        mirrored: false,
        contractSize: normalizeDecimal(instrument.spec.contractSize) ?? '1',
        lastChangeId: 0,
        gapPending: false,
        tradeSeq: 0,
        lastTradePrice: '',
        tickDirection: 0,
        markPrice: '',
        indexPrice: '',
        fundingRate: '',
      };
      this.byName.set(state.name, state);
      this.byIdx.set(instrument.idx, state);
    }
  }

  onConnect(client: SimClient): void {
    this.clients.set(client.id, {
      client,
      channels: new Set(),
      interval: 0,
      unitsSinceTest: 0,
      testOutstanding: false,
      framesSinceBeat: 0,
    });
  }

  onClose(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    for (const channel of state.channels) this.subscribers.get(channel)?.delete(state);
    this.clients.delete(client.id);
  }

  heartbeat(client: SimClient): void {
    const state = this.clients.get(client.id);
    if (state === undefined || state.interval === 0) return;
    state.unitsSinceTest++;
    if (state.unitsSinceTest < state.interval) return;
    if (state.testOutstanding) {
      client.close(4000, 'heartbeat close');
      return;
    }
    if (state.framesSinceBeat === 0) this.send(state, '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}');
    this.send(state, '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}');
    state.testOutstanding = true;
    state.unitsSinceTest = 0;
    state.framesSinceBeat = 0;
  }

  injectGap(instrument: Instrument): void {
    const state = this.byIdx.get(instrument.idx);
    if (state !== undefined) state.gapPending = true;
  }

  /* Requests ------------------------------------------------------------------------------------- */

  onClientMessage(client: SimClient, text: string): void {
    const state = this.clients.get(client.id);
    if (state === undefined) return;
    const startedAt = performance.now();
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      this.reply(state, undefined, startedAt, { error: { code: 11050, data: 'invalid json', message: 'bad_request' } });
      return;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      this.reply(state, undefined, startedAt, { error: { code: 11050, data: 'invalid json', message: 'bad_request' } });
      return;
    }
    const { id, method, params } = request as { id?: unknown; method?: unknown; params?: unknown };
    const replyId = typeof id === 'number' || typeof id === 'string' ? id : undefined;
    const p = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    switch (method) {
      case 'public/subscribe':
        this.subscribe(state, replyId, startedAt, p['channels']);
        return;
      case 'public/unsubscribe':
        this.unsubscribe(state, replyId, startedAt, p['channels']);
        return;
      case 'public/unsubscribe_all':
        for (const channel of state.channels) this.subscribers.get(channel)?.delete(state);
        state.channels.clear();
        this.reply(state, replyId, startedAt, { result: 'ok' });
        return;
      case 'public/set_heartbeat': {
        const interval = p['interval'];
        if (typeof interval !== 'number' || !(interval >= MIN_HEARTBEAT_S)) {
          this.reply(state, replyId, startedAt, {
            error: { code: -32602, message: 'Invalid params', data: { reason: `must be a number >= ${MIN_HEARTBEAT_S}`, param: 'interval' } },
          });
          return;
        }
        state.interval = Math.ceil(interval);
        state.unitsSinceTest = 0;
        state.testOutstanding = false;
        this.reply(state, replyId, startedAt, { result: 'ok' });
        return;
      }
      case 'public/disable_heartbeat':
        state.interval = 0;
        state.testOutstanding = false;
        this.reply(state, replyId, startedAt, { result: 'ok' });
        return;
      case 'public/test':
        state.testOutstanding = false;
        this.reply(state, replyId, startedAt, { result: { version: VERSION } });
        return;
      case 'public/get_time':
        this.reply(state, replyId, startedAt, { result: Math.floor(this.market.now()) });
        return;
      default:
        if (typeof method === 'string' && method.startsWith('private/')) {
          this.reply(state, replyId, startedAt, { error: { code: 13009, message: 'unauthorized', data: { reason: 'invalid_token' } } });
        } else {
          this.reply(state, replyId, startedAt, { error: { code: -32601, message: 'Method not found' } });
        }
    }
  }

  private subscribe(state: ClientState, id: number | string | undefined, startedAt: number, channels: unknown): void {
    if (!Array.isArray(channels)) {
      this.reply(state, id, startedAt, { error: { code: -32602, message: 'Invalid params', data: { reason: 'must be an array', param: 'channels' } } });
      return;
    }
    const requested = channels.filter((c): c is string => typeof c === 'string');
    if (requested.some((c) => c.endsWith('.raw'))) {
      this.reply(state, id, startedAt, { error: { code: 13778, message: 'raw_subscriptions_not_available_for_unauthorized' } });
      return;
    }
    const accepted: string[] = [];
    const fresh: { channel: string; parsed: ParsedChannel }[] = [];
    for (const channel of requested) {
      const parsed = this.parseChannel(channel);
      if (parsed === null) continue;
      accepted.push(channel);
      if (state.channels.has(channel)) continue;
      state.channels.add(channel);
      let set = this.subscribers.get(channel);
      if (set === undefined) {
        set = new Set();
        this.subscribers.set(channel, set);
      }
      set.add(state);
      fresh.push({ channel, parsed });
    }
    this.reply(state, id, startedAt, { result: [...new Set(accepted)].sort() });
    for (const { channel, parsed } of fresh) {
      const inst = this.byName.get(parsed.name)!;
      if (parsed.kind === 'book') this.notify(state, this.bookSnapshotFrame(inst, channel));
      else if (parsed.kind === 'grouped') this.notify(state, this.groupedFrame(inst, channel, parsed.depth));
    }
  }

  private unsubscribe(state: ClientState, id: number | string | undefined, startedAt: number, channels: unknown): void {
    const removed: string[] = [];
    if (Array.isArray(channels)) {
      for (const channel of channels) {
        if (typeof channel !== 'string' || !state.channels.delete(channel)) continue;
        this.subscribers.get(channel)?.delete(state);
        removed.push(channel);
      }
    }
    this.reply(state, id, startedAt, { result: removed });
  }

  /** Channels this venue serves; null for anything the live venue would silently ignore. */
  private parseChannel(channel: string): ParsedChannel | null {
    const parts = channel.split('.');
    const inst = parts[1] === undefined ? undefined : this.byName.get(parts[1]);
    if (inst === undefined) return null;
    const kind = inst.instrument.kind;
    if (parts.length === 3 && INTERVALS.has(parts[2]!)) {
      if (parts[0] === 'ticker' || parts[0] === 'trades' || parts[0] === 'book') return { kind: parts[0], name: inst.name, depth: 0 };
      if (parts[0] === 'perpetual' && kind === 'perpetual') return { kind: 'perpetual', name: inst.name, depth: 0 };
      return null;
    }
    if (parts.length === 5 && parts[0] === 'book' && parts[2] === 'none' && GROUPED_DEPTHS.has(parts[3]!) && INTERVALS.has(parts[4]!)) {
      return { kind: 'grouped', name: inst.name, depth: Number(parts[3]) };
    }
    return null;
  }

  private reply(state: ClientState, id: number | string | undefined, startedAt: number, body: { result: unknown } | { error: unknown }): void {
    const usIn = Math.round(this.market.now() * 1000);
    const usDiff = Math.round((performance.now() - startedAt) * 1000);
    const head = id === undefined ? '{"jsonrpc":"2.0",' : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},`;
    const payload = 'result' in body ? `"result":${JSON.stringify(body.result)}` : `"error":${JSON.stringify(body.error)}`;
    this.send(state, `${head}${payload},"usIn":${usIn},"usOut":${usIn + usDiff},"usDiff":${usDiff},"testnet":false}`);
  }

  private send(state: ClientState, text: string): void {
    state.client.send(text);
  }

  /** A subscription notification (data): the socket is not idle. */
  private notify(state: ClientState, text: string): void {
    state.framesSinceBeat++;
    state.client.send(text);
  }

  private publish(channel: string, text: string): void {
    const subs = this.subscribers.get(channel);
    if (subs === undefined) return;
    for (const state of subs) this.notify(state, text);
  }

  private hasSubscribers(channel: string): boolean {
    const subs = this.subscribers.get(channel);
    return subs !== undefined && subs.size > 0;
  }

  /* Market data ---------------------------------------------------------------------------------- */

  onTick(tick: SimTick): void {
    const inst = this.byIdx.get(tick.instrument.idx);
    if (inst === undefined) return;
    switch (tick.kind) {
      case 'trade':
        this.onTrade(inst, tick.ts, tick.price, tick.size, tick.side, tick.tradeId);
        return;
      case 'book':
        this.onBook(inst, tick.ts, tick.bids, tick.asks);
        return;
      case 'mark':
        inst.markPrice = tick.markPrice;
        inst.indexPrice = tick.indexPrice;
        inst.fundingRate = tick.fundingRate;
        this.publishTicker(inst, tick.ts);
        this.publishPerpetual(inst, tick.ts);
        return;
      case 'option':
        inst.markPrice = tick.markPrice;
        inst.indexPrice = tick.indexPrice;
        this.publishOption(inst, tick);
    }
  }

  private onTrade(inst: InstrumentState, ts: number, price: string, size: string, side: Side, tradeId: number): void {
    // Plus/zero-plus/minus/zero-minus tick, per Deribit's tick_direction codes 0..3.
    if (inst.lastTradePrice !== '') {
      const diff = Number(price) - Number(inst.lastTradePrice);
      if (diff > 0) inst.tickDirection = 0;
      else if (diff < 0) inst.tickDirection = 2;
      else inst.tickDirection = inst.tickDirection === 0 || inst.tickDirection === 1 ? 1 : 3;
    }
    inst.lastTradePrice = price;
    inst.tradeSeq++;
    for (const interval of INTERVALS) {
      const channel = `trades.${inst.name}.${interval}`;
      if (!this.hasSubscribers(channel)) continue;
      let item = `{"trade_seq":${inst.tradeSeq},"trade_id":"${tradeId}","timestamp":${Math.floor(ts)},"tick_direction":${inst.tickDirection},"price":${num(price)}`;
      if (inst.markPrice !== '') item += `,"mark_price":${num(inst.markPrice)}`;
      item += `,"instrument_name":"${inst.name}"`;
      if (inst.indexPrice !== '') item += `,"index_price":${num(inst.indexPrice)}`;
      item += `,"direction":"${side}","amount":${amount(inst, size)}}`;
      this.publish(channel, notification(channel, `[${item}]`));
    }
  }

  private onBook(inst: InstrumentState, ts: number, bids: readonly Level[], asks: readonly Level[]): void {
    this.ensureMirror(inst);
    // The mirror and the change ids advance even with nobody subscribed (a later snapshot must
    // chain); the frame text is only built for subscribers.
    const withText = this.hasSubscribers(`book.${inst.name}.100ms`) || this.hasSubscribers(`book.${inst.name}.agg2`);
    const changeBids = applyChanges(inst, inst.bids, bids, withText);
    const changeAsks = applyChanges(inst, inst.asks, asks, withText);
    let prev = inst.lastChangeId;
    if (inst.gapPending) {
      // A change the clients never see: the next frame's prev_change_id points at it.
      prev = ++this.changeCounter;
      inst.gapPending = false;
    }
    const changeId = ++this.changeCounter;
    inst.lastChangeId = changeId;
    for (const interval of INTERVALS) {
      const channel = `book.${inst.name}.${interval}`;
      if (this.hasSubscribers(channel)) {
        const data =
          `{"type":"change","timestamp":${Math.floor(ts)},"prev_change_id":${prev},"instrument_name":"${inst.name}",` +
          `"change_id":${changeId},"bids":[${changeBids}],"asks":[${changeAsks}]}`;
        this.publish(channel, notification(channel, data));
      }
      for (const depth of GROUPED_DEPTHS) {
        const grouped = `book.${inst.name}.none.${depth}.${interval}`;
        if (this.hasSubscribers(grouped)) this.publish(grouped, this.groupedFrame(inst, grouped, Number(depth)));
      }
    }
    // The best bid/ask of a perpetual or future also moves its ticker on the live venue; here the
    // ticker follows mark ticks only, which carry the book's top at that time.
  }

  private ensureMirror(inst: InstrumentState): void {
    if (inst.mirrored) return;
    const book: SimBook = this.market.book(inst.instrument);
    for (const level of book.bids) inst.bids.set(priceKey(level[0]), level);
    for (const level of book.asks) inst.asks.set(priceKey(level[0]), level);
    inst.mirrored = true;
  }

  private bookSnapshotFrame(inst: InstrumentState, channel: string): string {
    this.ensureMirror(inst);
    if (inst.lastChangeId === 0) inst.lastChangeId = ++this.changeCounter;
    const bids = sortedLevels(inst, inst.bids, 'desc', Number.POSITIVE_INFINITY, true);
    const asks = sortedLevels(inst, inst.asks, 'asc', Number.POSITIVE_INFINITY, true);
    const data =
      `{"timestamp":${Math.floor(this.market.now())},"type":"snapshot","change_id":${inst.lastChangeId},` +
      `"instrument_name":"${inst.name}","bids":[${bids}],"asks":[${asks}]}`;
    return notification(channel, data);
  }

  private groupedFrame(inst: InstrumentState, channel: string, depth: number): string {
    this.ensureMirror(inst);
    if (inst.lastChangeId === 0) inst.lastChangeId = ++this.changeCounter;
    const bids = sortedLevels(inst, inst.bids, 'desc', depth, false);
    const asks = sortedLevels(inst, inst.asks, 'asc', depth, false);
    const data =
      `{"timestamp":${Math.floor(this.market.now())},"change_id":${inst.lastChangeId},` +
      `"instrument_name":"${inst.name}","bids":[${bids}],"asks":[${asks}]}`;
    return notification(channel, data);
  }

  /** Best bid/ask with amounts: the published mirror when the book ticks, else the market's book. */
  private top(inst: InstrumentState): { bid: Level | undefined; ask: Level | undefined } {
    if (inst.mirrored) return { bid: bestOf(inst.bids, 'desc'), ask: bestOf(inst.asks, 'asc') };
    const book = this.market.book(inst.instrument);
    return { bid: book.bids[0], ask: book.asks[0] };
  }

  private publishTicker(inst: InstrumentState, ts: number): void {
    const kind = inst.instrument.kind;
    if (kind === 'option') return;
    for (const interval of INTERVALS) {
      const channel = `ticker.${inst.name}.${interval}`;
      if (!this.hasSubscribers(channel)) continue;
      const { bid, ask } = this.top(inst);
      let data = `{"timestamp":${Math.floor(ts)},"state":"open","index_price":${num(inst.indexPrice)},"instrument_name":"${inst.name}"`;
      data += `,"last_price":${inst.lastTradePrice === '' ? 'null' : num(inst.lastTradePrice)},"mark_price":${num(inst.markPrice)}`;
      if (kind === 'perpetual' && inst.fundingRate !== '') data += `,"current_funding":${num(inst.fundingRate)}`;
      data += `,"estimated_delivery_price":${num(inst.indexPrice)}`;
      data += `,"best_ask_price":${ask === undefined ? '0.0' : num(ask[0])},"best_bid_price":${bid === undefined ? '0.0' : num(bid[0])}`;
      data += `,"best_ask_amount":${ask === undefined ? '0.0' : amount(inst, ask[1])},"best_bid_amount":${bid === undefined ? '0.0' : amount(inst, bid[1])}}`;
      this.publish(channel, notification(channel, data));
    }
  }

  private publishPerpetual(inst: InstrumentState, ts: number): void {
    if (inst.instrument.kind !== 'perpetual' || inst.fundingRate === '') return;
    for (const interval of INTERVALS) {
      const channel = `perpetual.${inst.name}.${interval}`;
      if (!this.hasSubscribers(channel)) continue;
      const data = `{"index_price":${num(inst.indexPrice)},"interest":${num(inst.fundingRate)},"timestamp":${Math.floor(ts)}}`;
      this.publish(channel, notification(channel, data));
    }
  }

  private publishOption(inst: InstrumentState, tick: Extract<SimTick, { kind: 'option' }>): void {
    for (const interval of INTERVALS) {
      const channel = `ticker.${inst.name}.${interval}`;
      if (!this.hasSubscribers(channel)) continue;
      const { bid, ask } = this.top(inst);
      // The market reports an empty side as "0", as Deribit does with price 0 and amount 0.
      const bidPrice = Number(tick.bestBid) > 0 ? tick.bestBid : undefined;
      const askPrice = Number(tick.bestAsk) > 0 ? tick.bestAsk : undefined;
      // Amounts of the quoted prices when the book holds them at those prices.
      const bidAmount = bid !== undefined && bidPrice !== undefined && sameDecimal(bid[0], bidPrice) ? bid[1] : undefined;
      const askAmount = ask !== undefined && askPrice !== undefined && sameDecimal(ask[0], askPrice) ? ask[1] : undefined;
      let data = `{"underlying_price":${num(tick.underlyingPrice)},"underlying_index":"${this.underlyingIndex(inst)}","timestamp":${Math.floor(tick.ts)}`;
      data += `,"state":"open","mark_price":${num(tick.markPrice)},"mark_iv":${percentText(tick.markIv)}`;
      data += `,"last_price":${inst.lastTradePrice === '' ? 'null' : num(inst.lastTradePrice)},"interest_rate":0.0`;
      data += `,"instrument_name":"${inst.name}","index_price":${num(tick.indexPrice)}`;
      data += `,"greeks":{"vega":${floatText(tick.vega)},"theta":${floatText(tick.theta)},"gamma":${floatText(tick.gamma)},"delta":${floatText(tick.delta)}}`;
      data += `,"estimated_delivery_price":${num(tick.indexPrice)}`;
      data += `,"best_bid_price":${bidPrice === undefined ? '0.0' : num(bidPrice)},"best_bid_amount":${bidAmount === undefined ? '0.0' : amount(inst, bidAmount)}`;
      data += `,"best_ask_price":${askPrice === undefined ? '0.0' : num(askPrice)},"best_ask_amount":${askAmount === undefined ? '0.0' : amount(inst, askAmount)}}`;
      this.publish(channel, notification(channel, data));
    }
  }

  /** The future an option is priced off when the venue lists it, else Deribit's synthetic name. */
  private underlyingIndex(inst: InstrumentState): string {
    const parts = inst.name.split('-');
    const future = `${parts[0]}-${parts[1]}`;
    return this.byName.has(future) ? future : `SYN.${future}`;
  }
}


/* Wire text ------------------------------------------------------------------------------------ */

function notification(channel: string, data: string): string {
  return `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"${channel}","data":${data}}}`;
}

/**
 * A decimal string as Deribit prints a JSON number: the shorter of plain (always with a fraction,
 * `10.0`) and exponent form with a one-digit mantissa (`2.2e3`, `1.423e-4`); plain on a tie.
 */
export function deribitNumberText(decimal: string): string {
  const plain = normalizeDecimal(decimal);
  if (plain === null) throw new RangeError(`not a decimal: ${decimal}`);
  const negative = plain.startsWith('-');
  const body = negative ? plain.slice(1) : plain;
  const dot = body.indexOf('.');
  let intPart = dot < 0 ? body : body.slice(0, dot);
  let frac = dot < 0 ? '' : body.slice(dot + 1);
  frac = frac.replace(/0+$/, '');
  intPart = intPart.replace(/^0+(?=\d)/, '');
  const plainText = `${intPart}.${frac === '' ? '0' : frac}`;
  const digits = (intPart + frac).replace(/^0+/, '');
  if (digits === '') return negative ? '-0.0' : '0.0';
  // Exponent of the first significant digit.
  const exponent = intPart !== '0' ? intPart.length - 1 : -(frac.length - frac.replace(/^0+/, '').length) - 1;
  const mantissa = digits.replace(/0+$/, '');
  const sci = `${mantissa[0]}.${mantissa.length > 1 ? mantissa.slice(1) : '0'}e${exponent}`;
  const text = sci.length < plainText.length ? sci : plainText;
  return negative ? `-${text}` : text;
}

const num = deribitNumberText;

/** A simulator size (contracts) as the Deribit amount on the wire. */
function amount(inst: InstrumentState, contracts: string): string {
  return num(inst.contractSize === '1' ? contracts : multiplyDecimals(contracts, inst.contractSize));
}

/** Exact product of two plain decimals ("37" x "10" = "370", "0.5" x "0.01" = "0.005"). */
export function multiplyDecimals(a: string, b: string): string {
  const [ua, sa] = scaled(a);
  const [ub, sb] = scaled(b);
  const product = ua * ub;
  const scale = sa + sb;
  const negative = product < 0n;
  let digits = (negative ? -product : product).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return normalizeDecimal(negative ? `-${digits}` : digits) ?? '0';
}

function scaled(text: string): [bigint, number] {
  const plain = normalizeDecimal(text);
  if (plain === null) throw new RangeError(`not a decimal: ${text}`);
  const dot = plain.indexOf('.');
  if (dot < 0) return [BigInt(plain), 0];
  return [BigInt(plain.slice(0, dot) + plain.slice(dot + 1)), plain.length - dot - 1];
}

/** A JS number (Greeks, IV from the model) in Deribit's print style, via its shortest round-trip text. */
function floatText(value: number): string {
  const plain = decimalFromNumber(value);
  return plain === null ? 'null' : deribitNumberText(plain);
}

/** A fraction as Deribit's percent IV, exactly: 0.5523 -> `55.23`. */
function percentText(fraction: number): string {
  const plain = decimalFromNumber(fraction);
  const percent = plain === null ? null : normalizeDecimal(`${plain}e2`);
  return percent === null ? 'null' : deribitNumberText(percent);
}

function sameDecimal(a: string, b: string): boolean {
  return a === b || Number(a) === Number(b);
}

/** Applies absolute-size changes to a mirror side and returns the `[action, price, amount]` list ('' without text). */
function applyChanges(inst: InstrumentState, side: Map<string, Level>, levels: readonly Level[], withText: boolean): string {
  let out = '';
  for (const level of levels) {
    const key = priceKey(level[0]);
    const zero = Number(level[1]) === 0;
    let action: string;
    if (zero) {
      action = 'delete';
      side.delete(key);
    } else {
      action = side.has(key) ? 'change' : 'new';
      side.set(key, level);
    }
    if (!withText) continue;
    if (out !== '') out += ',';
    out += `["${action}",${num(level[0])},${zero ? '0.0' : amount(inst, level[1])}]`;
  }
  return out;
}

/** One key per price value: "100.50" and "100.5" are the same level. */
function priceKey(price: string): string {
  const plain = normalizeDecimal(price) ?? price;
  if (plain.indexOf('.') < 0) return plain;
  const trimmed = plain.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

function sortedLevels(inst: InstrumentState, side: Map<string, Level>, order: 'asc' | 'desc', depth: number, withAction: boolean): string {
  const levels = [...side.values()].sort((a, b) => (order === 'asc' ? Number(a[0]) - Number(b[0]) : Number(b[0]) - Number(a[0])));
  let out = '';
  const n = Math.min(levels.length, depth);
  for (let i = 0; i < n; i++) {
    const [p, q] = levels[i]!;
    if (out !== '') out += ',';
    out += withAction ? `["new",${num(p)},${amount(inst, q)}]` : `[${num(p)},${amount(inst, q)}]`;
  }
  return out;
}

function bestOf(side: Map<string, Level>, order: 'asc' | 'desc'): Level | undefined {
  let best: Level | undefined;
  for (const level of side.values()) {
    if (best === undefined || (order === 'asc' ? Number(level[0]) < Number(best[0]) : Number(level[0]) > Number(best[0]))) best = level;
  }
  return best;
}
