/**
 * OKX v5 public WebSocket, server side, for the simulator. What it reproduces (docs/feeds/okx.md):
 *   - text `ping` -> text `pong`;
 *   - `subscribe` / `unsubscribe` with one ack per arg (`{"id"?,"event","arg","connId"}`, the
 *     request `id` echoed when sent); a bad request -> error 60012, an unknown channel or instId ->
 *     error 60018, both with string codes;
 *   - `books`: a `snapshot` on subscribe (prevSeqId -1), then `update`s whose prevSeqId is the
 *     previous seqId. The sequence is per instrument and shared by every connection, as on OKX.
 *     Every message carries the legacy CRC32 checksum of the top 25 levels (so clients can verify;
 *     current OKX sends 0). After 60 s without change a heartbeat update (prevSeqId == seqId, no
 *     levels) is pushed, as OKX does;
 *   - `trades` (with count/source/seqId), `mark-price`, `funding-rate` (8 h interval);
 *   - faults: `injectGap` (the next update skips one seqId), `injectChecksumMismatch` (the next
 *     update carries a wrong checksum), `announceShutdown` (`event: notice`, code 64008).
 * Not reproduced: OKX closing a connection that subscribes nothing within 30 s, rate limits.
 */
import type { FeedId, Instrument } from '../../portfolio/instruments.js';
import type { Level } from '../../risk/events.js';
import { L2Book } from '../book.js';
import type { SimClient, SimMarketView, SimTick, SimVenue } from '../sim/types.js';
import { okxBookChecksum } from './checksum.js';
import { OKX_PUBLIC_PATH } from './protocol.js';

/** Channels the simulator serves. */
const SIM_CHANNELS = new Set(['books', 'trades', 'mark-price', 'funding-rate']);
/** OKX pushes an empty `books` update after this long without change. */
const BOOK_HEARTBEAT_AFTER_MS = 60_000;
/** How often the heartbeat hook looks for quiet books. */
const HEARTBEAT_CHECK_MS = 5_000;
/** Funding interval of simulated swaps. */
const FUNDING_INTERVAL_MS = 8 * 3_600_000;
/** OKX book depth on `books`. */
const BOOK_DEPTH = 400;

interface InstrumentFeed {
  readonly instrument: Instrument;
  readonly instId: string;
  readonly instType: 'SPOT' | 'SWAP' | 'FUTURES' | 'OPTION';
  /** Subscribers per channel. */
  readonly subscribers: Map<string, Set<SimClient>>;
  /**
   * The venue's book, kept from the market's book ticks (every change of the market book arrives
   * as one), so checksums and snapshots need not re-read and re-format the whole market book.
   */
  readonly book: L2Book;
  seqId: number;
  tradeSeqId: number;
  lastBookPushAt: number;
  gapPending: boolean;
  checksumPending: boolean;
}

function instTypeOf(instrument: Instrument): InstrumentFeed['instType'] {
  switch (instrument.kind) {
    case 'spot':
      return 'SPOT';
    case 'perpetual':
      return 'SWAP';
    case 'future':
      return 'FUTURES';
    case 'option':
      return 'OPTION';
  }
}

/** OKX level: [price, size, "0" (deprecated), number of orders]. */
function okxLevels(levels: readonly Level[], limit: number): string[][] {
  const n = Math.min(limit, levels.length);
  const out: string[][] = new Array<string[]>(n);
  for (let i = 0; i < n; i++) {
    const level = levels[i]!;
    out[i] = [level[0], level[1], '0', level[1] === '0' ? '0' : '1'];
  }
  return out;
}

function connIdOf(client: SimClient): string {
  return (0x1000_0000 + client.id * 2_654_435_761).toString(16).slice(-8);
}

export class OkxSimVenue implements SimVenue {
  readonly feed: FeedId = 'okx';
  readonly heartbeatMs = HEARTBEAT_CHECK_MS;
  private readonly market: SimMarketView;
  private readonly byInstId = new Map<string, InstrumentFeed>();
  private readonly byIdx = new Map<number, InstrumentFeed>();

