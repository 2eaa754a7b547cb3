/**
 * OKX v5 public feed (`okx`: spot, USDT/USDC swaps, coin-margined swaps, dated futures).
 * Semantics and sync rules: docs/feeds/okx.md.
 */
import type { SimVenueFactory } from '../sim/types.js';
import type { VenueProtocolFactory } from '../types.js';
import { OkxProtocol } from './protocol.js';
import { OkxSimVenue } from './sim.js';

export const okxProtocol: VenueProtocolFactory = (options) => new OkxProtocol(options);
export const okxSimVenue: SimVenueFactory = (market) => new OkxSimVenue(market);

export { OkxProtocol, okxChannelsFor, OKX_PUBLIC_PATH, OKX_KEEPALIVE_MS } from './protocol.js';
export { OkxParser, type OkxFrame, type OkxBookUpdate } from './parser.js';
export { OkxBookSync, type OkxSyncOutcome } from './book-sync.js';
export { OkxSimVenue } from './sim.js';
export { okxChecksum, okxBookChecksum, okxChecksumString, crc32Signed } from './checksum.js';
export { deriveOkxCanonicalId } from './symbols.js';
