/**
 * OKX v5 public WebSocket parser: one raw text frame -> one `OkxFrame`. Pure apart from a symbol
 * memo; never throws. Normalised semantics are written down in docs/feeds/okx.md:
 *   - trade side = OKX `side`, documented as the taker's side;
 *   - sizes are as OKX sends them: base units for spot, CONTRACTS for swaps/futures/options
 *     (`contractSize` in config/instruments.yaml converts: linear = base per contract, inverse =
 *     USD per contract);
 *   - exchTs = the frame's `ts` (ms); funding-rate pushes may lack it (legacy), then 0.
 * Channels with depth (`books`, `books-l2-tbt`, `books50-l2-tbt`) come out as `OkxBookUpdate`s for
 * the book sync; the snapshot-only channels (`books5`, `bbo-tbt`) and everything else come out as
 * finished MarketEvents. A frame is taken whole or refused whole: one bad element refuses it.
 */
import type { BookEvent, MarketEvent, MarkEvent, QuoteEvent, TradeEvent } from '../../risk/events.js';
import type { InstrumentRegistry } from '../../portfolio/instruments.js';
import type { DeadLetterReason } from '../types.js';
import { quoteOfLevels } from '../book-events.js';
import { FieldReader, type FrameRefusal, JsonFrameReader, isObject, type JsonObject } from '../field-reader.js';
import type { SequencedBookUpdate } from '../sequenced-book-sync.js';
import { OkxSymbols } from './symbols.js';

/**
 * One incremental-book message (snapshot or update) for one instrument. Its levels are exactly as
 * received (plain decimals, trailing zeros kept: the checksum needs them).
 */
export interface OkxBookUpdate extends SequencedBookUpdate {
  readonly channel: string;
  readonly instId: string;
  /** Absent on pre-2023 frames. */
  readonly seqId: number | undefined;
  readonly prevSeqId: number | undefined;
  /** Legacy CRC32 of the top 25 levels; 0 = not sent (current OKX fixes it to 0). */
  readonly checksum: number;
}

export type OkxControl = 'pong' | 'ping' | 'subscribe' | 'unsubscribe' | 'login' | 'channel-conn-count';

export type OkxFrame =
  | { readonly kind: 'data'; readonly events: MarketEvent[]; readonly books: OkxBookUpdate[] }
  | { readonly kind: 'control'; readonly control: OkxControl; readonly channel?: string | undefined; readonly instId?: string | undefined }
  /** `event: notice` (code 64008: the connection closes soon for a service upgrade). */
  | { readonly kind: 'notice'; readonly code: string; readonly message: string }
  | { readonly kind: 'venue_error'; readonly detail: string }
  | { readonly kind: 'dead'; readonly reason: DeadLetterReason; readonly detail: string };

const PONG: OkxFrame = Object.freeze({ kind: 'control', control: 'pong' });
const PING: OkxFrame = Object.freeze({ kind: 'control', control: 'ping' });

/** Depth channels with snapshot + update messages, and the depth OKX maintains on each. */
export const OKX_INCREMENTAL_BOOK_DEPTH: Readonly<Record<string, number>> = {
  books: 400,
  'books-l2-tbt': 400,
  'books50-l2-tbt': 50,
};

export interface OkxParserOptions {
  registry: InstrumentRegistry;
  /** Levels per side in `book` events (books5 carries at most 5). */
  bookDepth: number;
}

function dead(reason: DeadLetterReason, detail: string): OkxFrame {
  return { kind: 'dead', reason, detail };
}

function refused(refusal: FrameRefusal): OkxFrame {
  return dead(refusal.reason, refusal.detail);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '';
}

export class OkxParser {
  private readonly symbols: OkxSymbols;
  private readonly bookDepth: number;
  private readonly fields = new FieldReader();
  private readonly frames = new JsonFrameReader();
  /** Funding interval per instId (nextFundingTime - fundingTime), from the last funding-rate push. */
  private readonly fundingIntervals = new Map<string, number>();

  constructor(options: OkxParserOptions) {
    this.symbols = new OkxSymbols(options.registry);
    this.bookDepth = Math.max(1, options.bookDepth);
  }

  /**
   * The funding interval (ms) OKX last implied for an instId, or undefined. MarkEvent has no field
   * for it, so it is kept here: `fundingRate` is per this interval (1, 2, 4, 6 or 8 h).
   */
  fundingIntervalMs(instId: string): number | undefined {
    return this.fundingIntervals.get(instId);
  }

