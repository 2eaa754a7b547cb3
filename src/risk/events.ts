/**
 * The event vocabulary the engine consumes and produces. Every message on the wire (bus, replay
 * files, HTTP) is a versioned, flat JSON envelope `{ "v": 1, "type": ..., "ts": ..., ...fields }`;
 * docs/events.md is the reference with examples.
 *
 * Money and quantities travel as decimal strings and stay exact; the engine decides how to hold
 * them (docs/numerics.md). Timestamps are milliseconds since the Unix epoch (a fraction carries
 * microseconds where the venue sends them).
 */
import type { Venue } from '../portfolio/instruments.js';

export const ENVELOPE_VERSION = 1 as const;

export type Side = 'buy' | 'sell';
/** Trade aggressor: the taker's side. `unknown` where the venue does not say. */
export type TakerSide = Side | 'unknown';

/* ------------------------------------------------------------------------------------------ */
/* Market events: produced by src/feeds, keyed by instrument.                                  */
/* ------------------------------------------------------------------------------------------ */

interface MarketBase {
  venue: Venue;
  /** Canonical instrument id, e.g. `binance:BTC/USDT:USDT` (src/portfolio/instruments.ts). */
  instrument: string;
  /** The venue's own event time (ms). 0 when the venue sends none. */
  exchTs: number;
  /** When Keel received the frame (ms). */
  recvTs: number;
}

export interface TradeEvent extends MarketBase {
  type: 'trade';
  price: string;
  size: string;
  side: TakerSide;
  tradeId: string;
}

/** Best bid and offer. A missing side is null (empty book side). */
export interface QuoteEvent extends MarketBase {
  type: 'quote';
  bid: string | null;
  bidSize: string | null;
  ask: string | null;
  askSize: string | null;
}

export type Level = readonly [price: string, size: string];

/**
 * Top levels of a synchronized book: a full replacement of the `depth` best levels per side
 * (bids descending, asks ascending). Only emitted while the book is in sync.
 */
export interface BookEvent extends MarketBase {
  type: 'book';
  bids: readonly Level[];
  asks: readonly Level[];
  /** The venue's sequence/update id of the last update applied, as a string (64-bit safe). */
  seq?: string | undefined;
}

/** Mark, index and funding for derivatives (any field may be absent on a given message). */
export interface MarkEvent extends MarketBase {
  type: 'mark';
  markPrice?: string | undefined;
  indexPrice?: string | undefined;
  /** Funding rate per funding interval, as a decimal fraction ("0.0001" = 0.01%). */
  fundingRate?: string | undefined;
  nextFundingTs?: number | undefined;
}

/** Option ticker: venue mark, implied volatility and Greeks. */
export interface OptionEvent extends MarketBase {
  type: 'option';
  /** Option mark price in the premium currency (BTC for Deribit coin options). */
  markPrice: string;
  /** Mark implied volatility as a decimal fraction ("0.7657" = 76.57%). */
  markIv: string;
  /** Forward/underlying price the venue used for its IV (USD). */
  underlyingPrice: string;
  indexPrice?: string | undefined;
  bidIv?: string | undefined;
  askIv?: string | undefined;
  /** Venue Greeks as sent (Deribit: delta per 1 underlying, vega/theta USD per vol point/day). */
  delta?: string | undefined;
  gamma?: string | undefined;
  vega?: string | undefined;
  theta?: string | undefined;
}

/**
 * Feed health for one instrument.
 *   ok           book/stream in sync, data current
 *   connected    connection up, nothing synced yet
 *   resyncing    a gap or checksum failure: this instrument's book is being rebuilt
 *   stale        connected but silent longer than the watchdog allows
 *   disconnected connection down
 *   halted       the venue reports the instrument is not trading
 * The engine treats every state but `ok` and `connected` as "risk cannot be known" and fails closed.
 */
export type FeedStatus = 'ok' | 'connected' | 'resyncing' | 'stale' | 'disconnected' | 'halted';

export interface StatusEvent extends MarketBase {
  type: 'status';
  status: FeedStatus;
  reason?: string | undefined;
}

export type MarketEvent = TradeEvent | QuoteEvent | BookEvent | MarkEvent | OptionEvent | StatusEvent;
export type MarketEventType = MarketEvent['type'];

/* ------------------------------------------------------------------------------------------ */
/* Execution events: reported by order gateways, keyed by account.                             */
/* ------------------------------------------------------------------------------------------ */

