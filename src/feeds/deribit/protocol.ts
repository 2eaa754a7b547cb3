/**
 * Deribit JSON-RPC over WebSocket (`wss://www.deribit.com/ws/api/v2`), client side.
 *
 * On open: `public/set_heartbeat` (10 s, the venue minimum) and `public/subscribe` for
 * `ticker.{name}.100ms` + `trades.{name}.100ms` on every instrument, plus `book.{name}.100ms` on
 * everything but options (options take their quote from the ticker). `raw` intervals need an
 * authorized connection (error 13778), so none is used.
 *
 * Subscription check: Deribit silently leaves unknown channels out of the `result` list, so each
 * ack is diffed against its request; a missing channel is a `venue_error` dead letter and its
 * instrument gets `status: disconnected` (reason "subscription refused") and never `ok`.
 *
 * Book sync per instrument: a `snapshot` loads the book; each `change` must carry
 * `prev_change_id` equal to the last applied `change_id` (the counter is shared across
 * instruments, so it jumps: never check +1). A break emits `status: resyncing` for that instrument
 * alone and unsubscribes + resubscribes its book channel (a second subscribe on the same socket
 * would not resend a snapshot); the next snapshot brings it back to `ok`. An update whose
 * `change_id` is not newer than the book is stale: dropped and dead-lettered as
 * `out_of_sequence`, since one ordered socket should never deliver one.
 *
 * Heartbeats: every `test_request` is answered with `public/test` (unanswered, the venue closes
 * the socket 10 s later with code 4000); plain heartbeats need no answer. Deribit has no
 * scheduled disconnect ("connections have no fixed expiration timer"), so nothing here forces a
 * reconnect.
 */
import type { FeedId, Instrument, InstrumentKind, InstrumentRegistry, Venue } from '../../portfolio/instruments.js';
import type { FeedStatus, Level, MarketEvent } from '../../risk/events.js';
import { L2Book } from '../book.js';
import { emitBookAndQuote } from '../book-events.js';
import { divideDecimal } from '../decimal.js';
import type { ProtocolIO, VenueProtocol, VenueProtocolOptions } from '../types.js';
import { type JsonObject, type JsonValue, ExactJsonReader, isJsonObject } from '../json-exact.js';
import {
  type BookUpdate,
  type QuoteValues,
  type TickerValues,
  type TradeValues,
  channelInstrument,
  channelKind,
  compareIds,
  intValue,
  optDecimal,
  readBook,
  readTicker,
  readTrades,
} from './mapping.js';
import { deriveDeribitSymbol } from './symbols.js';

const FEED: FeedId = 'deribit';
const VENUE: Venue = 'deribit';

/** Seconds; Deribit's minimum. The venue closes the socket 10 s after an unanswered test_request. */
export const DERIBIT_HEARTBEAT_INTERVAL_S = 10;
/** Deribit suggests batches of at most 500 channels per subscribe call. */
export const DERIBIT_MAX_CHANNELS_PER_CALL = 500;
/** Interval suffix of every channel Keel subscribes (raw needs auth). */
export const DERIBIT_INTERVAL = '100ms';
/** Cap on remembered instrument names (registry + derived), so hostile names cannot grow memory. */
const MAX_TRACKED = 4096;
/**
 * Contract size of an instrument outside the registry: unknown, so its amounts pass as sent (USD
 * for inverse contracts) rather than as a guessed number of contracts.
 */
const AMOUNT_PER_CONTRACT_UNKNOWN = '1';

const CH_TICKER = 1;
const CH_TRADES = 2;
const CH_BOOK = 4;

export function tickerChannel(name: string): string {
  return `ticker.${name}.${DERIBIT_INTERVAL}`;
}
export function tradesChannel(name: string): string {
  return `trades.${name}.${DERIBIT_INTERVAL}`;
}
export function bookChannel(name: string): string {
  return `book.${name}.${DERIBIT_INTERVAL}`;
}

/** Which channels Keel subscribes for an instrument kind. */
export function channelsFor(name: string, kind: InstrumentKind): string[] {
  const out = [tickerChannel(name), tradesChannel(name)];
  if (kind !== 'option') out.push(bookChannel(name));
  return out;
}

