/**
 * `keel parse --venue V [--category C]`: raw venue messages (NDJSON on stdin) -> normalized events
 * (NDJSON on stdout), through the same VenueProtocol code the live feeds run.
 *
 * Input, one message per line:
 *   - a JSON message exactly as the venue sent it (passed on verbatim, so exact number tokens
 *     survive: the line is never re-serialized);
 *   - a JSON string: a non-JSON text frame, e.g. `"ping"` / `"pong"` (OKX keepalives);
 *   - a REST depth snapshot (Binance), replayed where the live session would deliver it:
 *       {"keel":"snapshot","instrument":"<canonical id or venue symbol>","body":<REST body>}
 *     `body` is the response body as JSON, or a JSON string holding it; it is handed to
 *     `protocol.onSnapshot` byte for byte. The instrument must be in the registry (the protocol
 *     API takes an Instrument). Put it after the first depth events, as it arrives live;
 *   - blank lines are skipped.
 *
 * Output: one JSON object per event: `{"v":1,"type":...,"ts":<recvTs>,...event}`.
 * recvTs (and `ts`) are deterministic so output is reproducible: an event's own exchTs, or for
 * events without venue time (status, some quotes) the latest exchTs seen earlier in the input,
 * or 0 before any. Each bad line yields exactly ONE line on `errors`:
 * `line N: <reason>: <detail>` (reason = the dead-letter reason), and parsing continues.
 * Frames the protocol would send (pongs, test replies, resubscribes) are discarded; so are its
 * snapshot and reconnect requests (give snapshots as input lines instead).
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { FeedId, Instrument, InstrumentRegistry } from '../../portfolio/instruments.js';
import type { MarketEvent } from '../../risk/events.js';
import type { DeadLetterReason, ProtocolIO, VenueProtocol } from '../../feeds/types.js';
import { venueFactories } from '../../feeds/venues.js';

export type ParseVenue = 'binance-spot' | 'binance-usdm' | 'coinbase' | 'kraken' | 'okx' | 'bybit' | 'deribit';
export type ParseCategory = 'spot' | 'linear' | 'inverse';

export interface ParseOptions {
  venue: ParseVenue;
  /** Bybit only (ignored elsewhere): which of its public endpoints the messages came from. */
  category?: ParseCategory;
  registry: InstrumentRegistry;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  /** Levels per side in `book` events. Default 10. */
  bookDepth?: number;
}

export interface ParseCounts {
  /** Non-blank input lines processed. */
  lines: number;
  events: number;
  /** Lines that produced an error line. */
  errors: number;
}

export const DEFAULT_PARSE_BOOK_DEPTH = 10;

/**
 * The feed whose protocol reads a venue's messages. `category` picks Bybit's endpoint and is
 * ignored for the other venues (the CLI passes its default everywhere); Bybit without one throws.
 */
export function parseFeedFor(venue: ParseVenue, category: ParseCategory | undefined): FeedId {
  if (venue !== 'bybit') return venue;
  if (category === undefined) throw new Error('--category is required with --venue bybit (spot|linear|inverse)');
  return category === 'spot' ? 'bybit-spot' : category === 'linear' ? 'bybit-linear' : 'bybit-inverse';
}

