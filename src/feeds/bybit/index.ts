/**
 * Bybit v5 public feeds: one connection per category (`bybit-spot`, `bybit-linear`,
 * `bybit-inverse`, and `bybit-option`, which the reference universe does not use).
 * Semantics and sync rules: docs/feeds/bybit.md.
 */
import type { SimVenueFactory } from '../sim/types.js';
import type { VenueProtocolFactory } from '../types.js';
import { BybitProtocol } from './protocol.js';
import { BybitSimVenue } from './sim.js';

export const bybitSpotProtocol: VenueProtocolFactory = (options) => new BybitProtocol('spot', options);
export const bybitLinearProtocol: VenueProtocolFactory = (options) => new BybitProtocol('linear', options);
export const bybitInverseProtocol: VenueProtocolFactory = (options) => new BybitProtocol('inverse', options);
export const bybitOptionProtocol: VenueProtocolFactory = (options) => new BybitProtocol('option', options);

export const bybitSpotSimVenue: SimVenueFactory = (market) => new BybitSimVenue('spot', market);
export const bybitLinearSimVenue: SimVenueFactory = (market) => new BybitSimVenue('linear', market);
export const bybitInverseSimVenue: SimVenueFactory = (market) => new BybitSimVenue('inverse', market);
export const bybitOptionSimVenue: SimVenueFactory = (market) => new BybitSimVenue('option', market);

export { BybitProtocol, bybitPath, bybitBookDepth, bybitTopicsFor, BYBIT_KEEPALIVE_MS } from './protocol.js';
export { BybitParser, type BybitFrame, type BybitBookUpdate } from './parser.js';
export { BybitBookSync, type BybitSyncOutcome } from './book-sync.js';
export { BybitSimVenue } from './sim.js';
export { deriveBybitCanonicalId, type BybitCategory } from './symbols.js';
