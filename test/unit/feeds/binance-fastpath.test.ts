/**
 * The raw-text scanner against the JSON.parse path: on generated Binance frames (all payload
 * kinds, key orders, whitespace, optional and unknown keys, odd numbers and decimals) and on
 * mutations of them and of the fixtures, a protocol with the fast path and one without must do
 * exactly the same (events, dead letters, snapshot requests, reconnects). Plus: nothing throws,
 * and arbitrary text is dead-lettered.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodedFrame } from '../../../src/feeds/binance/frame.js';
import { decimalSpan, FastDecoder, nonNegativeDecimal } from '../../../src/feeds/binance/scan.js';
import { BinanceSymbols } from '../../../src/feeds/binance/symbols.js';
import type { BinanceRoute } from '../../../src/feeds/binance/protocol.js';
import { FIXTURES, fixture, instrument, protocol, Recorder, registry } from './binance-helpers.js';

const RECV = 1_700_000_000_000;

/** Both protocols synced on BTCUSDT (spot and USD-M), so depth frames reach the book. */
function pair(route: BinanceRoute): { fast: ReturnType<typeof protocol>; slow: ReturnType<typeof protocol>; fastRec: Recorder; slowRec: Recorder } {
  const fast = protocol(route, true);
  const slow = protocol(route, false);
  const fastRec = new Recorder();
  const slowRec = new Recorder();
  const spot = route === 'spot';
  const feed = spot ? 'binance-spot' : 'binance-usdm';
  const warm = spot
    ? '{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":101,"u":101,"b":[],"a":[]}'
    : '{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":95,"u":101,"pu":90,"b":[],"a":[]}';
  const snap = '{"lastUpdateId":100,"bids":[["100.0","1"],["99.5","2"]],"asks":[["100.5","1"],["101","3"]]}';
  for (const [p, rec] of [
    [fast, fastRec],
    [slow, slowRec],
  ] as const) {
    p.onMessage(warm, RECV, rec);
    p.onSnapshot(instrument(feed, 'BTCUSDT'), snap, RECV, rec);
    rec.clear();
  }
  return { fast, slow, fastRec, slowRec };
}

function both(route: BinanceRoute, frames: readonly string[]): { fast: Recorder; slow: Recorder } {
  const { fast, slow, fastRec, slowRec } = pair(route);
  for (const raw of frames) {
    fast.onMessage(raw, RECV, fastRec);
    slow.onMessage(raw, RECV, slowRec);
  }
  return { fast: fastRec, slow: slowRec };
}

/* Generators ------------------------------------------------------------------------------------ */

/** Half of the frames use only well-formed values, so the scanner has real work; half use anything. */
interface Tokens {
  ws: fc.Arbitrary<string>;
  symbol: fc.Arbitrary<string>;
  decimal: fc.Arbitrary<string>;
  int: fc.Arbitrary<string>;
  bool: fc.Arbitrary<string>;
  levels: fc.Arbitrary<string>;
}

const cleanDecimal = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat({ max: 99999 }), fc.nat({ max: 99999999 }), fc.nat({ max: 8 })).map(([i, f, z]) => `"${i}.${String(f)}${'0'.repeat(z)}"`) },
  { weight: 1, arbitrary: fc.nat({ max: 1_000_000 }).map((n) => `"${n}"`) },
);
const oddDecimal = fc.constantFrom(
  '"0"',
  '"0.00000000"',
  '"007.50"',
  '".5"',
  '"5."',
  '"-1.5"',
  '"+2"',
  '"1e-5"',
  '"1.5E+3"',
  '""',
  '"abc"',
  '" 1"',
  '"1 "',
  '"0x10"',
  '"1\\u002e5"',
  '1.5',
  '100',
  '1e-4',
  'null',
  'true',
  `"${'9'.repeat(70)}"`,
  `"1.${'0'.repeat(70)}"`,
);
const cleanInt = fc.oneof(fc.maxSafeNat().map(String), fc.integer({ min: 1_500_000_000_000, max: 1_800_000_000_000 }).map(String));
const oddInt = fc.oneof(
  fc.integer({ min: 1_500_000_000_000_000, max: 1_800_000_000_000_000 }).map(String),
  fc.constantFrom('0', '-1', '-0', '1.0', '1e3', '1E3', '0123', '9007199254740991', '9007199254740992', '12345678901234567890', '"42"', 'null', 'true', '1.5'),
);
const cleanLevels = fc.array(fc.tuple(cleanDecimal, cleanDecimal), { maxLength: 4 }).map((ls) => `[${ls.map(([p, q]) => `[${p},${q}]`).join(',')}]`);