export async function runParse(opts: ParseOptions): Promise<ParseCounts> {
  const feed = parseFeedFor(opts.venue, opts.category);
  const factories = venueFactories(feed);
  if (factories === undefined) throw new Error(`no adapter for feed ${feed}`);
  const protocol = factories.protocol({ registry: opts.registry, bookDepth: opts.bookDepth ?? DEFAULT_PARSE_BOOK_DEPTH });
  const run = new ParseRun(protocol, opts.registry);
  const counts: ParseCounts = { lines: 0, events: 0, errors: 0 };
  const lines = createInterface({ input: opts.input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  for await (const rawLine of lines) {
    lineNo++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim().length === 0) continue;
    counts.lines++;
    const result = run.line(line);
    if (result.out.length > 0) {
      counts.events += result.events;
      if (!opts.output.write(result.out)) await once(opts.output, 'drain');
    }
    if (result.error !== null) {
      counts.errors++;
      if (!opts.errors.write(`line ${lineNo}: ${result.error}\n`)) await once(opts.errors, 'drain');
    }
  }
  return counts;
}

interface LineResult {
  out: string;
  events: number;
  /** `<reason>: <detail>` of the first problem, or null. */
  error: string | null;
}

/** Feeds lines through one protocol instance and collects its output per line. */
class ParseRun {
  private out = '';
  private events = 0;
  private error: string | null = null;
  private lastExchTs = 0;
  private readonly io: ProtocolIO;

  constructor(
    private readonly protocol: VenueProtocol,
    private readonly registry: InstrumentRegistry,
  ) {
    this.io = {
      emit: (event) => this.emit(event),
      send: () => {},
      deadLetter: (reason, detail) => this.fail(reason, detail),
      requestSnapshot: () => {},
      reconnect: () => {},
    };
  }

  line(line: string): LineResult {
    this.out = '';
    this.events = 0;
    this.error = null;
    const first = firstNonSpace(line);
    if (first === '"') this.stringFrame(line);
    else if (line.startsWith('{"keel"', line.indexOf('{'))) this.snapshotLine(line);
    else this.protocol.onMessage(line, 0, this.io);
    return { out: this.out, events: this.events, error: this.error };
  }

  private stringFrame(line: string): void {
    let text: unknown;
    try {
      text = JSON.parse(line);
    } catch {
      this.fail('invalid_json', 'line starts with " but is not a JSON string');
      return;
    }
    if (typeof text !== 'string') {
      this.fail('invalid_json', 'line starts with " but is not a JSON string');
      return;
    }
    this.protocol.onMessage(text, 0, this.io);
  }

  private snapshotLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.fail('invalid_json', 'snapshot line is not valid JSON');
      return;
    }
    const obj = parsed as { keel?: unknown; instrument?: unknown; body?: unknown };
    if (obj.keel !== 'snapshot' || typeof obj.instrument !== 'string' || obj.body === undefined) {
      this.fail('invalid_field', 'a keel line must be {"keel":"snapshot","instrument":"...","body":...}');
      return;
    }
    const instrument = this.resolve(obj.instrument);
    if (instrument === undefined) {
      this.fail('unknown_symbol', `snapshot instrument "${obj.instrument}" is not in the registry for ${this.protocol.feed}`);
      return;
    }
    if (this.protocol.onSnapshot === undefined) {
      this.fail('unknown_message', `${this.protocol.feed} takes no REST snapshots`);
      return;
    }
    const span = topLevelValueSpan(line, 'body');
    if (span === null) {
      this.fail('invalid_field', 'snapshot "body" not found');
      return;
    }
    const bodyText = line.slice(span[0], span[1]);
    const body = typeof obj.body === 'string' ? obj.body : bodyText;
    this.protocol.onSnapshot(instrument, body, 0, this.io);
  }

  private resolve(id: string): Instrument | undefined {
    const byId = this.registry.byCanonical(id);
    if (byId !== undefined && byId.feed === this.protocol.feed) return byId;
    return this.registry.byVenueSymbol(this.protocol.feed, id);
  }

  private emit(event: MarketEvent): void {
    if (event.exchTs > 0) this.lastExchTs = event.exchTs;
    const ts = event.exchTs > 0 ? event.exchTs : this.lastExchTs;
    this.out += `${JSON.stringify(Object.assign({ v: 1, type: event.type, ts }, event, { recvTs: ts }))}\n`;
    this.events++;
  }

  private fail(reason: DeadLetterReason, detail: string): void {
    // One error line per input line: the first problem names it.
    if (this.error === null) this.error = `${reason}: ${detail}`;
  }
}

function firstNonSpace(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== ' ' && c !== '\t') return c;
  }
  return '';
}

/**
 * [start, end) of the value of `key` in the top-level JSON object `text` (already known to be
 * valid JSON), so the snapshot body reaches the protocol byte for byte; null when absent.
 */
export function topLevelValueSpan(text: string, key: string): [number, number] | null {
  let i = text.indexOf('{');
  if (i < 0) return null;
  i++;
  const n = text.length;
  while (i < n) {
    i = skipSpace(text, i);
    if (text[i] === '}') return null;
    if (text[i] === ',') {
      i++;
      continue;
    }
    const keyEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i++; // ':'
    const start = skipSpace(text, i);
    const end = skipValue(text, start);
    if (name === key) return [start, end];
    i = end;
  }
  return null;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

function skipString(text: string, i: number): number {
  i++; // opening quote
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return i;
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  while (i < text.length && text[i] !== ',' && text[i] !== '}' && text[i] !== ']' && text[i] !== ' ' && text[i] !== '\n') i++;
  return i;
}
