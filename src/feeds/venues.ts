/**
 * The one table from feed to its adapter: the client protocol (live feeds, `keel parse`) and the
 * simulator's server side (`keel sim`, tests, benches). Every other module looks venues up here.
 *
 * Binance USD-M needs a second connection for its `/market` streams (aggTrade, markPrice):
 * `binanceUsdmMarketProtocol` in binance/index.ts. This table names the `/public` one, which also
 * parses every Binance frame (what `keel parse` needs); the feeds stage opens both.
 */
import type { FeedId } from '../portfolio/instruments.js';
import type { SimVenueFactory } from './sim/types.js';
import type { VenueProtocolFactory } from './types.js';
import { binanceSpotProtocol, binanceSpotSimVenue, binanceUsdmMarketProtocol, binanceUsdmProtocol, binanceUsdmSimVenue } from './binance/index.js';
import {
  bybitInverseProtocol,
  bybitInverseSimVenue,
  bybitLinearProtocol,
  bybitLinearSimVenue,
  bybitOptionProtocol,
  bybitOptionSimVenue,
  bybitSpotProtocol,
  bybitSpotSimVenue,
} from './bybit/index.js';
import { coinbaseProtocol, coinbaseSimVenue } from './coinbase/index.js';
import { deribitProtocol, deribitSimVenue } from './deribit/index.js';
import { krakenProtocol, krakenSimVenue } from './kraken/index.js';
import { okxProtocol, okxSimVenue } from './okx/index.js';

export interface VenueFactories {
  readonly protocol: VenueProtocolFactory;
  readonly simVenue: SimVenueFactory;
  /** Further connections the feed needs (Binance USD-M routes mark prices and trades to `/market`). */
  readonly extraProtocols?: readonly VenueProtocolFactory[];
}

/** Every FeedId has an entry: the Record type makes a missing one a compile error. */
export const VENUE_TABLE: Readonly<Record<FeedId, VenueFactories>> = Object.freeze({
  'binance-spot': Object.freeze({ protocol: binanceSpotProtocol, simVenue: binanceSpotSimVenue }),
  'binance-usdm': Object.freeze({ protocol: binanceUsdmProtocol, simVenue: binanceUsdmSimVenue, extraProtocols: [binanceUsdmMarketProtocol] }),
  coinbase: Object.freeze({ protocol: coinbaseProtocol, simVenue: coinbaseSimVenue }),
  kraken: Object.freeze({ protocol: krakenProtocol, simVenue: krakenSimVenue }),
  okx: Object.freeze({ protocol: okxProtocol, simVenue: okxSimVenue }),
  'bybit-spot': Object.freeze({ protocol: bybitSpotProtocol, simVenue: bybitSpotSimVenue }),
  'bybit-linear': Object.freeze({ protocol: bybitLinearProtocol, simVenue: bybitLinearSimVenue }),
  'bybit-inverse': Object.freeze({ protocol: bybitInverseProtocol, simVenue: bybitInverseSimVenue }),
  'bybit-option': Object.freeze({ protocol: bybitOptionProtocol, simVenue: bybitOptionSimVenue }),
  deribit: Object.freeze({ protocol: deribitProtocol, simVenue: deribitSimVenue }),
});

/** The adapter of a feed, or undefined for a string that is not a FeedId (e.g. from config). */
export function venueFactories(feed: FeedId): VenueFactories | undefined {
  return Object.hasOwn(VENUE_TABLE, feed) ? VENUE_TABLE[feed] : undefined;
}

/** Every feed with an adapter, in table order. */
export function adaptedFeeds(): FeedId[] {
  return Object.keys(VENUE_TABLE) as FeedId[];
}

/** feed -> simulator venue, for SimServer (`keel sim`, `keel start`). A fresh Map per call. */
export function simVenueFactories(): Map<FeedId, SimVenueFactory> {
  return new Map(adaptedFeeds().map((feed) => [feed, VENUE_TABLE[feed].simVenue]));
}

/** feed -> client protocol, for the feeds stage. A fresh Map per call. */
export function protocolFactories(): Map<FeedId, VenueProtocolFactory> {
  return new Map(adaptedFeeds().map((feed) => [feed, VENUE_TABLE[feed].protocol]));
}
