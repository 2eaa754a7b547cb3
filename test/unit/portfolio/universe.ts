/**
 * A small synthetic universe for the portfolio tests: one instrument of each pricing shape, with
 * contract sizes taken from the real venues (config/instruments.yaml, DOMAIN.md §6.1, §6.4).
 */
import { type Fixed, format, fx } from '../../../src/portfolio/fixed.js';
import { type Instrument, type InstrumentSpec, InstrumentRegistry } from '../../../src/portfolio/instruments.js';
import { type AccountRef, Ledger } from '../../../src/portfolio/ledger.js';

const linear = { settlementType: 'linear', tickSize: '0.01', lotSize: '0.001' } as const;
const inverse = { settlementType: 'inverse', tickSize: '0.5', lotSize: '1' } as const;

export const SPECS: readonly InstrumentSpec[] = [
  { ...linear, venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'perpetual', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1' },
  { ...linear, venue: 'okx', venueSymbol: 'BTC-USDT-SWAP', kind: 'perpetual', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '0.01' },
  { ...inverse, venue: 'bybit', venueSymbol: 'BTCUSD', kind: 'perpetual', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '1' },
  { ...inverse, venue: 'deribit', venueSymbol: 'BTC-PERPETUAL', kind: 'perpetual', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '10' },
  { ...inverse, venue: 'deribit', venueSymbol: 'BTC-25DEC26', kind: 'future', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '10', expiry: '2026-12-25T08:00:00Z' },
  { ...linear, venue: 'binance', venueSymbol: 'BTCUSDT_261225', kind: 'future', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', expiry: '2026-12-25T08:00:00Z' },
  { ...linear, venue: 'binance', venueSymbol: 'BTCUSDT', kind: 'spot', base: 'BTC', quote: 'USDT', settle: 'USDT', underlying: 'BTC', contractSize: '1', lotSize: '0.00001' },
  { ...linear, venue: 'binance', venueSymbol: 'ETHBTC', kind: 'spot', base: 'ETH', quote: 'BTC', settle: 'BTC', underlying: 'ETH', contractSize: '1', tickSize: '0.00001', lotSize: '0.0001' },
  { venue: 'deribit', venueSymbol: 'BTC-25DEC26-10000-C', kind: 'option', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '1', tickSize: '0.0001', lotSize: '0.1', expiry: '2026-12-25T08:00:00Z', strike: '10000', optionType: 'call' },
  { venue: 'deribit', venueSymbol: 'BTC-25DEC26-10000-P', kind: 'option', settlementType: 'inverse', base: 'BTC', quote: 'USD', settle: 'BTC', underlying: 'BTC', contractSize: '1', tickSize: '0.0001', lotSize: '0.1', expiry: '2026-12-25T08:00:00Z', strike: '10000', optionType: 'put' },
  { venue: 'bybit', venueSymbol: 'BTC-25DEC26-60000-C-USDC', kind: 'option', settlementType: 'linear', base: 'BTC', quote: 'USDC', settle: 'USDC', underlying: 'BTC', contractSize: '1', tickSize: '5', lotSize: '0.01', expiry: '2026-12-25T08:00:00Z', strike: '60000', optionType: 'call' },
  { ...linear, venue: 'binance', venueSymbol: 'ETHUSDT', kind: 'spot', base: 'ETH', quote: 'USDT', settle: 'USDT', underlying: 'ETH', contractSize: '1', lotSize: '0.0001' },
  { ...inverse, venue: 'deribit', venueSymbol: 'ETH-PERPETUAL', kind: 'perpetual', base: 'ETH', quote: 'USD', settle: 'ETH', underlying: 'ETH', contractSize: '1', tickSize: '0.05' },
];

export const registry = InstrumentRegistry.of(SPECS);

function pick(id: string): Instrument {
  const ins = registry.byCanonical(id);
  if (ins === undefined) throw new Error(`test universe lacks ${id}`);
  return ins;
}

export const U = {
  linPerp: pick('binance:BTC/USDT:USDT'),
  okxPerp: pick('okx:BTC/USDT:USDT'),
  xbtusd: pick('bybit:BTC/USD:BTC'),
  deribitPerp: pick('deribit:BTC/USD:BTC'),
  deribitFuture: pick('deribit:BTC/USD:BTC-261225'),
  linFuture: pick('binance:BTC/USDT:USDT-261225'),
  spot: pick('binance:BTC/USDT'),
  ethBtc: pick('binance:ETH/BTC'),
  coinCall: pick('deribit:BTC/USD:BTC-261225-10000-C'),
  coinPut: pick('deribit:BTC/USD:BTC-261225-10000-P'),
  usdcCall: pick('bybit:BTC/USDC:USDC-261225-60000-C'),
  ethSpot: pick('binance:ETH/USDT'),
  ethPerp: pick('deribit:ETH/USD:ETH'),
};

export const ACCOUNTS: readonly AccountRef[] = [
  { id: 'bn-basis', strategy: 'basis', venue: 'binance' },
  { id: 'db-basis', strategy: 'basis', venue: 'deribit' },
  { id: 'db-vol', strategy: 'vol', venue: 'deribit' },
];

export function newLedger(): Ledger {
  return new Ledger(registry, ACCOUNTS);
}

let execSeq = 0;
/** A fill for `applyFill` with decimal strings for readability; execIds are unique per call. */
export function fill(
  account: number,
  instrument: Instrument,
  side: 'buy' | 'sell',
  qty: string,
  price: string,
  extra: { execId?: string; fee?: string; feeCurrency?: string } = {},
): Parameters<Ledger['applyFill']>[0] {
  execSeq += 1;
  return {
    account,
    instrument,
    side,
    qty: fx(qty),
    price: fx(price),
    execId: extra.execId ?? `x${execSeq}`,
    fee: extra.fee === undefined ? undefined : fx(extra.fee),
    feeCurrency: extra.feeCurrency,
  };
}

/** Applies a fill and fails the test on a ledger error. */
export function mustFill(ledger: Ledger, ...args: Parameters<typeof fill>): Extract<ReturnType<Ledger['applyFill']>, { ok: true }> {
  const r = ledger.applyFill(fill(...args));
  if (!r.ok) throw new Error(`fill refused: ${r.code} ${r.detail}`);
  return r;
}

/** Decimal text of a Fixed, for readable assertions. */
export function str(x: Fixed | undefined): string | undefined {
  return x === undefined ? undefined : format(x);
}
