/**
 * `keel parse` (runParse): fixture files of every venue with an adapter go through as NDJSON; output
 * lines are versioned envelopes with deterministic timestamps; bad lines give one numbered error
 * line each; Binance REST snapshots replay through `{"keel":"snapshot",...}` lines.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ParseCategory, type ParseVenue, parseFeedFor, runParse, topLevelValueSpan } from '../../../src/cli/commands/parse.js';
import { adaptedFeeds, protocolFactories, simVenueFactories, venueFactories } from '../../../src/feeds/venues.js';
import { FEED_IDS, InstrumentRegistry, type InstrumentRegistry as Registry } from '../../../src/portfolio/instruments.js';
import { registry as shippedRegistry } from './deribit-helpers.js';
import { FIXTURES_DIR } from './harness/fixtures.js';

const FIXTURES = FIXTURES_DIR;

/** One fixture file as one NDJSON line: whitespace outside strings removed, number tokens untouched. */
function minify(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') {
      out += c;
    }
  }
  return out;
}

/** A fixture file as its input line: JSON minified; a text frame (OKX ping) as a JSON string. */
function fixtureLine(dir: string, name: string): string {
  const raw = readFileSync(`${FIXTURES}/${dir}/${name}`, 'utf8');
  return name.endsWith('.txt') ? JSON.stringify(raw) : minify(raw);
}

function fixtureFiles(dir: string): string[] {
  return readdirSync(`${FIXTURES}/${dir}`)
    .filter((f) => f.endsWith('.json') || f.endsWith('.txt'))
    .sort();
}

interface Run {
  counts: { lines: number; events: number; errors: number };
  out: Record<string, unknown>[];
  outText: string;
  errors: string[];
}

async function parse(venue: ParseVenue, lines: readonly string[], opts: { category?: ParseCategory; registry?: Registry; bookDepth?: number } = {}): Promise<Run> {
  const output = new PassThrough();
  const errors = new PassThrough();
  let outText = '';
  let errText = '';
  output.on('data', (d: Buffer) => (outText += d.toString()));
  errors.on('data', (d: Buffer) => (errText += d.toString()));
  const counts = await runParse({
    venue,
    ...(opts.category === undefined ? {} : { category: opts.category }),
    registry: opts.registry ?? shippedRegistry,
    input: Readable.from([`${lines.join('\n')}\n`]),
    output,
    errors,
    ...(opts.bookDepth === undefined ? {} : { bookDepth: opts.bookDepth }),
  });
  const out = outText === '' ? [] : outText.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { counts, out, outText, errors: errText === '' ? [] : errText.trimEnd().split('\n') };
}

/** Checks every output line is an envelope and every error line is numbered. */
function expectWellFormed(run: Run, lineCount: number): void {
  expect(run.counts.events).toBe(run.out.length);
  expect(run.counts.errors).toBe(run.errors.length);
  for (const e of run.out) {
    expect(e['v']).toBe(1);
    expect(typeof e['type']).toBe('string');
    expect(e['ts']).toBe(e['recvTs']);
    expect(typeof e['instrument']).toBe('string');
  }
  const numbers = run.errors.map((line) => {
    const m = /^line (\d+): (invalid_json|unknown_message|unknown_symbol|invalid_field|venue_error|out_of_sequence): .+$/.exec(line);
    expect(m, line).not.toBeNull();
    return Number(m![1]);
  });
  expect(new Set(numbers).size).toBe(numbers.length); // one error line per bad line
  for (const n of numbers) expect(n).toBeGreaterThanOrEqual(1);
  for (const n of numbers) expect(n).toBeLessThanOrEqual(lineCount);
}