  parse(raw: string, recvTs: number): OkxFrame {
    // The keepalive answer is the bare text `pong`, not JSON.
    if (raw === 'pong') return PONG;
    if (raw === 'ping') return PING;
    const message = this.frames.object(raw);
    if (message === undefined) return refused(this.frames.refusal);
    const frame = this.read(message, recvTs);
    if (!this.fields.inexact) return frame;
    // A decimal came as a JSON number: read the frame again from its exact number tokens.
    const exact = this.frames.exactObject(raw);
    return exact === undefined ? refused(this.frames.refusal) : this.read(exact, recvTs);
  }

  private read(message: JsonObject, recvTs: number): OkxFrame {
    this.fields.begin();
    const event = message['event'];
    if (event !== undefined) return this.readEvent(message, event);
    const arg = message['arg'];
    const data = message['data'];
    if (!isObject(arg) || !Array.isArray(data)) {
      return dead('unknown_message', 'neither an event nor an {arg, data} push');
    }
    const channel = arg['channel'];
    if (typeof channel !== 'string') return dead('invalid_field', 'field "arg.channel": missing');
    const argInstId = typeof arg['instId'] === 'string' ? arg['instId'] : undefined;
    const events: MarketEvent[] = [];
    const books: OkxBookUpdate[] = [];
    const frame: OkxFrame = { kind: 'data', events, books };
    const depth = OKX_INCREMENTAL_BOOK_DEPTH[channel];
    for (let i = 0; i < data.length; i++) {
      const item: unknown = data[i];
      if (!isObject(item)) return dead('invalid_field', `field "data[${i}]": not an object`);
      const instId = typeof item['instId'] === 'string' ? item['instId'] : argInstId;
      if (instId === undefined) return dead('invalid_field', 'field "instId": missing');
      const resolved = this.symbols.resolve(instId);
      if (resolved === undefined) return dead('unknown_symbol', `instId "${instId}" has no known shape`);
      const instrument = resolved.id;
      if (depth !== undefined) {
        const update = this.readBook(message, item, channel, instId, instrument, recvTs);
        if (update !== undefined) books.push(update);
      } else {
        switch (channel) {
          case 'trades':
          case 'trades-all':
            events.push(this.readTrade(item, instrument, recvTs));
            break;
          case 'tickers':
            events.push(this.readTicker(item, instrument, recvTs));
            break;
          case 'mark-price':
            events.push(this.readMarkPrice(item, instrument, recvTs));
            break;
          case 'funding-rate': {
            const mark = this.readFunding(item, instId, instrument, recvTs);
            if (mark !== undefined) events.push(mark);
            break;
          }
          case 'books5':
            this.readBooks5(item, instrument, recvTs, events);
            break;
          case 'bbo-tbt':
            events.push(this.readBbo(item, instrument, recvTs));
            break;
          default:
            return dead('unknown_message', `channel "${channel}" not handled`);
        }
      }
      if (this.fields.problem !== null) return dead('invalid_field', this.fields.problem);
    }
    return frame;
  }

  private readEvent(message: JsonObject, event: unknown): OkxFrame {
    switch (event) {
      case 'subscribe':
      case 'unsubscribe': {
        const arg = message['arg'];
        const channel = isObject(arg) && typeof arg['channel'] === 'string' ? arg['channel'] : undefined;
        const instId = isObject(arg) && typeof arg['instId'] === 'string' ? arg['instId'] : undefined;
        return { kind: 'control', control: event, channel, instId };
      }
      case 'error':
        return { kind: 'venue_error', detail: `code ${text(message['code']) || '?'}: ${text(message['msg'])}` };
      case 'notice':
        return { kind: 'notice', code: text(message['code']), message: text(message['msg']) };
      case 'login':
      case 'channel-conn-count':
        return { kind: 'control', control: event };
      case 'channel-conn-count-error':
        return { kind: 'venue_error', detail: `channel-conn-count-error: ${text(message['channel'])}` };
      default:
        return dead('unknown_message', `event "${text(event)}" not handled`);
    }
  }

  private readTrade(item: JsonObject, instrument: string, recvTs: number): TradeEvent {
    const f = this.fields;
    const side = item['side'];
    if (side !== 'buy' && side !== 'sell') f.fail('field "side": not buy|sell');
    return {
      type: 'trade',
      venue: 'okx',
      instrument,
      exchTs: f.ms(item, 'ts'),
      recvTs,
      price: f.decimal(item, 'px'),
      size: f.decimal(item, 'sz'),
      side: side === 'sell' ? 'sell' : 'buy',
      tradeId: f.string(item, 'tradeId'),
    };
  }

