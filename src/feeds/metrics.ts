/**
 * Prometheus metrics of the feeds stage and the simulator. Every metric lives in a registry passed
 * in by the caller (no default global registry); several sessions or sinks sharing one registry
 * share the metric through `getSingleMetric`, so registering twice is not an error.
 *
 * Hot paths never touch prom-client per message: sessions and the simulator count in plain
 * numbers and flush the deltas on their housekeeping timers (at most ~1 s behind).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FeedId } from '../portfolio/instruments.js';

export function counterIn<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

export function gaugeIn<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames, registers: [registry] });
}

/** Why a session reconnected; a closed set so the label stays low-cardinality. */
export type ReconnectCause = 'closed' | 'error' | 'connect_timeout' | 'stale' | 'max_age' | 'venue';

export const DEAD_LETTERS_METRIC = 'keel_feed_dead_letters_total';

/** Per-session metric handles. All methods are cheap; `flush` moves local counts to prom-client. */
export interface FeedSessionMetrics {
  addMessages(count: number): void;
  reconnect(cause: ReconnectCause): void;
  stale(): void;
  connected(up: boolean): void;
  snapshot(result: 'ok' | 'error'): void;
}

const NOOP_SESSION_METRICS: FeedSessionMetrics = {
  addMessages() {},
  reconnect() {},
  stale() {},
  connected() {},
  snapshot() {},
};

export function feedSessionMetrics(registry: Registry | undefined, feed: FeedId): FeedSessionMetrics {
  if (registry === undefined) return NOOP_SESSION_METRICS;
  const messages = counterIn(registry, 'keel_feed_messages_total', 'Frames received per feed (rate() gives messages/s)', ['feed']).labels(feed);
  const reconnects = counterIn(registry, 'keel_feed_reconnects_total', 'Reconnects per feed and cause', ['feed', 'cause']);
  const stale = counterIn(registry, 'keel_feed_stale_total', 'Stale-stream watchdog firings per feed', ['feed']).labels(feed);
  const connected = gaugeIn(registry, 'keel_feed_connected', 'Open feed connections', ['feed']).labels(feed);
  const snapshots = counterIn(registry, 'keel_feed_snapshot_requests_total', 'REST snapshot requests per feed and result', ['feed', 'result']);
  return {
    addMessages(count) {
      if (count > 0) messages.inc(count);
    },
    reconnect(cause) {
      reconnects.labels(feed, cause).inc();
    },
    stale() {
      stale.inc();
    },
    connected(up) {
      if (up) connected.inc();
      else connected.dec();
    },
    snapshot(result) {
      snapshots.labels(feed, result).inc();
    },
  };
}

/** Simulator server metrics. */
export interface SimServerMetrics {
  addSent(feed: FeedId, count: number): void;
  addDropped(feed: FeedId, count: number): void;
  fault(feed: FeedId, kind: string): void;
  clients(feed: FeedId, delta: number): void;
}

const NOOP_SIM_METRICS: SimServerMetrics = { addSent() {}, addDropped() {}, fault() {}, clients() {} };

export function simServerMetrics(registry: Registry | undefined): SimServerMetrics {
  if (registry === undefined) return NOOP_SIM_METRICS;
  const sent = counterIn(registry, 'keel_sim_frames_sent_total', 'Frames the simulator sent, per feed', ['feed']);
  const dropped = counterIn(registry, 'keel_sim_frames_dropped_total', 'Frames withheld by a stall fault or a slow client, per feed', ['feed']);
  const faults = counterIn(registry, 'keel_sim_faults_total', 'Faults injected, per feed and kind', ['feed', 'kind']);
  const clients = gaugeIn(registry, 'keel_sim_clients', 'Connected simulator clients, per feed', ['feed']);
  return {
    addSent(feed, count) {
      if (count > 0) sent.labels(feed).inc(count);
    },
    addDropped(feed, count) {
      if (count > 0) dropped.labels(feed).inc(count);
    },
    fault(feed, kind) {
      faults.labels(feed, kind).inc();
    },
    clients(feed, delta) {
      clients.labels(feed).inc(delta);
    },
  };
}
