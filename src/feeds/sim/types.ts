/**
 * The exchange simulator's contracts. One seeded market model (src/feeds/sim/market.ts) produces
 * venue-neutral ticks; one encoder per venue (src/feeds/<venue>/sim.ts) turns them into that
 * venue's exact wire protocol (message shapes, sequence fields, checksums, acks, pings), and the
 * generic server (src/feeds/sim/server.ts) owns sockets, rates and the venue-neutral faults
 * (drop, stall, garbage).
 */
import type { FeedId, Instrument } from '../../portfolio/instruments.js';
import type { Level, Side } from '../../risk/events.js';

/** Prices and sizes are decimal strings already rounded to the instrument's tick and lot. */
export type SimTick =
  | { kind: 'trade'; instrument: Instrument; ts: number; price: string; size: string; side: Side; tradeId: number }
  /** Changed levels only; size "0" removes a level. */
  | { kind: 'book'; instrument: Instrument; ts: number; bids: Level[]; asks: Level[] }
  | {
      kind: 'mark';
      instrument: Instrument;
      ts: number;
      markPrice: string;
      indexPrice: string;
      /** Per funding interval, decimal fraction. "" for dated futures. */
      fundingRate: string;
      nextFundingTs: number;
    }
  | {
      kind: 'option';
      instrument: Instrument;
      ts: number;
      /** Premium in the settle currency (coin for Deribit). */
      markPrice: string;
      /** Implied vol as a decimal fraction (0.55 = 55%). */
      markIv: number;
      underlyingPrice: string;
      indexPrice: string;
      delta: number;
      gamma: number;
      vega: number;
      theta: number;
      bestBid: string;
      bestAsk: string;
    };

/** The current full book of an instrument, for snapshots (bids descending, asks ascending). */
export interface SimBook {
  bids: readonly Level[];
  asks: readonly Level[];
}

export interface SimMarketView {
  readonly instruments: readonly Instrument[];
  book(instrument: Instrument): SimBook;
  /** Latest mid, as a decimal string. */
  mid(instrument: Instrument): string;
  now(): number;
}

export interface SimClient {
  readonly id: number;
  /** Query and path the client connected with (Binance puts streams in the URL). */
  readonly url: URL;
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** One venue's protocol, server side. */
export interface SimVenue {
  readonly feed: FeedId;
  onConnect(client: SimClient): void;
  onClientMessage(client: SimClient, text: string): void;
  onClose(client: SimClient): void;
  /** Encodes one market tick for every client subscribed to its instrument. */
  onTick(tick: SimTick): void;
  /** Venue heartbeat, called every `heartbeatMs` per client (Kraken heartbeat, Deribit test_request). */
  readonly heartbeatMs?: number | undefined;
  heartbeat?(client: SimClient): void;
  /** REST (Binance depth snapshot). Undefined => 404. */
  handleRest?(url: URL): { status: number; body: string } | undefined;
  /** Faults only the protocol can produce. */
  injectGap(instrument: Instrument): void;
  injectChecksumMismatch?(instrument: Instrument): void;
  /** Venue's scheduled-disconnect notice (Binance serverShutdown); the server closes afterwards. */
  announceShutdown?(client: SimClient): void;
}

export type SimVenueFactory = (market: SimMarketView) => SimVenue;

/** Venue-neutral faults, applied by the server. */
export type SimFault =
  | { kind: 'drop'; feed: FeedId }
  | { kind: 'stall'; feed: FeedId; ms: number }
  | { kind: 'garbage'; feed: FeedId; frames: number }
  | { kind: 'gap'; feed: FeedId; instrument: string }
  | { kind: 'checksum'; feed: FeedId; instrument: string }
  | { kind: 'shutdown'; feed: FeedId };