  /** `tickers`: best bid/ask with sizes ("" = that side is empty). Last-trade fields are not a quote. */
  private readTicker(item: JsonObject, instrument: string, recvTs: number): QuoteEvent {
    const f = this.fields;
    return {
      type: 'quote',
      venue: 'okx',
      instrument,
      exchTs: f.ms(item, 'ts'),
      recvTs,
      bid: f.optDecimal(item, 'bidPx') ?? null,
      bidSize: f.optDecimal(item, 'bidSz') ?? null,
      ask: f.optDecimal(item, 'askPx') ?? null,
      askSize: f.optDecimal(item, 'askSz') ?? null,
    };
  }

  private readMarkPrice(item: JsonObject, instrument: string, recvTs: number): MarkEvent {
    const f = this.fields;
    return { type: 'mark', venue: 'okx', instrument, exchTs: f.ms(item, 'ts'), recvTs, markPrice: f.decimal(item, 'markPx') };
  }

  /**
   * `funding-rate`: every field is optional across versions. `fundingRate` is the rate settled at
   * `fundingTime` (so that is the next funding time), `nextFundingTime` the one after; their
   * difference is the interval. A push with neither rate nor time carries nothing to emit.
   */
  private readFunding(item: JsonObject, instId: string, instrument: string, recvTs: number): MarkEvent | undefined {
    const f = this.fields;
    const fundingRate = f.optDecimal(item, 'fundingRate', true);
    const fundingTime = f.optMs(item, 'fundingTime');
    const nextFundingTime = f.optMs(item, 'nextFundingTime');
    const exchTs = f.optMs(item, 'ts') ?? 0;
    if (fundingTime !== undefined && nextFundingTime !== undefined && nextFundingTime > fundingTime) {
      this.fundingIntervals.set(instId, nextFundingTime - fundingTime);
    }
    if (fundingRate === undefined && fundingTime === undefined) return undefined;
    return { type: 'mark', venue: 'okx', instrument, exchTs, recvTs, fundingRate, nextFundingTs: fundingTime };
  }

  private readBook(
    message: JsonObject,
    item: JsonObject,
    channel: string,
    instId: string,
    instrument: string,
    recvTs: number,
  ): OkxBookUpdate | undefined {
    const f = this.fields;
    const action = message['action'];
    if (action !== 'snapshot' && action !== 'update') {
      f.fail('field "action": not snapshot|update');
      return undefined;
    }
    const bids = f.levels(item, 'bids');
    const asks = f.levels(item, 'asks');
    const exchTs = f.ms(item, 'ts');
    const seqId = f.optInt(item, 'seqId');
    const prevSeqId = f.optInt(item, 'prevSeqId');
    const checksum = f.optInt(item, 'checksum') ?? 0;
    if (!f.ok) return undefined;
    return { channel, instId, instrument, snapshot: action === 'snapshot', bids, asks, exchTs, recvTs, seqId, prevSeqId, checksum };
  }

  /** `books5`: a full 5-level book every push, so it needs no sync. */
  private readBooks5(item: JsonObject, instrument: string, recvTs: number, out: MarketEvent[]): void {
    const f = this.fields;
    const bids = f.levels(item, 'bids');
    const asks = f.levels(item, 'asks');
    const exchTs = f.ms(item, 'ts');
    const seqId = f.optInt(item, 'seqId');
    if (!f.ok) return;
    if (bids.length > this.bookDepth) bids.length = this.bookDepth;
    if (asks.length > this.bookDepth) asks.length = this.bookDepth;
    const book: BookEvent = {
      type: 'book',
      venue: 'okx',
      instrument,
      exchTs,
      recvTs,
      bids,
      asks,
      seq: seqId === undefined ? undefined : String(seqId),
    };
    out.push(book, quoteOfLevels('okx', instrument, exchTs, recvTs, bids[0], asks[0]));
  }

  /** `bbo-tbt`: one level per side, tick by tick. */
  private readBbo(item: JsonObject, instrument: string, recvTs: number): QuoteEvent {
    const f = this.fields;
    const bids = f.levels(item, 'bids');
    const asks = f.levels(item, 'asks');
    return quoteOfLevels('okx', instrument, f.ms(item, 'ts'), recvTs, bids[0], asks[0]);
  }
}