const CLEAN: Tokens = {
  ws: fc.constant(''),
  symbol: fc.constantFrom('"BTCUSDT"', '"ETHUSDT"', '"NKNUSDT"', '"BNBBTC"', '"AKROUSDT"', '"BTCUSDT_261225"'),
  decimal: cleanDecimal,
  int: cleanInt,
  bool: fc.constantFrom('true', 'false'),
  levels: cleanLevels,
};

const ANY: Tokens = {
  ws: fc.constantFrom('', '', ' ', '\n', '\t', '  ', '\r\n'),
  symbol: fc.constantFrom('"BTCUSDT"', '"ETHUSDT"', '"FOOBAR"', '"btcusdt"', '""', '"BTC\u0001USDT"', '"BTC\\u0055SDT"', '"BTCUSDT_2612"', '1'),
  decimal: fc.oneof({ weight: 2, arbitrary: cleanDecimal }, { weight: 3, arbitrary: oddDecimal }),
  int: fc.oneof(cleanInt, oddInt),
  bool: fc.constantFrom('true', 'false', '"true"', '1', 'null'),
  levels: fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.tuple(fc.oneof(cleanDecimal, oddDecimal), fc.oneof(cleanDecimal, oddDecimal)), { maxLength: 4 }).map((ls) => `[${ls.map(([p, q]) => `[${p},${q}]`).join(',')}]`) },
    { weight: 1, arbitrary: fc.constantFrom('[]', '[["1","2","3"]]', '[["1"]]', '[[1,2]]', '{}', '"x"', '[[]]', '[ [ "1" , "2" ] ]') },
  ),
};

type Field = [key: string, token: (t: Tokens) => fc.Arbitrary<string>, required: boolean];

const PAYLOADS: Record<string, Field[]> = {
  trade: [
    ['e', () => fc.constant('"trade"'), true],
    ['E', (t) => t.int, false],
    ['s', (t) => t.symbol, true],
    ['t', (t) => t.int, true],
    ['p', (t) => t.decimal, true],
    ['q', (t) => t.decimal, true],
    ['b', (t) => t.int, false],
    ['a', (t) => t.int, false],
    ['T', (t) => t.int, false],
    ['m', (t) => t.bool, true],
    ['M', (t) => t.bool, false],
    ['X', () => fc.constantFrom('"MARKET"', '"NA"', '"ADL"', '"INSURANCE_FUND"'), false],
  ],
  aggTrade: [
    ['e', () => fc.constant('"aggTrade"'), true],
    ['E', (t) => t.int, false],
    ['s', (t) => t.symbol, true],
    ['a', (t) => t.int, true],
    ['p', (t) => t.decimal, true],
    ['q', (t) => t.decimal, true],
    ['nq', (t) => t.decimal, false],
    ['f', (t) => t.int, false],
    ['l', (t) => t.int, false],
    ['T', (t) => t.int, false],
    ['m', (t) => t.bool, true],
    ['M', (t) => t.bool, false],
  ],
  bookTicker: [
    ['e', () => fc.constant('"bookTicker"'), false],
    ['u', (t) => t.int, true],
    ['s', (t) => t.symbol, true],
    ['b', (t) => t.decimal, true],
    ['B', (t) => t.decimal, true],
    ['a', (t) => t.decimal, true],
    ['A', (t) => t.decimal, true],
    ['T', (t) => t.int, false],
    ['E', (t) => t.int, false],
  ],
  depthUpdate: [
    ['e', () => fc.constant('"depthUpdate"'), true],
    ['E', (t) => t.int, false],
    ['T', (t) => t.int, false],
    ['s', () => fc.constantFrom('"BTCUSDT"', '"BTCUSDT"', '"BTCUSDT"', '"ETHUSDT"', '"NKNUSDT"'), true],
    ['U', () => fc.constantFrom('100', '101', '102', '104', '95', '0', '1e2'), true],
    ['u', () => fc.constantFrom('101', '102', '103', '105', '99', '1.5'), true],
    ['pu', () => fc.constantFrom('101', '100', '90', '-1'), false],
    ['b', (t) => t.levels, true],
    ['a', (t) => t.levels, true],
  ],
  markPriceUpdate: [
    ['e', () => fc.constant('"markPriceUpdate"'), true],
    ['E', (t) => t.int, false],
    ['s', (t) => t.symbol, true],
    ['p', (t) => t.decimal, true],
    ['i', (t) => fc.oneof(t.decimal, fc.constant('""')), false],
    ['P', (t) => fc.oneof(t.decimal, fc.constant('""')), false],
    ['r', (t) => fc.oneof(t.decimal, fc.constantFrom('"-0.0001"', '"0.00010000"', '""')), false],
    ['T', (t) => fc.oneof(t.int, fc.constant('0')), false],
  ],
};