/** The venue accepted the order: its reservation stays until fill/cancel. */
export interface OrderAckEvent {
  type: 'order.ack';
  account: string;
  clOrdId: string;
  venueOrderId?: string | undefined;
}

/** The venue refused the order: its reservation is released. */
export interface OrderRejectEvent {
  type: 'order.reject';
  account: string;
  clOrdId: string;
  reason?: string | undefined;
}

/** The rest of the order is cancelled (by the user, the venue, or expiry): release what remains. */
export interface OrderCancelEvent {
  type: 'order.cancel';
  account: string;
  clOrdId: string;
  reason?: string | undefined;
}

/** An execution. Idempotent by (account, execId). */
export interface FillEvent {
  type: 'fill';
  account: string;
  execId: string;
  /** The order this fill belongs to; absent for fills Keel never checked (e.g. liquidations). */
  clOrdId?: string | undefined;
  instrument: string;
  side: Side;
  /** Contracts (spot: base units). */
  qty: string;
  price: string;
  /** Fee charged (negative = rebate) in `feeCurrency`. */
  fee?: string | undefined;
  feeCurrency?: string | undefined;
}

/**
 * A funding payment on a perpetual. Either `amount` (signed, settle currency, + = received),
 * as the venue reports it, or `rate` (+ `markPrice`), which the ledger turns into an amount:
 * longs pay shorts when the rate is positive.
 */
export interface FundingEvent {
  type: 'funding';
  account: string;
  /** Unique id of the payment, for idempotency. */
  fundingId: string;
  instrument: string;
  amount?: string | undefined;
  rate?: string | undefined;
  markPrice?: string | undefined;
}

/** External cash flow: deposit (+) or withdrawal (-). Idempotent by transferId. */
export interface TransferEvent {
  type: 'transfer';
  account: string;
  transferId: string;
  currency: string;
  amount: string;
}

/** Expiry settlement of a future or option at `price`, for every holder. Idempotent per instrument. */
export interface SettlementEvent {
  type: 'settlement';
  instrument: string;
  price: string;
}

export type ExecutionEvent =
  | OrderAckEvent
  | OrderRejectEvent
  | OrderCancelEvent
  | FillEvent
  | FundingEvent
  | TransferEvent
  | SettlementEvent;

/* ------------------------------------------------------------------------------------------ */
/* Admin events: risk managers, audited. Keyed by account (firm-wide ones by "firm").          */
/* ------------------------------------------------------------------------------------------ */

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';
export type Scope = 'firm' | 'strategy' | 'account';

/** Kill switch / trading state change. */
export interface AdminStateEvent {
  type: 'admin.state';
  scope: Scope;
  /** Strategy or account id; absent for the firm. */
  target?: string | undefined;
  state: TradingState;
  actor: string;
  reason: string;
}

/** Sets (or with value null, removes) one limit at one level of the hierarchy. */
export interface AdminLimitEvent {
  type: 'admin.limit';
  scope: Scope;
  target?: string | undefined;
  /** Limit name, e.g. `maxGrossNotional`, `maxOrderQty` (docs/risk-checks.md). */
  limit: string;
  /** For keyed limits (per instrument, underlying, venue): the key. */
  key?: string | undefined;
  value: number | null;
  actor: string;
  reason: string;
}

export type AdminEvent = AdminStateEvent | AdminLimitEvent;

/* ------------------------------------------------------------------------------------------ */
/* Pre-trade check requests and the engine clock.                                              */
/* ------------------------------------------------------------------------------------------ */

export type OrderType = 'limit' | 'market';

export interface Order {
  clOrdId: string;
  account: string;
  instrument: string;
  side: Side;
  type: OrderType;
  qty: string;
  /** Required for limit orders; market orders are priced against the best opposite quote. */
  price?: string | undefined;
  reduceOnly?: boolean | undefined;
}

export interface CheckEvent {
  type: 'check';
  order: Order;
}

/** Advances engine time with no data (lets reservations expire and the VaR clock tick). */
export interface TickEvent {
  type: 'tick';
}

export type InputEvent = MarketEvent | ExecutionEvent | AdminEvent | CheckEvent | TickEvent;
export type InputEventType = InputEvent['type'];

/** The wire form: any event plus its version and engine timestamp. */
export type Envelope<E extends { type: string } = InputEvent> = E & { v: typeof ENVELOPE_VERSION; ts: number };
