/**
 * Binance symbols -> Keel canonical ids.
 *
 * Instruments in the registry resolve through `registry.byVenueSymbol(feed, symbol)`. Any other
 * symbol is derived from its shape, so `keel parse` works on every symbol Binance sends:
 *   spot      BASEQUOTE           binance:BASE/QUOTE              (NKNUSDT -> binance:NKN/USDT)
 *   USD-M     BASEQUOTE           binance:BASE/QUOTE:QUOTE        (perpetual, settled in the quote)
 *   USD-M     BASEQUOTE_YYMMDD    binance:BASE/QUOTE:QUOTE-YYMMDD (quarterly delivery future)
 * Binance symbols carry no separator, so QUOTE is the longest suffix found in a list of the quote
 * assets Binance lists markets in (below); BASE is what remains and must be non-empty. A symbol
 * with no known quote suffix has no derivable id (`unknown_symbol`).
 */
import type { FeedId, Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';

export type BinanceFeed = Extract<FeedId, 'binance-spot' | 'binance-usdm'>;

export interface ResolvedSymbol {
  /** The venue symbol, uppercase (`BTCUSDT`). */
  readonly symbol: string;
  /** Canonical id (`binance:BTC/USDT`). */
  readonly id: string;
  /** The registry instrument, when the universe has it (depth sync needs one). */
  readonly instrument: Instrument | undefined;
  /** Usual combined-stream names of the symbol, to check an envelope without scanning it. */
  readonly streams: {
    readonly trade: string;
    readonly aggTrade: string;
    readonly depth: string;
    readonly bookTicker: string;
    readonly markPrice: string;
  };
}

/**
 * Quote assets of Binance spot markets, as listed by `GET /api/v3/exchangeInfo` (stablecoins,
 * the big coins used as quotes, and fiat). Matched longest first, so FDUSD wins over USD-suffixed
 * shorter entries and USDT over nothing.
 */
const SPOT_QUOTES: readonly string[] = [
  'FDUSD', 'USDT', 'USDC', 'TUSD', 'BUSD', 'USDP', 'USD1', 'AEUR', 'EURI', 'IDRT', 'BIDR', 'BVND',
  'DAI', 'PAX', 'VAI', 'UST',
  'BTC', 'ETH', 'BNB', 'XRP', 'TRX', 'DOGE', 'DOT', 'SOL',
  'EUR', 'GBP', 'TRY', 'BRL', 'AUD', 'ARS', 'JPY', 'MXN', 'PLN', 'RON', 'UAH', 'ZAR', 'NGN', 'RUB',
  'COP', 'CZK', 'IDR',
];

/**
 * USD-M futures are margined and settled in their quote asset: USDⓈ, and BTC for the
 * BTC-margined perpetuals listed under USDⓈ-M (ETHBTC, BNBBTC, BCHBTC: linear, quoted and
 * settled in BTC).
 */
const USDM_QUOTES: readonly string[] = ['USDT', 'USDC', 'BUSD', 'BTC'];

/** Caps the memo so a stream of made-up symbols cannot grow it without bound. */
const MEMO_LIMIT = 4096;
const MAX_SYMBOL_LENGTH = 32;

function byLengthDesc(list: readonly string[]): readonly string[] {
  return [...list].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}

const SPOT_QUOTES_LONGEST_FIRST = byLengthDesc(SPOT_QUOTES);
const USDM_QUOTES_LONGEST_FIRST = byLengthDesc(USDM_QUOTES);

function isUpperAlnum(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

function splitPair(pair: string, quotes: readonly string[]): [base: string, quote: string] | undefined {
  for (const quote of quotes) {
    if (pair.length > quote.length && pair.endsWith(quote)) return [pair.slice(0, pair.length - quote.length), quote];
  }
  return undefined;
}

/** The canonical id a Binance symbol has by the rule in the module comment, or undefined. */
export function deriveBinanceCanonicalId(feed: BinanceFeed, symbol: string): string | undefined {
  if (symbol.length === 0 || symbol.length > MAX_SYMBOL_LENGTH) return undefined;
  if (feed === 'binance-spot') {
    if (!isUpperAlnum(symbol, 0, symbol.length)) return undefined;
    const parts = splitPair(symbol, SPOT_QUOTES_LONGEST_FIRST);
    return parts === undefined ? undefined : `binance:${parts[0]}/${parts[1]}`;
  }
  const underscore = symbol.indexOf('_');
  const pairEnd = underscore < 0 ? symbol.length : underscore;
  if (!isUpperAlnum(symbol, 0, pairEnd)) return undefined;
  const parts = splitPair(symbol.slice(0, pairEnd), USDM_QUOTES_LONGEST_FIRST);
  if (parts === undefined) return undefined;
  const [base, quote] = parts;
  if (underscore < 0) return `binance:${base}/${quote}:${quote}`;
  const expiry = symbol.slice(underscore + 1);
  if (expiry.length !== 6 || !isDigits(expiry)) return undefined;
  return `binance:${base}/${quote}:${quote}-${expiry}`;
}

function isDigits(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return text.length > 0;
}

/** Per-connection symbol memo (the registry lookup builds a key string per call otherwise). */
export class BinanceSymbols {
  private readonly memo = new Map<string, ResolvedSymbol>();

  constructor(
    private readonly feed: BinanceFeed,
    private readonly registry: InstrumentRegistry,
  ) {}

  /** Resolves a symbol (uppercase, as in payloads), or undefined when it has no canonical id. */
  resolve(symbol: string): ResolvedSymbol | undefined {
    const hit = this.memo.get(symbol);
    if (hit !== undefined) return hit;
    const instrument = this.registry.byVenueSymbol(this.feed, symbol);
    const id = instrument?.id ?? deriveBinanceCanonicalId(this.feed, symbol);
    if (id === undefined) return undefined;
    const lower = symbol.toLowerCase();
    const resolved: ResolvedSymbol = {
      symbol,
      id,
      instrument,
      streams: {
        trade: `${lower}@trade`,
        aggTrade: `${lower}@aggTrade`,
        depth: `${lower}@depth@100ms`,
        bookTicker: `${lower}@bookTicker`,
        markPrice: `${lower}@markPrice@1s`,
      },
    };
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(symbol, resolved);
    return resolved;
  }

  /** Resolves the symbol spelled in `raw` between `start` and `end` (exclusive). */
  resolveSpan(raw: string, start: number, end: number): ResolvedSymbol | undefined {
    return this.resolve(raw.slice(start, end));
  }
}