const STREAM_SUFFIX: Record<string, readonly string[]> = {
  trade: ['@trade', '@aggTrade'],
  aggTrade: ['@aggTrade'],
  bookTicker: ['@bookTicker'],
  depthUpdate: ['@depth@100ms', '@depth', '@depth5@100ms', '@depth20'],
  markPriceUpdate: ['@markPrice@1s', '@markPrice'],
};

/** A payload object as text: a random subset of optional keys, in random order, maybe with extras. */
function payloadText(kind: string, tokens: Tokens, clean: boolean): fc.Arbitrary<string> {
  const fields = PAYLOADS[kind]!;
  return fc
    .tuple(
      fc.tuple(...fields.map(([, token, required]) => (required ? token(tokens).map((t) => t as string | null) : fc.option(token(tokens), { freq: 3 })))),
      fc.array(fc.nat(), { minLength: fields.length, maxLength: fields.length }),
      fc.boolean(),
      clean ? fc.constant(null) : fc.option(fc.constantFrom('"x":1', '"st":1', '"ZZ":"y"', '"e":"trade"', '"o":{}'), { freq: 4 }),
      fc.array(tokens.ws, { minLength: 8, maxLength: 8 }),
    )
    .map(([values, order, shuffle, extra, spaces]) => {
      const parts: string[] = [];
      fields.forEach(([key], k) => {
        const token = values[k];
        if (token !== null && token !== undefined) parts.push(`"${key}":${spaces[k % 8]}${token}`);
      });
      if (shuffle) {
        const keyed = parts.map((p, k) => [order[k]!, p] as const).sort((x, y) => x[0] - y[0]);
        parts.splice(0, parts.length, ...keyed.map((x) => x[1]));
      }
      if (extra !== null) parts.splice(order[0]! % (parts.length + 1), 0, extra);
      return `{${spaces[1]}${parts.join(`,${spaces[2]}`)}${spaces[3]}}`;
    });
}

const frames = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom('trade', 'aggTrade', 'bookTicker', 'depthUpdate', 'markPriceUpdate'),
    fc.boolean(),
    fc.nat(),
    fc.constantFrom('btcusdt', 'ethusdt', 'BTCUSDT', 'btc\u0002usdt', 'btc\\u0075sdt'),
  )
  .chain(([clean, kind, wrapped, pick, streamSymbol]) => {
    const tokens = clean ? CLEAN : ANY;
    return fc.tuple(payloadText(kind, tokens, clean), tokens.ws).map(([payload, space]) => {
      if (!wrapped) return payload;
      const suffixes = STREAM_SUFFIX[kind]!;
      const stream = (clean ? 'btcusdt' : streamSymbol) + suffixes[pick % suffixes.length]!;
      return `{${space}"stream":${space}"${stream}",${space}"data":${payload}${space}}`;
    });
  });

/**
 * Frames in the exact layout Binance sends spot trades in (the scanner's dedicated lane), with
 * clean or odd values, raw or enveloped.
 */
const laneTrades = fc
  .tuple(
    fc.boolean(),
    fc.boolean(),
    fc.constantFrom('btcusdt@trade', 'ethusdt@trade', 'btcusdt@aggTrade', 'x@trade', 'btc\u0001usdt@trade'),
  )
  .chain(([clean, wrapped, stream]) => {
    const t = clean ? CLEAN : ANY;
    return fc.tuple(t.int, t.symbol, t.int, t.decimal, t.decimal, t.int, t.bool, t.bool).map(([e, sym, id, p, q, tt, m, mm]) => {
      const payload = `{"e":"trade","E":${e},"s":${sym},"t":${id},"p":${p},"q":${q},"T":${tt},"m":${m},"M":${mm}}`;
      return wrapped ? `{"stream":"${clean ? 'btcusdt@trade' : stream}","data":${payload}}` : payload;
    });
  });

/** 1 to 3 random edits: delete, insert or replace a character. */
function mutate(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), fc.constantFrom(...'"{}[],:0123456789.-+eE\\ \n\tatrufl\u0000\u001fé'.split('')));
  return fc.tuple(text, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([t, edits]) => {
    let out = t;
    for (const [at, op, ch] of edits) {
      const k = out.length === 0 ? 0 : at % out.length;
      if (op === 'delete') out = out.slice(0, k) + out.slice(k + 1);
      else if (op === 'insert') out = out.slice(0, k) + ch + out.slice(k);
      else out = out.slice(0, k) + ch + out.slice(k + 1);
    }
    return out;
  });
}

/* Properties ------------------------------------------------------------------------------------ */