/** One instrument name: resolved identity plus this connection's subscription and book state. */
class Tracked {
  // Per-connection state, cleared by reset().
  wanted = 0;
  confirmed = 0;
  refused = false;
  refusedChannels = '';
  halted = false;
  venueState = '';
  bookSeen = false;
  synced = false;
  resyncing = false;
  changeId = '';
  /** The book channel this connection subscribed (resubscribed on a gap), '' when none. */
  bookChannelName = '';
  status: FeedStatus = 'connected';
  book: L2Book | null = null;

  constructor(
    readonly name: string,
    readonly canonical: string,
    readonly kind: InstrumentKind,
    /** Deribit amount per contract (USD for inverse contracts); AMOUNT_PER_CONTRACT_UNKNOWN off the registry. */
    readonly contractSize: string,
  ) {}

  clearConnectionState(): void {
    this.wanted = 0;
    this.confirmed = 0;
    this.refused = false;
    this.refusedChannels = '';
    this.halted = false;
    this.venueState = '';
    this.bookSeen = false;
    this.synced = false;
    this.resyncing = false;
    this.changeId = '';
    this.bookChannelName = '';
    this.status = 'connected';
    this.book?.clear();
  }
}

type PendingMethod = 'public/subscribe' | 'public/unsubscribe' | 'public/set_heartbeat';

interface PendingRequest {
  method: PendingMethod;
  channels: readonly string[];
}

function channelBit(kind: string): number {
  return kind === 'ticker' ? CH_TICKER : kind === 'trades' ? CH_TRADES : kind === 'book' ? CH_BOOK : 0;
}

export class DeribitProtocol implements VenueProtocol {
  readonly feed = FEED;
  readonly venue = VENUE;
  /** None: the venue drives liveness with heartbeat/test_request, which onMessage answers. */
  readonly keepalive = undefined;

  private readonly registry: InstrumentRegistry;
  private readonly bookDepth: number;
  private readonly reader = ExactJsonReader.maps();
  private readonly tracked = new Map<string, Tracked>();
  private readonly pending = new Map<string, PendingRequest>();
  private nextId = 1;
  // Scratch space reused per frame (one protocol instance serves one connection, single-threaded).
  private readonly trades: TradeValues[] = [];
  private readonly bookUpdate: BookUpdate = {
    type: 'snapshot',
    instrumentName: '',
    exchTs: 0,
    changeId: '',
    prevChangeId: '',
    bids: [],
    asks: [],
  };

  constructor(options: VenueProtocolOptions) {
    this.registry = options.registry;
    this.bookDepth = Math.max(1, Math.floor(options.bookDepth));
  }

  path(): string {
    return '/ws/api/v2';
  }

  subscribeMessages(instruments: readonly Instrument[]): string[] {
    const frames = [this.request('public/set_heartbeat', { interval: DERIBIT_HEARTBEAT_INTERVAL_S }, [])];
    const channels: string[] = [];
    for (const ins of instruments) {
      if (ins.feed !== FEED) continue;
      const name = ins.spec.venueSymbol;
      const rec = this.lookup(name);
      if (rec === null) continue;
      for (const ch of channelsFor(name, rec.kind)) {
        rec.wanted |= channelBit(channelKind(ch));
        channels.push(ch);
      }
      if ((rec.wanted & CH_BOOK) !== 0) {
        rec.bookChannelName = bookChannel(name);
        rec.book ??= new L2Book();
      }
    }
    for (let i = 0; i < channels.length; i += DERIBIT_MAX_CHANNELS_PER_CALL) {
      const batch = channels.slice(i, i + DERIBIT_MAX_CHANNELS_PER_CALL);
      frames.push(this.request('public/subscribe', { channels: batch }, batch));
    }
    return frames;
  }

  reset(): void {
    this.pending.clear();
    for (const rec of this.tracked.values()) rec.clearConnectionState();
  }

  onMessage(raw: string, recvTs: number, io: ProtocolIO): void {
    const msg = this.reader.read(raw);
    if (msg === undefined) {
      io.deadLetter('invalid_json', this.reader.error, raw);
      return;
    }
    if (!isJsonObject(msg)) {
      io.deadLetter('unknown_message', 'not a JSON-RPC object', raw);
      return;
    }
    const method = msg.get('method');
    if (method === 'subscription') this.onNotification(msg, raw, recvTs, io);
    else if (method === 'heartbeat') this.onHeartbeat(msg, raw, io);
    else if (msg.get('error') !== undefined) this.onError(msg, raw, recvTs, io);
    else if (msg.get('result') !== undefined) this.onResult(msg, raw, recvTs, io);
    else io.deadLetter('unknown_message', typeof method === 'string' ? `method "${method}" not handled` : 'neither notification nor response', raw);
  }