describe('keel parse: deribit', () => {
  const files = fixtureFiles('deribit');
  const lines = files.map((f) => fixtureLine('deribit', f));

  it('parses every fixture: events as envelopes, one numbered error line per refused line', async () => {
    const run = await parse('deribit', lines);
    expect(run.counts).toEqual({ lines: files.length, events: 13, errors: 9 });
    expectWellFormed(run, lines.length);
    const lineOf = (name: string): number => files.indexOf(name) + 1;
    expect(run.errors).toEqual([
      `line ${lineOf('error-1.json')}: venue_error: 11050 bad_request (invalid json)`,
      `line ${lineOf('set_heartbeat-request-1.json')}: unknown_message: method "public/set_heartbeat" not handled`,
      `line ${lineOf('set_heartbeat-request-2.json')}: unknown_message: method "public/set_heartbeat" not handled`,
      `line ${lineOf('subscribe-error-1.json')}: venue_error: 13778 raw_subscriptions_not_available_for_unauthorized`,
      `line ${lineOf('subscribe-request-1.json')}: unknown_message: method "public/subscribe" not handled`,
      `line ${lineOf('subscribe-request-2.json')}: unknown_message: method "public/subscribe" not handled`,
      `line ${lineOf('test-request-1.json')}: unknown_message: method "public/test" not handled`,
      `line ${lineOf('test-request-2.json')}: unknown_message: method "public/test" not handled`,
      `line ${lineOf('unsubscribe-request-1.json')}: unknown_message: method "public/unsubscribe" not handled`,
    ]);
    expect(run.out.map((e) => [e['type'], e['instrument']])).toEqual([
      ['mark', 'deribit:BTC/USDC:USDC'],
      ['option', 'deribit:BTC/USD:BTC-210924-34000-P'],
      ['quote', 'deribit:BTC/USD:BTC-210924-34000-P'],
      ['option', 'deribit:BTC/USD:BTC-200605-9250-C'],
      ['quote', 'deribit:BTC/USD:BTC-200605-9250-C'],
      ['mark', 'deribit:BTC/USD:BTC'],
      ['quote', 'deribit:BTC/USD:BTC'],
      ['mark', 'deribit:BTC/USDC:USDC'],
      ['quote', 'deribit:BTC/USDC:USDC'],
      ['trade', 'deribit:BTC/USD:BTC'],
      ['trade', 'deribit:BTC/USD:BTC'],
      ['trade', 'deribit:BTC/USD:BTC'],
      ['trade', 'deribit:BTC/USD:BTC'],
    ]);
    // Exact values survive the CLI (exponent funding, percent IV).
    expect(run.out[0]).toEqual({
      v: 1,
      type: 'mark',
      ts: 1790133840887,
      venue: 'deribit',
      instrument: 'deribit:BTC/USDC:USDC',
      exchTs: 1790133840887,
      recvTs: 1790133840887,
      indexPrice: '86744.11',
      fundingRate: '0.0001423032929843748',
    });
    expect(run.out[1]).toMatchObject({ markIv: '0.7657', markPrice: '0.15670957', bidIv: '0.7584', ts: 1626993722931 });
    // 10.0 USD of BTC-PERPETUAL: one contract of 10 USD.
    expect(run.out[9]).toMatchObject({ type: 'trade', price: '92294.5', size: '1.0', side: 'sell', tradeId: '403691824', ts: 1765531356452 });
  });

  it('is reproducible: the same input gives byte-identical output', async () => {
    const a = await parse('deribit', lines);
    const b = await parse('deribit', lines);
    expect(a.outText).toBe(b.outText);
    expect(a.outText.length).toBeGreaterThan(1000);
  });

  it('skips blank lines, numbers lines physically, and keeps going after bad lines', async () => {
    const book = (type: 'snapshot' | 'change', id: number, prev: number | undefined, ts: number): string =>
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.ETH-PERPETUAL.100ms","data":{"timestamp":${ts},"type":"${type}","change_id":${id}${prev === undefined ? '' : `,"prev_change_id":${prev}`},"instrument_name":"ETH-PERPETUAL","bids":[["new",2772.65,2700]],"asks":[["new",2772.7,5.3e1]]}}}`;
    const input = [
      book('snapshot', 10, undefined, 1000),
      '',
      '{"jsonrpc":"2.0","method":"subscription"',
      '"ping"',
      '"unterminated',
      book('change', 20, 15, 2000),
    ];
    const run = await parse('deribit', input, { bookDepth: 1 });
    expect(run.counts).toEqual({ lines: 5, events: 4, errors: 3 });
    expect(run.errors).toEqual([
      "line 3: invalid_json: expected ',' or '}' at offset 40",
      'line 4: invalid_json: unexpected character at offset 0',
      'line 5: invalid_json: line starts with " but is not a JSON string',
    ]);
    expect(run.out).toEqual([
      { v: 1, type: 'book', ts: 1000, venue: 'deribit', instrument: 'deribit:ETH/USD:ETH', exchTs: 1000, recvTs: 1000, bids: [['2772.65', '2700']], asks: [['2772.7', '53']], seq: '10' },
      { v: 1, type: 'quote', ts: 1000, venue: 'deribit', instrument: 'deribit:ETH/USD:ETH', exchTs: 1000, recvTs: 1000, bid: '2772.65', bidSize: '2700', ask: '2772.7', askSize: '53' },
      { v: 1, type: 'status', ts: 1000, venue: 'deribit', instrument: 'deribit:ETH/USD:ETH', exchTs: 1000, recvTs: 1000, status: 'ok' },
      {
        v: 1,
        type: 'status',
        ts: 2000,
        venue: 'deribit',
        instrument: 'deribit:ETH/USD:ETH',
        exchTs: 2000,
        recvTs: 2000,
        status: 'resyncing',
        reason: 'gap: prev_change_id 15 != last change_id 10',
      },
    ]);
  });

  it('maps venue + category to a feed; Bybit needs a category, the others ignore it', async () => {
    expect(() => parseFeedFor('bybit', undefined)).toThrow('--category is required with --venue bybit (spot|linear|inverse)');
    expect(parseFeedFor('bybit', 'inverse')).toBe('bybit-inverse');
    expect(parseFeedFor('bybit', 'spot')).toBe('bybit-spot');
    expect(parseFeedFor('okx', 'linear')).toBe('okx');
    expect(parseFeedFor('binance-usdm', undefined)).toBe('binance-usdm');
    // The CLI passes its default category with every venue: deribit still parses.
    const run = await parse('deribit', [fixtureLine('deribit', 'trades-2.json')], { category: 'linear' });
    expect(run.counts).toEqual({ lines: 1, events: 2, errors: 0 });
  });

  it('finds the exact span of a top-level value', () => {
    const line = '{"keel":"snapshot","instrument":"a\\"body\\":x","body":{"lastUpdateId":1,"bids":[["1.10","2"]],"asks":[]}}';
    const span = topLevelValueSpan(line, 'body')!;
    expect(line.slice(span[0], span[1])).toBe('{"lastUpdateId":1,"bids":[["1.10","2"]],"asks":[]}');
    expect(topLevelValueSpan('{"a":1}', 'body')).toBeNull();
  });
});

