/**
 * Deribit JSON-RPC feed (`deribit`: inverse and linear perpetuals, dated futures, BTC/ETH options).
 * Semantics, sync rules and what the simulator reproduces: docs/feeds/deribit.md.
 */
import type { SimVenueFactory } from '../sim/types.js';
import type { VenueProtocolFactory } from '../types.js';
import { DeribitProtocol } from './protocol.js';
import { DeribitSimVenue } from './sim.js';

export const deribitProtocol: VenueProtocolFactory = (options) => new DeribitProtocol(options);
export const deribitSimVenue: SimVenueFactory = (market) => new DeribitSimVenue(market);

export {
  DeribitProtocol,
  DERIBIT_HEARTBEAT_INTERVAL_S,
  DERIBIT_INTERVAL,
  DERIBIT_MAX_CHANNELS_PER_CALL,
  bookChannel,
  channelsFor,
  tickerChannel,
  tradesChannel,
} from './protocol.js';
export { DeribitSimVenue, deribitNumberText, type DeribitSimOptions } from './sim.js';
export { deriveDeribitSymbol, type DerivedSymbol } from './symbols.js';
export { percentToFraction, readBook, readTicker, readTrades, type BookUpdate, type TickerValues, type TradeValues } from './mapping.js';