  /* ---------------------------------------------------------------------------------------- */
  /* JSON-RPC plumbing                                                                          */
  /* ---------------------------------------------------------------------------------------- */

  private request(method: PendingMethod, params: object, channels: readonly string[]): string {
    const id = this.nextId++;
    this.pending.set(String(id), { method, channels });
    return JSON.stringify({ jsonrpc: '2.0', id, method, params });
  }

  private onHeartbeat(msg: JsonObject, raw: string, io: ProtocolIO): void {
    const params = msg.get('params');
    const type = isJsonObject(params) ? params.get('type') : undefined;
    if (type === 'test_request') {
      // Not tracked in `pending`: its answer ({"result":{"version":...}}) needs no handling.
      io.send(`{"jsonrpc":"2.0","id":${this.nextId++},"method":"public/test","params":{}}`);
    } else if (type !== 'heartbeat') {
      io.deadLetter('unknown_message', `heartbeat type ${JSON.stringify(type ?? null)} not handled`, raw);
    }
  }

  private takePending(msg: JsonObject): PendingRequest | undefined {
    const id = msg.get('id');
    if (typeof id !== 'string') return undefined;
    const req = this.pending.get(id);
    if (req !== undefined) this.pending.delete(id);
    return req;
  }

  private onResult(msg: JsonObject, raw: string, recvTs: number, io: ProtocolIO): void {
    const req = this.takePending(msg);
    if (req === undefined || req.method !== 'public/subscribe') return; // acks, test replies: control
    const result = msg.get('result');
    const acked = new Set<string>();
    if (Array.isArray(result)) for (const ch of result) if (typeof ch === 'string') acked.add(ch);
    const missing: string[] = [];
    for (const ch of req.channels) {
      const rec = this.lookup(channelInstrument(ch));
      if (acked.has(ch)) {
        if (rec !== null) rec.confirmed |= channelBit(channelKind(ch));
      } else {
        missing.push(ch);
        if (rec !== null) {
          rec.refused = true;
          rec.refusedChannels = rec.refusedChannels === '' ? ch : `${rec.refusedChannels},${ch}`;
        }
      }
    }
    if (missing.length > 0) {
      io.deadLetter(
        'venue_error',
        `subscribe: ${missing.length} of ${req.channels.length} channels not subscribed: ${missing.join(', ')}`,
        raw,
      );
    }
    for (const ch of req.channels) {
      const rec = this.lookup(channelInstrument(ch));
      if (rec !== null) this.refreshStatus(rec, 0, recvTs, io);
    }
  }

