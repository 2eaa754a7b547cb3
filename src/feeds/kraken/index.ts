/** Kraken WebSocket v2 adapter: protocol factory and simulator venue. */
import type { VenueProtocolFactory } from '../types.js';
import { createKrakenProtocol } from './protocol.js';

export const krakenProtocol: VenueProtocolFactory = (options) => createKrakenProtocol(options);

export { createKrakenProtocol, krakenSubscribedDepth, KRAKEN_BOOK_DEPTHS } from './protocol.js';
export type { KrakenChannel, KrakenProtocolOptions } from './protocol.js';
export { parseKrakenFrame } from './parser.js';
export type { KrakenBookMessage, KrakenFrame } from './parser.js';
export { KrakenSymbols, deriveKrakenCanonicalId, precisionOfInstrument } from './symbols.js';
export type { KrakenPrecision } from './symbols.js';
export { krakenChecksum, krakenChecksumOfLevels } from './checksum.js';
export { krakenSimVenue, krakenNumber } from './sim.js';
