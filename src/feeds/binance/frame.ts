/**
 * One decoded Binance payload: what both decoders (the raw-text scanner in scan.ts and the
 * JSON decoder in json.ts) produce, and the only thing the mapper (parser.ts) reads. Both
 * decoders fill the same record with the same rules, so their outputs can be compared field by
 * field; the record is reused from message to message (no allocation per frame beyond the values).
 *
 * Field rules shared by both decoders:
 *   - prices and sizes: decimal strings in canonical plain form (decimal.ts `normalizeDecimal`:
 *     exponent expanded, trailing zeros kept as sent), never negative;
 *   - ids: the venue's integer token verbatim (`"t":40756030` -> "40756030");
 *   - update ids and times: safe integers; times in ms, a value >= 1e14 is read as microseconds
 *     (Binance `timeUnit=MICROSECOND`) and becomes fractional ms.
 */
import type { Level } from '../../risk/events.js';
import type { ResolvedSymbol } from './symbols.js';

export type FrameKind =
  /** `trade` or `aggTrade`. */
  | 'trade'
  /** A USD-M trade with `X` INSURANCE_FUND, ADL or NA: not a market trade, no event. */
  | 'offBookTrade'
  | 'bookTicker'
  /** `depthUpdate` from a diff stream (`@depth`, `@depth@100ms`). */
  | 'depth'
  /** Top-N snapshot from a partial stream (`@depth5/10/20`), spot or USD-M shape. */
  | 'partialDepth'
  | 'mark'
  /** Liquidation snapshot: validated, not mapped (docs/feeds/binance.md). */
  | 'forceOrder'
  | 'serverShutdown'
  /** `{"result":...,"id":...}`: answer to SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / *_PROPERTY. */
  | 'response'
  /** A client request (`{"method":"SUBSCRIBE",...}`), as found in recordings of both directions. */
  | 'request'
  /** `{"code":n,"msg":...}` or `{"error":{"code":n,"msg":...},"id":...}`. */
  | 'venueError';

const NO_LEVELS: Level[] = [];

/** Integer times at or above this are microseconds (1e14 ms is the year 5138). */
const MICROSECOND_THRESHOLD = 1e14;

/** A venue time as ms: Binance sends ms, or µs when the connection asked for `timeUnit=MICROSECOND`. */
export function venueTimeMs(value: number): number {
  return value >= MICROSECOND_THRESHOLD ? value / 1000 : value;
}

export class DecodedFrame {
  kind: FrameKind = 'trade';
  symbol: ResolvedSymbol | undefined = undefined;

  /** Event time `E` in ms; 0 when absent (spot bookTicker, partial depth). */
  eventTime = 0;
  /** Matching-engine time of the fact (`T`: trade time, transaction time) in ms; 0 when absent. */
  engineTime = 0;

  /* trade */
  tradeId = '';
  price = '';
  size = '';
  /** `m`: the buyer was the maker, so the taker sold. */
  buyerIsMaker = false;

  /* bookTicker: "" when the side is empty */
  bid = '';
  bidSize = '';
  ask = '';
  askSize = '';

  /* depth, partialDepth, bookTicker */
  /** `U` (depth) */
  firstUpdateId = 0;
  /** `u` (depth, bookTicker), `lastUpdateId` (partial depth) */
  finalUpdateId = 0;
  /** `pu` (USD-M depth); -1 when absent (spot). */
  prevFinalUpdateId = -1;
  bids: Level[] = NO_LEVELS;
  asks: Level[] = NO_LEVELS;

  /* mark */
  markPrice = '';
  indexPrice: string | undefined = undefined;
  fundingRate: string | undefined = undefined;
  /** `T` of markPriceUpdate in ms; 0 when the contract has no funding (delivery futures). */
  nextFundingTime = 0;

  /* response / venueError */
  /** Request id as sent back (`1`, `"abc"`, `null` -> ""). */
  requestId = '';
  errorCode = '';
  errorMessage = '';
}