describe('keel parse: binance snapshot replay', () => {
  const nknRegistry = InstrumentRegistry.of([
    { venue: 'binance', venueSymbol: 'NKNUSDT', kind: 'spot', settlementType: 'linear', base: 'NKN', quote: 'USDT', settle: 'USDT', underlying: 'NKN', contractSize: '1', tickSize: '0.0001', lotSize: '1' },
  ]);
  const snapshotBody = minify(readFileSync(`${FIXTURES}/binance-spot/depth-rest-snapshot-2.json`, 'utf8'));

  it.runIf(venueFactories('binance-spot') !== undefined)('syncs NKNUSDT from depth events + a snapshot line, as INDEX.md §1 describes', async () => {
    const next =
      '{"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512168,"s":"NKNUSDT","U":499869753,"u":499869753,"b":[["0.35220000","10.00000000"]],"a":[["0.35250000","0.00000000"]]}}';
    const run = await parse(
      'binance-spot',
      [fixtureLine('binance-spot', 'depth-2.json'), `{"keel":"snapshot","instrument":"NKNUSDT","body":${snapshotBody}}`, next, '{"keel":"snapshot","instrument":"XYZUSDT","body":{}}'],
      { registry: nknRegistry, bookDepth: 2 },
    );
    expect(run.errors).toEqual(['line 4: unknown_symbol: snapshot instrument "XYZUSDT" is not in the registry for binance-spot']);
    const book = run.out.find((e) => e['type'] === 'book')!;
    // depth-2 is covered by the snapshot (dropped); the next event bridges it and is applied.
    expect(book).toMatchObject({
      instrument: 'binance:NKN/USDT',
      bids: [
        ['0.35220000', '10.00000000'],
        ['0.35210000', '672.00000000'],
      ],
      asks: [
        ['0.35260000', '3199.00000000'],
        ['0.35270000', '4201.00000000'],
      ],
    });
    expect(run.out.find((e) => e['type'] === 'quote')).toMatchObject({ bid: '0.35220000', ask: '0.35260000' });
    expect(run.out.some((e) => e['type'] === 'status' && e['status'] === 'ok')).toBe(true);
  });

  it.runIf(venueFactories('binance-spot') !== undefined)('stamps an event without venue time (spot bookTicker) with the last exchTs seen', async () => {
    const run = await parse('binance-spot', [fixtureLine('binance-spot', 'trade-2.json'), fixtureLine('binance-spot', 'bookTicker-1.json')]);
    const trade = run.out.find((e) => e['type'] === 'trade')!;
    const quote = run.out.find((e) => e['type'] === 'quote')!;
    expect(quote['exchTs']).toBe(0);
    expect(quote['ts']).toBe(trade['exchTs']);
    expect(quote['recvTs']).toBe(trade['exchTs']);
  });
});