  constructor(market: SimMarketView) {
    this.market = market;
    let seed = 1_000;
    for (const instrument of market.instruments) {
      if (instrument.feed !== 'okx') continue;
      const feed: InstrumentFeed = {
        instrument,
        instId: instrument.spec.venueSymbol,
        instType: instTypeOf(instrument),
        subscribers: new Map(),
        book: new L2Book(),
        // Distinct, arbitrary starting points, like a venue that has been running for a while.
        seqId: (seed += 7_919) * 1_000,
        tradeSeqId: seed,
        lastBookPushAt: 0,
        gapPending: false,
        checksumPending: false,
      };
      const initial = market.book(instrument);
      feed.book.loadSnapshot(initial.bids, initial.asks);
      this.byInstId.set(feed.instId, feed);
      this.byIdx.set(instrument.idx, feed);
    }
  }

  onConnect(client: SimClient): void {
    if (client.url.pathname !== OKX_PUBLIC_PATH) client.close(1008, `no such path ${client.url.pathname}`);
  }

  onClose(client: SimClient): void {
    for (const feed of this.byInstId.values()) for (const set of feed.subscribers.values()) set.delete(client);
  }

  onClientMessage(client: SimClient, text: string): void {
    if (text === 'ping') {
      client.send('pong');
      return;
    }
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      this.sendError(client, undefined, '60012', `Invalid request: ${text}`);
      return;
    }
    const op = isRecord(request) ? request['op'] : undefined;
    const args = isRecord(request) ? request['args'] : undefined;
    const id = isRecord(request) && typeof request['id'] === 'string' ? request['id'] : undefined;
    if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(args) || args.length === 0) {
      this.sendError(client, id, '60012', `Invalid request: ${text}`);
      return;
    }
    for (const arg of args) {
      const channel = isRecord(arg) ? arg['channel'] : undefined;
      const instId = isRecord(arg) ? arg['instId'] : undefined;
      if (typeof channel !== 'string' || typeof instId !== 'string') {
        this.sendError(client, id, '60012', `Invalid request: ${text}`);
        continue;
      }
      const feed = this.byInstId.get(instId);
      if (feed === undefined || !SIM_CHANNELS.has(channel) || (channel === 'funding-rate' && feed.instType !== 'SWAP')) {
        this.sendError(
          client,
          id,
          '60018',
          `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
        );
        continue;
      }
      let subscribers = feed.subscribers.get(channel);
      if (subscribers === undefined) {
        subscribers = new Set();
        feed.subscribers.set(channel, subscribers);
      }
      if (op === 'subscribe') subscribers.add(client);
      else subscribers.delete(client);
      client.send(JSON.stringify({ ...(id === undefined ? {} : { id }), event: op, arg: { channel, instId }, connId: connIdOf(client) }));
      if (op === 'subscribe' && channel === 'books') client.send(this.snapshotFrame(feed));
    }
  }

  onTick(tick: SimTick): void {
    const feed = this.byIdx.get(tick.instrument.idx);
    if (feed === undefined) return;
    switch (tick.kind) {
      case 'book':
        this.pushBookUpdate(feed, tick.ts, tick.bids, tick.asks);
        return;
      case 'trade': {
        const subscribers = feed.subscribers.get('trades');
        feed.tradeSeqId++;
        if (subscribers === undefined || subscribers.size === 0) return;
        const frame = JSON.stringify({
          arg: { channel: 'trades', instId: feed.instId },
          data: [
            {
              instId: feed.instId,
              tradeId: String(tick.tradeId),
              px: tick.price,
              sz: tick.size,
              side: tick.side,
              ts: String(tick.ts),
              count: '1',
              source: '0',
              seqId: feed.tradeSeqId,
            },
          ],
        });
        for (const client of subscribers) client.send(frame);
        return;
      }
      case 'mark':
        this.pushMark(feed, tick.ts, tick.markPrice, tick.fundingRate, tick.nextFundingTs);
        return;
      case 'option':
        // OKX option Greeks come from `opt-summary` (per instFamily); not simulated.
        return;
    }
  }

  heartbeat(client: SimClient): void {
    const now = this.market.now();
    for (const feed of this.byInstId.values()) {
      if (now - feed.lastBookPushAt < BOOK_HEARTBEAT_AFTER_MS) continue;
      if (!(feed.subscribers.get('books')?.has(client) ?? false)) continue;
      client.send(this.bookFrame(feed, 'update', feed.seqId, feed.seqId, [], [], now, okxBookChecksum(feed.book)));
    }
  }

  injectGap(instrument: Instrument): void {
    const feed = this.byIdx.get(instrument.idx);
    if (feed !== undefined) feed.gapPending = true;
  }

  injectChecksumMismatch(instrument: Instrument): void {
    const feed = this.byIdx.get(instrument.idx);
    if (feed !== undefined) feed.checksumPending = true;
  }

  announceShutdown(client: SimClient): void {
    client.send(
      JSON.stringify({
        event: 'notice',
        code: '64008',
        msg: 'The connection will soon be closed for a service upgrade. Please reconnect.',
        connId: connIdOf(client),
      }),
    );
  }

  /* ------------------------------------------------------------------------------------------ */

  private snapshotFrame(feed: InstrumentFeed): string {
    const bids: Level[] = [];
    const asks: Level[] = [];
    feed.book.top('bid', BOOK_DEPTH, bids);
    feed.book.top('ask', BOOK_DEPTH, asks);
    return this.bookFrame(feed, 'snapshot', -1, feed.seqId, bids, asks, this.market.now(), okxBookChecksum(feed.book));
  }

  private pushBookUpdate(feed: InstrumentFeed, ts: number, bids: readonly Level[], asks: readonly Level[]): void {
    for (const level of bids) feed.book.set('bid', level[0], level[1]);
    for (const level of asks) feed.book.set('ask', level[0], level[1]);
    // The sequence advances whether or not anyone listens, as on the venue.
    let prevSeqId = feed.seqId;
    let seqId = feed.seqId + 1;
    if (feed.gapPending) {
      feed.gapPending = false;
      prevSeqId += 1;
      seqId += 1;
    }
    feed.seqId = seqId;
    feed.lastBookPushAt = ts;
    const subscribers = feed.subscribers.get('books');
    if (subscribers === undefined || subscribers.size === 0) return;
    let checksum = okxBookChecksum(feed.book);
    if (feed.checksumPending) {
      feed.checksumPending = false;
      checksum = (checksum + 1) | 0 || 1;
    }
    const frame = this.bookFrame(feed, 'update', prevSeqId, seqId, bids, asks, ts, checksum);
    for (const client of subscribers) client.send(frame);
  }

  private bookFrame(
    feed: InstrumentFeed,
    action: 'snapshot' | 'update',
    prevSeqId: number,
    seqId: number,
    bids: readonly Level[],
    asks: readonly Level[],
    ts: number,
    checksum: number,
  ): string {
    return JSON.stringify({
      arg: { channel: 'books', instId: feed.instId },
      action,
      data: [{ asks: okxLevels(asks, BOOK_DEPTH), bids: okxLevels(bids, BOOK_DEPTH), ts: String(ts), checksum, prevSeqId, seqId }],
    });
  }

  private pushMark(feed: InstrumentFeed, ts: number, markPrice: string, fundingRate: string, nextFundingTs: number): void {
    const marks = feed.subscribers.get('mark-price');
    if (marks !== undefined && marks.size > 0) {
      const frame = JSON.stringify({
        arg: { channel: 'mark-price', instId: feed.instId },
        data: [{ instType: feed.instType, instId: feed.instId, markPx: markPrice, ts: String(ts) }],
      });
      for (const client of marks) client.send(frame);
    }
    const funding = feed.subscribers.get('funding-rate');
    if (feed.instType !== 'SWAP' || fundingRate === '' || funding === undefined || funding.size === 0) return;
    const frame = JSON.stringify({
      arg: { channel: 'funding-rate', instId: feed.instId },
      data: [
        {
          formulaType: 'noRate',
          fundingRate,
          fundingTime: String(nextFundingTs),
          impactValue: '',
          instId: feed.instId,
          instType: 'SWAP',
          interestRate: '',
          method: 'current_period',
          maxFundingRate: '0.0075',
          minFundingRate: '-0.0075',
          nextFundingRate: '',
          nextFundingTime: String(nextFundingTs + FUNDING_INTERVAL_MS),
          premium: fundingRate,
          settFundingRate: fundingRate,
          settState: 'settled',
          ts: String(ts),
        },
      ],
    });
    for (const client of funding) client.send(frame);
  }

  private sendError(client: SimClient, id: string | undefined, code: string, msg: string): void {
    client.send(JSON.stringify({ ...(id === undefined ? {} : { id }), event: 'error', code, msg, connId: connIdOf(client) }));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