describe('binance fast path = JSON.parse path', () => {
  it('on generated frames (spot and USD-M), with the scanner taking a large share of them', () => {
    let accepted = 0;
    let runs = 0;
    const decoder = new FastDecoder(new BinanceSymbols('binance-spot', registry));
    const scratch = new DecodedFrame();
    fc.assert(
      fc.property(frames, fc.constantFrom<BinanceRoute>('spot', 'usdm-public'), (raw, route) => {
        runs++;
        if (decoder.decode(raw, scratch)) accepted++;
        const { fast, slow } = both(route, [raw]);
        expect(fast.transcript()).toEqual(slow.transcript());
      }),
      { seed: 20261126, numRuns: 2500 },
    );
    // The generator is built so that both paths get real work: the scanner must not decline everything.
    expect(accepted / runs).toBeGreaterThan(0.25);
    expect(accepted).toBeLessThan(runs); // and declines the rest
  });

  it('on frames in the spot trade layout (the dedicated lane), clean and odd', () => {
    let accepted = 0;
    let runs = 0;
    const decoder = new FastDecoder(new BinanceSymbols('binance-spot', registry));
    const scratch = new DecodedFrame();
    fc.assert(
      fc.property(fc.oneof(laneTrades, mutate(laneTrades)), (raw) => {
        runs++;
        if (decoder.decode(raw, scratch)) accepted++;
        const { fast, slow } = both('spot', [raw]);
        expect(fast.transcript()).toEqual(slow.transcript());
      }),
      { seed: 314, numRuns: 3000 },
    );
    expect(accepted / runs).toBeGreaterThan(0.2);
  });

  it('on mutated generated frames', () => {
    fc.assert(
      fc.property(mutate(frames), fc.constantFrom<BinanceRoute>('spot', 'usdm-market'), (raw, route) => {
        const { fast, slow } = both(route, [raw]);
        expect(fast.transcript()).toEqual(slow.transcript());
      }),
      { seed: 7, numRuns: 2500 },
    );
  });

  it('on mutated fixtures', () => {
    const all = ['binance-spot', 'binance-usdm'].flatMap((feed) =>
      readdirSync(`${FIXTURES}/${feed}`)
        .filter((f) => !f.startsWith('depth-rest'))
        .map((f) => fixture(feed as 'binance-spot' | 'binance-usdm', f)),
    );
    const compact = all.map((t) => JSON.stringify(JSON.parse(t)));
    fc.assert(
      fc.property(mutate(fc.constantFrom(...all, ...compact)), (raw) => {
        const { fast, slow } = both('spot', [raw]);
        expect(fast.transcript()).toEqual(slow.transcript());
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('on sequences (book state carried from frame to frame)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(frames, mutate(frames)), { minLength: 2, maxLength: 12 }), (raws) => {
        const { fast, slow } = both('usdm-public', raws);
        expect(fast.transcript()).toEqual(slow.transcript());
      }),
      { seed: 99, numRuns: 400 },
    );
  });
});

describe('binance parser robustness', () => {
  it('arbitrary text never throws and is dead-lettered', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), (raw) => {
        for (const route of ['spot', 'usdm-market'] as const) {
          const rec = new Recorder();
          expect(() => protocol(route).onMessage(raw, RECV, rec)).not.toThrow();
          expect(rec.events).toEqual([]);
          // fc.json() can produce `{"result":...}` (a control frame): then nothing at all happens.
          const control = /^\s*\{/.test(raw) && /"(result|method)"/.test(raw);
          if (!control) expect(rec.letters.length).toBeGreaterThan(0);
        }
      }),
      { seed: 1234, numRuns: 1500 },
    );
  });

  it('every mutated fixture either parses or is dead-lettered, and never throws', () => {
    const all = ['binance-spot', 'binance-usdm'].flatMap((feed) =>
      readdirSync(`${FIXTURES}/${feed}`).map((f) => fixture(feed as 'binance-spot' | 'binance-usdm', f)),
    );
    fc.assert(
      fc.property(mutate(fc.constantFrom(...all)), (raw) => {
        const rec = new Recorder();
        const p = protocol('spot');
        expect(() => p.onMessage(raw, RECV, rec)).not.toThrow();
        expect(() => p.onSnapshot(instrument('binance-spot', 'BTCUSDT'), raw, RECV, rec)).not.toThrow();
      }),
      { seed: 5, numRuns: 1000 },
    );
  });
});

describe('binance decimal span check', () => {
  it('equals normalizeDecimal on the slice for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789.-+eE x'.split('')) }), fc.string()), (text) => {
        const padded = `"${text}"`;
        expect(decimalSpan(padded, 1, padded.length - 1)).toBe(nonNegativeDecimal(text));
      }),
      { seed: 77, numRuns: 5000 },
    );
  });
});