  private onError(msg: JsonObject, raw: string, recvTs: number, io: ProtocolIO): void {
    const req = this.takePending(msg);
    const err = msg.get('error');
    let detail = 'error frame';
    if (isJsonObject(err)) {
      const code = typeof err.get('code') === 'string' ? err.get('code') : '?';
      const message = typeof err.get('message') === 'string' ? err.get('message') : '';
      const data = err.get('data');
      detail = `${code} ${message}`;
      if (typeof data === 'string') detail += ` (${data})`;
      else if (isJsonObject(data) && typeof data.get('reason') === 'string') detail += ` (${data.get('reason')})`;
    }
    if (req !== undefined) detail += ` in reply to ${req.method}`;
    io.deadLetter('venue_error', detail, raw);
    if (req === undefined || req.method !== 'public/subscribe') return;
    // The whole call failed (e.g. 13778 raw channels without auth): none of its channels is live.
    for (const ch of req.channels) {
      const rec = this.lookup(channelInstrument(ch));
      if (rec === null) continue;
      rec.refused = true;
      rec.refusedChannels = rec.refusedChannels === '' ? ch : `${rec.refusedChannels},${ch}`;
      this.refreshStatus(rec, 0, recvTs, io);
    }
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Notifications                                                                              */
  /* ---------------------------------------------------------------------------------------- */

  private onNotification(msg: JsonObject, raw: string, recvTs: number, io: ProtocolIO): void {
    const params = msg.get('params');
    if (!isJsonObject(params)) {
      io.deadLetter('invalid_field', 'field "params": not an object', raw);
      return;
    }
    const channel = params.get('channel');
    if (typeof channel !== 'string') {
      io.deadLetter('invalid_field', 'field "params.channel": not a string', raw);
      return;
    }
    const data = params.get('data');
    switch (channelKind(channel)) {
      case 'ticker':
        this.onTicker(data, channel, raw, recvTs, io);
        return;
      case 'trades':
        this.onTrades(data, channel, raw, recvTs, io);
        return;
      case 'book':
        this.onBook(data, channel, raw, recvTs, io);
        return;
      case 'perpetual':
        this.onPerpetual(data, channel, raw, recvTs, io);
        return;
      case 'platform_state':
        return; // index lock / maintenance notices: Keel does not subscribe them; harmless if sent
      default:
        io.deadLetter('unknown_message', `channel "${channel}" not handled`, raw);
    }
  }

  private onTicker(obj: JsonValue | undefined, channel: string, raw: string, recvTs: number, io: ProtocolIO): void {
    if (!isJsonObject(obj)) {
      io.deadLetter('invalid_field', 'field "params.data": not an object', raw);
      return;
    }
    const nameValue = obj.get('instrument_name');
    const name = typeof nameValue === 'string' ? nameValue : channelInstrument(channel);
    const rec = this.lookup(name);
    if (rec === null) {
      io.deadLetter('unknown_symbol', `instrument "${name}" is not a Deribit instrument name`, raw);
      return;
    }
    const t = readTicker(obj, { canonical: rec.canonical, isOption: rec.kind === 'option', isPerpetual: rec.kind === 'perpetual' });
    if (typeof t === 'string') {
      io.deadLetter('invalid_field', t, raw);
      return;
    }
    const sizeProblem = t.quote === null ? null : quoteInContracts(rec, t.quote);
    if (sizeProblem !== null) {
      io.deadLetter('invalid_field', sizeProblem, raw);
      return;
    }
    if (t.state !== '' && t.state !== rec.venueState) {
      rec.venueState = t.state;
      rec.halted = t.state !== 'open';
      this.refreshStatus(rec, t.exchTs, recvTs, io);
    }
    this.emitTicker(rec, t, recvTs, io);
  }

  private emitTicker(rec: Tracked, t: TickerValues, recvTs: number, io: ProtocolIO): void {
    const o = t.option;
    if (o !== null) {
      io.emit({
        type: 'option',
        venue: VENUE,
        instrument: rec.canonical,
        exchTs: t.exchTs,
        recvTs,
        markPrice: o.markPrice,
        markIv: o.markIv,
        underlyingPrice: o.underlyingPrice,
        indexPrice: o.indexPrice,
        bidIv: o.bidIv,
        askIv: o.askIv,
        delta: o.delta,
        gamma: o.gamma,
        vega: o.vega,
        theta: o.theta,
      });
    }
    const m = t.mark;
    if (m !== null) {
      io.emit({
        type: 'mark',
        venue: VENUE,
        instrument: rec.canonical,
        exchTs: t.exchTs,
        recvTs,
        markPrice: m.markPrice,
        indexPrice: m.indexPrice,
        fundingRate: m.fundingRate,
        nextFundingTs: undefined,
      });
    }
    // With a book channel the book is the quote source; two sources would make the BBO flicker.
    const q = t.quote;
    if (q !== null && !rec.bookSeen && (rec.wanted & CH_BOOK) === 0) {
      io.emit({
        type: 'quote',
        venue: VENUE,
        instrument: rec.canonical,
        exchTs: t.exchTs,
        recvTs,
        bid: q.bid,
        bidSize: q.bidSize,
        ask: q.ask,
        askSize: q.askSize,
      });
    }
  }

  private onPerpetual(obj: JsonValue | undefined, channel: string, raw: string, recvTs: number, io: ProtocolIO): void {
    if (!isJsonObject(obj)) {
      io.deadLetter('invalid_field', 'field "params.data": not an object', raw);
      return;
    }
    const name = channelInstrument(channel);
    const rec = this.lookup(name);
    if (rec === null) {
      io.deadLetter('unknown_symbol', `instrument "${name}" is not a Deribit instrument name`, raw);
      return;
    }
    const exchTs = intValue(obj.get('timestamp'));
    if (Number.isNaN(exchTs)) {
      io.deadLetter('invalid_field', 'field "timestamp": not an integer', raw);
      return;
    }
    io.emit({
      type: 'mark',
      venue: VENUE,
      instrument: rec.canonical,
      exchTs,
      recvTs,
      markPrice: undefined,
      indexPrice: optDecimal(obj, 'index_price'),
      // `interest` is the same instantaneous funding rate the ticker calls `current_funding`.
      fundingRate: optDecimal(obj, 'interest'),
      nextFundingTs: undefined,
    });
  }

  private onTrades(data: JsonValue | undefined, channel: string, raw: string, recvTs: number, io: ProtocolIO): void {
    const trades = this.trades;
    const problem = readTrades(data, channelInstrument(channel), trades);
    if (problem !== null) {
      io.deadLetter('invalid_field', problem, raw);
      return;
    }
    // Resolve every name before emitting anything: the frame is refused whole or emitted whole.
    for (let i = 0; i < trades.length; i++) {
      if (this.lookup(trades[i]!.instrumentName) === null) {
        io.deadLetter('unknown_symbol', `instrument "${trades[i]!.instrumentName}" is not a Deribit instrument name`, raw);
        return;
      }
    }
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i]!;
      const rec = this.lookup(t.instrumentName)!;
      const size = contractsOf(rec, t.size);
      if (size === null) {
        io.deadLetter('invalid_field', `data[${i}] field "amount": ${notWholeContracts(rec, t.size)}`, raw);
        return;
      }
      t.size = size;
    }
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i]!;
      io.emit({
        type: 'trade',
        venue: VENUE,
        instrument: this.lookup(t.instrumentName)!.canonical,
        exchTs: t.exchTs,
        recvTs,
        price: t.price,
        size: t.size,
        side: t.side,
        tradeId: t.tradeId,
      });
    }
    trades.length = 0;
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Book sync                                                                                  */
  /* ---------------------------------------------------------------------------------------- */

  private onBook(data: JsonValue | undefined, channel: string, raw: string, recvTs: number, io: ProtocolIO): void {
    const u = this.bookUpdate;
    let problem = readBook(data, channelInstrument(channel), u);
    const rec = this.lookup(problem === null ? u.instrumentName : channelInstrument(channel));
    if (problem === null && rec !== null) problem = levelsInContracts(rec, u.bids, 'bids') ?? levelsInContracts(rec, u.asks, 'asks');
    if (problem !== null) {
      io.deadLetter('invalid_field', problem, raw);
      // A lost change leaves the book wrong: rebuild it (only when it was being kept).
      if (rec !== null && rec.synced) this.startResync(rec, `malformed book update: ${problem}`, 0, recvTs, io);
      return;
    }
    if (rec === null) {
      io.deadLetter('unknown_symbol', `instrument "${u.instrumentName}" is not a Deribit instrument name`, raw);
      return;
    }
    rec.bookSeen = true;
    const book = (rec.book ??= new L2Book());
    if (u.type === 'change') {
      if (!rec.synced) {
        // Expected while a rebuild is in flight; otherwise the snapshot was missed.
        if (!rec.resyncing) this.startResync(rec, 'book change before any snapshot', u.exchTs, recvTs, io);
        return;
      }
      if (u.prevChangeId !== rec.changeId) {
        if (compareIds(u.changeId, rec.changeId) <= 0) {
          io.deadLetter('out_of_sequence', `book change_id ${u.changeId} not newer than ${rec.changeId}: stale, dropped`, raw);
          return;
        }
        this.startResync(rec, `gap: prev_change_id ${u.prevChangeId} != last change_id ${rec.changeId}`, u.exchTs, recvTs, io);
        return;
      }
      book.setLevels('bid', u.bids);
      book.setLevels('ask', u.asks);
    } else {
      if (rec.synced && u.type === 'window' && compareIds(u.changeId, rec.changeId) < 0) {
        io.deadLetter('out_of_sequence', `book window change_id ${u.changeId} older than ${rec.changeId}: stale, dropped`, raw);
        return;
      }
      book.loadSnapshot(u.bids, u.asks);
      rec.synced = true;
      rec.resyncing = false;
    }
    rec.changeId = u.changeId;
    emitBookAndQuote(io, VENUE, rec.canonical, book, this.bookDepth, u.exchTs, recvTs, rec.changeId);
    this.refreshStatus(rec, u.exchTs, recvTs, io);
  }

  private startResync(rec: Tracked, reason: string, exchTs: number, recvTs: number, io: ProtocolIO): void {
    rec.synced = false;
    rec.resyncing = true;
    rec.changeId = '';
    rec.book?.clear();
    this.refreshStatus(rec, exchTs, recvTs, io, reason);
    if (rec.bookChannelName === '' || (rec.wanted & CH_BOOK) === 0) return; // replay: nothing to ask
    const channels = [rec.bookChannelName];
    io.send(this.request('public/unsubscribe', { channels }, channels));
    io.send(this.request('public/subscribe', { channels }, channels));
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Status                                                                                     */
  /* ---------------------------------------------------------------------------------------- */

  /**
   * The instrument's health from its flags, emitted on change only:
   * refused > halted > resyncing > ok (book synced, or every subscribed channel acked) > connected.
   */
  private refreshStatus(rec: Tracked, exchTs: number, recvTs: number, io: ProtocolIO, reason?: string): void {
    let status: FeedStatus;
    let why = reason;
    if (rec.refused) {
      status = 'disconnected';
      why = `subscription refused: ${rec.refusedChannels}`;
    } else if (rec.halted) {
      status = 'halted';
      why = `instrument state ${rec.venueState}`;
    } else if (rec.resyncing) {
      status = 'resyncing';
    } else if (((rec.wanted & CH_BOOK) !== 0 || rec.bookSeen) ? rec.synced : rec.wanted !== 0 && rec.confirmed === rec.wanted) {
      status = 'ok';
    } else {
      status = 'connected';
    }
    if (status === rec.status) return;
    rec.status = status;
    const event: MarketEvent = { type: 'status', venue: VENUE, instrument: rec.canonical, exchTs, recvTs, status, reason: why };
    io.emit(event);
  }

  /* ---------------------------------------------------------------------------------------- */
  /* Instruments                                                                                */
  /* ---------------------------------------------------------------------------------------- */

  /** The tracked record for a Deribit name: registry first, then the naming rule; null if neither. */
  private lookup(name: string): Tracked | null {
    const known = this.tracked.get(name);
    if (known !== undefined) return known;
    let rec: Tracked;
    const ins = this.registry.byVenueSymbol(FEED, name);
    if (ins !== undefined) {
      rec = new Tracked(name, ins.id, ins.kind, ins.spec.contractSize);
    } else {
      const derived = deriveDeribitSymbol(name);
      if (derived === null) return null;
      rec = new Tracked(name, derived.canonical, derived.kind, AMOUNT_PER_CONTRACT_UNKNOWN);
    }
    if (this.tracked.size < MAX_TRACKED) this.tracked.set(name, rec);
    return rec;
  }
}

