/** Coinbase adapter (Exchange feed; Advanced Trade parsing and sync): protocol factory and simulator venue. */
import type { VenueProtocolFactory } from '../types.js';
import { createCoinbaseProtocol } from './protocol.js';

export const coinbaseProtocol: VenueProtocolFactory = (options) => createCoinbaseProtocol(options);

export { createCoinbaseProtocol } from './protocol.js';
export type { CoinbaseApi, CoinbaseProtocolOptions } from './protocol.js';
export { parseCoinbaseFrame } from './parser.js';
export type { CoinbaseFrame, CoinbaseBookMessage, BookChange } from './parser.js';
export { CoinbaseProducts, deriveCoinbaseCanonicalId } from './symbols.js';
export { coinbaseSimVenue } from './sim.js';
