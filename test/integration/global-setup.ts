import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** bootstrap brokers, e.g. ['127.0.0.1:9092'] */
    kafkaBrokers: string[];
    /** e.g. 'redis://127.0.0.1:6380' */
    redisUrl: string;
  }
}

// 127.0.0.1, not localhost: Node >= 17 may resolve localhost to ::1 while the broker listens on IPv4.
const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6380';
const POLL_INTERVAL_MS = 250;
const READY_TIMEOUT_MS = 60_000;

async function pollUntilReady(service: string, attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error: unknown) {
      if (Date.now() >= deadline) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `${service} not ready after ${READY_TIMEOUT_MS / 1000} s (${reason}). ` +
            'Run the suite with `npm test`, or start the services with `bash scripts/services.sh up`.',
        );
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }
}

async function kafkaAnswers(brokers: string[]): Promise<void> {
  // One quick try per poll: the loop above does the retrying, and the broker's absence is expected
  // while it starts, so the client logs nothing.
  const kafka = new Kafka({
    clientId: 'keel-test-setup',
    brokers,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('describeCluster returned no brokers');
  } finally {
    await admin.disconnect();
  }
}

async function redisAnswers(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // connection errors surface through connect()/ping(); without a listener ioredis prints them too
  client.on('error', () => {});
  try {
    await client.connect();
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${reply}`);
  } finally {
    client.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const kafkaBrokers = (process.env.KEEL_KAFKA_BROKERS ?? DEFAULT_KAFKA_BROKERS)
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  const redisUrl = process.env.KEEL_REDIS_URL ?? DEFAULT_REDIS_URL;
  await Promise.all([
    pollUntilReady(`Kafka at ${kafkaBrokers.join(',')}`, () => kafkaAnswers(kafkaBrokers)),
    pollUntilReady(`Redis at ${redisUrl}`, () => redisAnswers(redisUrl)),
  ]);
  project.provide('kafkaBrokers', kafkaBrokers);
  project.provide('redisUrl', redisUrl);
}