/* ---------------------------------------------------------------------------------------------- */
/* Sizes: Deribit amounts -> contracts                                                              */
/* ---------------------------------------------------------------------------------------------- */

/**
 * A Deribit amount in contracts of `rec`, Keel's size unit (docs/feed-semantics.md): USD over the
 * contract size for inverse contracts (BTC-PERPETUAL: 10 USD each), the amount itself where a
 * contract is one unit (linear USDC contracts, options). Null when the quotient is not a finite
 * decimal (never for the power-of-ten sizes Deribit uses).
 */
function contractsOf(rec: Tracked, amount: string): string | null {
  return rec.contractSize === '1' ? amount : divideDecimal(amount, rec.contractSize);
}

function notWholeContracts(rec: Tracked, amount: string): string {
  return `${amount} over contract size ${rec.contractSize} is not a finite decimal`;
}

/** Converts a ticker's best bid/ask amounts in place; the problem, or null. */
function quoteInContracts(rec: Tracked, quote: QuoteValues): string | null {
  if (quote.bidSize !== null) {
    const size = contractsOf(rec, quote.bidSize);
    if (size === null) return `field "best_bid_amount": ${notWholeContracts(rec, quote.bidSize)}`;
    quote.bidSize = size;
  }
  if (quote.askSize !== null) {
    const size = contractsOf(rec, quote.askSize);
    if (size === null) return `field "best_ask_amount": ${notWholeContracts(rec, quote.askSize)}`;
    quote.askSize = size;
  }
  return null;
}

/** Converts a book update's level amounts in place (the update's scratch arrays); the problem, or null. */
function levelsInContracts(rec: Tracked, levels: Level[], key: string): string | null {
  if (rec.contractSize === '1') return null;
  for (let i = 0; i < levels.length; i++) {
    const [price, amount] = levels[i]!;
    const size = contractsOf(rec, amount);
    if (size === null) return `${key}[${i}]: amount ${notWholeContracts(rec, amount)}`;
    levels[i] = [price, size];
  }
  return null;
}