/** Every venue with an adapter: all its fixture files go through the CLI without a crash. */
const VENUE_DIRS: { venue: ParseVenue; dir: string; category?: ParseCategory }[] = [
  { venue: 'binance-spot', dir: 'binance-spot' },
  { venue: 'binance-usdm', dir: 'binance-usdm' },
  { venue: 'okx', dir: 'okx' },
  { venue: 'kraken', dir: 'kraken' },
  { venue: 'coinbase', dir: 'coinbase' },
  { venue: 'bybit', dir: 'bybit', category: 'linear' },
  { venue: 'deribit', dir: 'deribit' },
];

describe('keel parse: every venue with an adapter', () => {
  it('the venue table has a protocol and a simulator for every feed', () => {
    expect([...adaptedFeeds()].sort()).toEqual([...FEED_IDS].sort());
    for (const feed of adaptedFeeds()) {
      const f = venueFactories(feed)!;
      expect(typeof f.protocol).toBe('function');
      expect(typeof f.simVenue).toBe('function');
    }
    expect(simVenueFactories().size).toBe(adaptedFeeds().length);
    expect(protocolFactories().get('deribit')).toBe(venueFactories('deribit')!.protocol);
  });

  for (const { venue, dir, category } of VENUE_DIRS) {
    const feed = parseFeedFor(venue, category);
    it.runIf(venueFactories(feed) !== undefined && existsSync(`${FIXTURES}/${dir}`))(`${venue}: every fixture line parses or gets one numbered error line`, async () => {
      const files = fixtureFiles(dir);
      const lines = files.map((f) => fixtureLine(dir, f));
      const run = await parse(venue, lines, category === undefined ? {} : { category });
      expect(run.counts.lines).toBe(files.length);
      expectWellFormed(run, lines.length);
      expect(run.counts.events).toBeGreaterThan(0);
      expect(run.out.every((e) => e['venue'] === (venue.startsWith('binance') ? 'binance' : venue))).toBe(true);
    });
  }

  it.runIf(venueFactories('okx') !== undefined)('okx: the text keepalive "pong" given as a JSON string is not an error', async () => {
    const run = await parse('okx', ['"pong"']);
    expect(run.counts).toEqual({ lines: 1, events: 0, errors: 0 });
  });
});
