/**
 * Coinbase product ids -> Keel canonical ids.
 *
 * Registry instruments resolve through `registry.byVenueSymbol('coinbase', productId)`. Other
 * product ids are derived from their shape:
 *   BASE-QUOTE          spot (Exchange and Advanced Trade)     coinbase:BASE/QUOTE
 *   BASE-PERP-INTX      Coinbase International perpetual,      coinbase:BASE/USDC:USDC
 *                       USDC-quoted and settled (Advanced Trade)
 * Anything else (e.g. dated US futures such as `BIT-30AUG24-CDE`) has no derivable unified symbol
 * and is refused as `unknown_symbol` unless the registry maps it.
 */
import type { Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';

export interface CoinbaseProduct {
  readonly productId: string;
  /** Canonical id (`coinbase:BTC/USD`). */
  readonly id: string;
  readonly instrument: Instrument | undefined;
}

/** Caps the memo so a stream of made-up ids cannot grow it without bound. */
const MEMO_LIMIT = 4096;
const SPOT = /^([A-Z0-9]{1,20})-([A-Z0-9]{1,20})$/;
const INTX_PERP = /^([A-Z0-9]{1,20})-PERP-INTX$/;

export function deriveCoinbaseCanonicalId(productId: string): string | undefined {
  const perp = INTX_PERP.exec(productId);
  if (perp !== null) return `coinbase:${perp[1]}/USDC:USDC`;
  const spot = SPOT.exec(productId);
  if (spot !== null) return `coinbase:${spot[1]}/${spot[2]}`;
  return undefined;
}

/** Per-connection product table. */
export class CoinbaseProducts {
  private readonly memo = new Map<string, CoinbaseProduct>();

  constructor(private readonly registry: InstrumentRegistry) {}

  resolve(productId: string): CoinbaseProduct | undefined {
    const hit = this.memo.get(productId);
    if (hit !== undefined) return hit;
    const instrument = this.registry.byVenueSymbol('coinbase', productId);
    const id = instrument?.id ?? deriveCoinbaseCanonicalId(productId);
    if (id === undefined) return undefined;
    const product: CoinbaseProduct = { productId, id, instrument };
    if (instrument !== undefined || this.memo.size < MEMO_LIMIT) this.memo.set(productId, product);
    return product;
  }
}
