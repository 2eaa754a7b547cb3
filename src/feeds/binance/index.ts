/**
 * Binance adapters: spot (`binance-spot`) and USD-M futures (`binance-usdm`).
 *
 * USD-M needs two connections since Binance routes futures streams by path (protocol.ts): the
 * `/public` one (`binanceUsdmProtocol`: diff depth -> books and quotes) and the `/market` one
 * (`binanceUsdmMarketProtocol`: aggregate trades and mark prices). Both parse every Binance frame.
 */
import type { VenueProtocolFactory } from '../types.js';
import type { SimVenueFactory } from '../sim/types.js';
import { BinanceProtocol } from './protocol.js';
import { BinanceSimVenue } from './sim.js';

export const binanceSpotProtocol: VenueProtocolFactory = (options) =>
  new BinanceProtocol({ registry: options.registry, bookDepth: options.bookDepth, route: 'spot' });

export const binanceUsdmProtocol: VenueProtocolFactory = (options) =>
  new BinanceProtocol({ registry: options.registry, bookDepth: options.bookDepth, route: 'usdm-public' });

export const binanceUsdmMarketProtocol: VenueProtocolFactory = (options) =>
  new BinanceProtocol({ registry: options.registry, bookDepth: options.bookDepth, route: 'usdm-market' });

export const binanceSpotSimVenue: SimVenueFactory = (market) => new BinanceSimVenue('binance-spot', market);

export const binanceUsdmSimVenue: SimVenueFactory = (market) => new BinanceSimVenue('binance-usdm', market);

export { BinanceProtocol } from './protocol.js';
export type { BinanceRoute } from './protocol.js';
