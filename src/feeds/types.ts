/**
 * Contracts inside the feeds stage. A venue adapter is three small parts:
 *   - a pure parser: raw text frame -> normalized MarketEvents (src/risk/events.ts) or internal
 *     book updates, never throwing;
 *   - book synchronisation where the venue sends depth (snapshot + deltas, sequence and checksum
 *     rules per venue), which emits `book`, `quote` and `status` events;
 *   - a protocol: what to send on connect (subscribe), keepalives, and how to answer the venue's
 *     control messages. The generic session (src/feeds/session.ts) owns the socket, reconnects with
 *     exponential backoff and full jitter, runs the stale-stream watchdog and resubscribes.
 */
import type { FeedId, Instrument, InstrumentRegistry, Venue } from '../portfolio/instruments.js';
import type { FeedStatus, MarketEvent } from '../risk/events.js';

/** Why a frame was refused. Counted per feed and reason (metric `keel_feed_dead_letters_total`). */
export type DeadLetterReason =
  | 'invalid_json' // not JSON where JSON was expected
  | 'unknown_message' // valid JSON of a shape/channel the adapter does not know
  | 'unknown_symbol' // a symbol no instrument maps to (only when the adapter is strict)
  | 'invalid_field' // a required field missing, of the wrong type, or not a decimal
  | 'venue_error' // the venue sent an error frame (subscription refused, bad request)
  | 'out_of_sequence'; // an update older than the book, or a duplicate, dropped

export interface DeadLetter {
  feed: FeedId;
  reason: DeadLetterReason;
  /** One line saying what was wrong, e.g. `field "p": not a decimal`. */
  detail: string;
  /** The frame as received (truncated to 64 KiB). Nothing is lost: it can be replayed. */
  raw: string;
  recvTs: number;
}

/** Where refused frames go: the bus DLQ topic when wired, a counter + log otherwise. */
export interface DeadLetterSink {
  put(letter: DeadLetter): void;
}

/** Receives normalized events, in order. */
export type Emit = (event: MarketEvent) => void;

/** What a protocol can do to the outside world while handling a frame. */
export interface ProtocolIO {
  emit: Emit;
  /** Sends a text frame on the current connection (subscribe, pong, test replies). */
  send(text: string): void;
  deadLetter(reason: DeadLetterReason, detail: string, raw: string): void;
  /**
   * Asks the session to fetch a REST depth snapshot (Binance) for an instrument; the session calls
   * `onSnapshot` with the body when it arrives. Venues that snapshot over the socket ignore this.
   */
  requestSnapshot(instrument: Instrument): void;
  /** Asks the session to drop the connection and reconnect (venue `serverShutdown`, fatal desync). */
  reconnect(reason: string): void;
}

/**
 * One venue protocol, one instance per connection. Stateful (book sync), but does no I/O of its
 * own: everything goes through ProtocolIO, so the same code runs against the live venue, the
 * simulator and recorded files (`keel parse`).
 */
export interface VenueProtocol {
  readonly feed: FeedId;
  readonly venue: Venue;
  /** WebSocket URL path+query for these instruments, relative to the configured base URL. */
  path(instruments: readonly Instrument[]): string;
  /** Frames to send right after the socket opens. */
  subscribeMessages(instruments: readonly Instrument[]): string[];
  /** Handles one text frame. Must never throw: bad input goes to `io.deadLetter`. */
  onMessage(raw: string, recvTs: number, io: ProtocolIO): void;
  /** A REST snapshot body requested with `io.requestSnapshot`. */
  onSnapshot?(instrument: Instrument, body: string, recvTs: number, io: ProtocolIO): void;
  /** Application-level keepalive the client must send (OKX text `ping`, Bybit `op:ping`...). */
  readonly keepalive?: { readonly intervalMs: number; message(): string } | undefined;
  /** Called when the socket closes: forget sync state (the session emits `disconnected`). */
  reset(): void;
  /** REST snapshot URL path for an instrument (Binance), relative to the configured REST base. */
  snapshotPath?(instrument: Instrument): string;
}

export interface VenueProtocolOptions {
  registry: InstrumentRegistry;
  /** Levels per side carried in `book` events. */
  bookDepth: number;
}

export type VenueProtocolFactory = (options: VenueProtocolOptions) => VenueProtocol;

/** Settings for one session (one connection). Times in ms. */
export interface SessionOptions {
  /** ws:// or wss:// base, e.g. `wss://stream.binance.com:9443` or the simulator's URL. */
  url: string;
  /** http(s) base for REST snapshots (Binance). */
  restUrl?: string | undefined;
  /** Reconnect backoff: delay = random(0, min(maxMs, baseMs * 2^attempt)) ("full jitter"). */
  backoff: { baseMs: number; maxMs: number };
  /**
   * No DATA for this long while connected => the stream is stale: reconnect. A frame counts as
   * data only when the protocol emits a non-status event for it; pings, heartbeats and acks keep
   * the transport alive but do not prove the stream flows.
   */
  staleAfterMs: number;
  /** Reconnect proactively before the venue's scheduled cut (Binance: 24 h). 0 = never. */
  maxConnectionAgeMs: number;
  /** Abort a connect attempt that takes longer than this. */
  connectTimeoutMs: number;
}

/** A session's observable state, for /health and the desk. */
export interface SessionState {
  feed: FeedId;
  status: FeedStatus;
  connects: number;
  reconnects: number;
  lastMessageAt: number;
  messages: number;
}
