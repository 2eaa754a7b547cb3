/**
 * The feeds stage: one FeedSession per enabled feed (and per extra connection a venue needs),
 * each emitting normalized events to one sink. Used by `keel start` against the simulator and,
 * with config/live.yaml endpoints, against the venues.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { FeedsConfig } from '../config/feeds.js';
import { sessionOptionsFor } from '../config/feeds.js';
import type { FeedId, InstrumentRegistry } from '../portfolio/instruments.js';
import { FeedSession } from './session.js';
import type { DeadLetterSink, Emit } from './types.js';
import { venueFactories } from './venues.js';

export interface FeedEndpoint {
  url: string;
  restUrl?: string | undefined;
}

export interface FeedRunnerOptions {
  registry: InstrumentRegistry;
  feeds: FeedsConfig;
  endpoint: (feed: FeedId) => FeedEndpoint | undefined;
  emit: Emit;
  deadLetters: DeadLetterSink;
  logger: Logger;
  metrics?: Registry | undefined;
}

export interface RunningFeeds {
  sessions: ReadonlyArray<{ feed: FeedId; session: FeedSession }>;
  close(): Promise<void>;
}

export function startFeeds(o: FeedRunnerOptions): RunningFeeds {
  const sessions: Array<{ feed: FeedId; session: FeedSession }> = [];
  for (const feed of o.feeds.enabled) {
    const factories = venueFactories(feed);
    const instruments = o.registry.forFeed(feed);
    const endpoint = o.endpoint(feed);
    if (factories === undefined || instruments.length === 0 || endpoint === undefined) {
      if (instruments.length > 0) o.logger.warn({ feed }, 'feed enabled but not served (no adapter or endpoint)');
      continue;
    }
    const protocols = [factories.protocol, ...(factories.extraProtocols ?? [])];
    for (const make of protocols) {
      const session = new FeedSession({
        protocol: make({ registry: o.registry, bookDepth: o.feeds.bookDepth }),
        instruments,
        options: sessionOptionsFor(o.feeds, feed, endpoint),
        emit: o.emit,
        deadLetters: o.deadLetters,
        logger: o.logger.child({ feed }),
        registry: o.metrics,
      });
      session.start();
      sessions.push({ feed, session });
    }
  }
  return {
    sessions,
    close: async () => {
      await Promise.all(sessions.map((s) => s.session.close()));
    },
  };
}
