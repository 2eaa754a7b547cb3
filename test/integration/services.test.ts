import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, KafkaJSError, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { Redis } from 'ioredis';

// Unique names per run: several runs may share one broker and one Redis, and a reused topic or
// group would hand this run another run's records or committed offsets.
const runId = `${process.pid}-${randomUUID().slice(0, 8)}`;

interface ReceivedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`${what}: not done within ${ms} ms`);
  });
  return Promise.race([promise, timeout]);
}

/**
 * Waits until every partition of a new topic has a leader. Not createTopics' waitForLeaders: under
 * KRaft the broker's metadata briefly answers UNKNOWN_TOPIC_OR_PARTITION right after the topic is
 * created (its metadata image lags the controller), and kafkajs retries only LEADER_NOT_AVAILABLE
 * there, so a loaded machine fails the test (seen with two suites sharing one broker; kafkajs#1563).
 */
async function waitForTopicLeaders(admin: Admin, topic: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) return;
    } catch (error: unknown) {
      if (!(error instanceof KafkaJSError && error.retriable)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic}: no leader after 10 s`);
    await sleep(100);
  }
}

/**
 * Resolves once the consumer has joined its group; rejects if it crashes for good first. On a fresh
 * broker the first join meets COORDINATOR_LOAD_IN_PROGRESS while __consumer_offsets is created:
 * kafkajs crashes with restart: true and rejoins by itself, so only restart: false is fatal.
 */
function joinedGroup(consumer: Consumer): Promise<void> {
  return new Promise((resolve, reject) => {
    const stopListening = consumer.on(consumer.events.GROUP_JOIN, () => {
      stopListening();
      resolve();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) reject(event.payload.error);
    });
  });
}

describe('Kafka (real broker)', () => {
  // Latency tuning from KAFKA.md §3.2. The default socket factory is kept: TCP_NODELAY made no
  // measurable difference on loopback.
  const kafka = new Kafka({
    clientId: 'keel-integration-test',
    brokers: inject('kafkaBrokers'),
    connectionTimeout: 1000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 8 },
    logLevel: logLevel.WARN,
  });
  const topic = `keel-it-orders-${runId}`;
  const groupId = `keel-it-risk-${runId}`;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    // pre-created, so no request depends on auto-creation retries
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: false,
    });
    expect(created).toBe(true);
    await waitForTopicLeaders(admin, topic);
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] });
    await admin?.disconnect();
  });

  it('delivers idempotently produced records to a consumer group with exact keys, values and offsets', async () => {
    const activeAdmin = admin!;
    const groupConsumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      heartbeatInterval: 500,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      allowAutoTopicCreation: false,
    });
    consumer = groupConsumer;
    const expectedCount = 3;
    const received: ReceivedRecord[] = [];
    let allReceived!: () => void;
    const receivedAll = new Promise<void>((resolve) => {
      allReceived = resolve;
    });

    await groupConsumer.connect();
    // fromBeginning + a fresh topic and group + producing only after GROUP_JOIN: the "latest" offset is
    // resolved on the first fetch after the join, so a consumer starting at the end could miss a record
    // produced in that window (KAFKA.md §3.3).
    await groupConsumer.subscribe({ topics: [topic], fromBeginning: true });
    const joined = joinedGroup(groupConsumer);
    await groupConsumer.run({
      // Keel commits only after the engine has applied a command; the test does the same below
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
        });
        if (received.length === expectedCount) allReceived();
      },
    });
    await within(10_000, 'consumer group join', joined);

    // kafkajs warns that bounded retries weaken EoS; a test must fail within its timeout, not retry forever
    const idempotentProducer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer = idempotentProducer;
    await idempotentProducer.connect();
    const acks = await idempotentProducer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'BINANCE:BTCUSDT', value: '{"side":"buy","qty":"0.5","px":"87648.22"}' },
        { key: 'OKX:ETH-USDT', value: '{"side":"sell","qty":"12","px":"3120.5"}' },
        { key: 'BINANCE:BTCUSDT', value: '{"side":"sell","qty":"0.25","px":"87650"}' },
      ],
    });
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' });

    await within(10_000, `receiving ${expectedCount} records`, receivedAll);
    expect(received).toEqual([
      { partition: 0, offset: '0', key: 'BINANCE:BTCUSDT', value: '{"side":"buy","qty":"0.5","px":"87648.22"}' },
      { partition: 0, offset: '1', key: 'OKX:ETH-USDT', value: '{"side":"sell","qty":"12","px":"3120.5"}' },
      { partition: 0, offset: '2', key: 'BINANCE:BTCUSDT', value: '{"side":"sell","qty":"0.25","px":"87650"}' },
    ]);

    // the committed offset is the next record to read, as a string like every 64-bit offset
    await groupConsumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
    expect(await activeAdmin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      { topic, partitions: [{ partition: 0, offset: '3', metadata: null }] },
    ]);
    expect(await activeAdmin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, offset: '3', high: '3', low: '0' },
    ]);
  });
});

describe('Redis (real server)', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  // a second connection plays the concurrent writer that a WATCH must detect
  const rival = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const key = (name: string): string => `keel-it:${runId}:${name}`;
  const usedKeys = ['order', 'exposure', 'limit', 'watched'].map(key);

  // Atomic compare-and-set: replace the value only if it is still the one the caller read.
  const COMPARE_AND_SET = `
    if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('SET', KEYS[1], ARGV[2])
      return 1
    end
    return 0`;

  beforeAll(async () => {
    await Promise.all([redis.connect(), rival.connect()]);
  });

  afterAll(async () => {
    await redis.del(...usedKeys);
    await Promise.all([redis.quit(), rival.quit()]);
  });

  it('round-trips SET and GET', async () => {
    expect(await redis.set(key('order'), 'o-1:accepted', 'PX', 60_000)).toBe('OK');
    expect(await redis.get(key('order'))).toBe('o-1:accepted');
    expect(await redis.pttl(key('order'))).toBeGreaterThan(0);
  });

  it('applies MULTI/EXEC as one transaction', async () => {
    const results = await redis
      .multi()
      .set(key('exposure'), '100')
      .incrby(key('exposure'), 25)
      .get(key('exposure'))
      .exec();
    expect(results).toEqual([
      [null, 'OK'],
      [null, 125],
      [null, '125'],
    ]);
  });

  it('compare-and-sets atomically with a Lua script', async () => {
    await redis.set(key('limit'), 'v1');
    expect(await redis.eval(COMPARE_AND_SET, 1, key('limit'), 'v1', 'v2')).toBe(1);
    // a writer holding the stale value 'v1' must lose
    expect(await redis.eval(COMPARE_AND_SET, 1, key('limit'), 'v1', 'v3')).toBe(0);
    expect(await redis.get(key('limit'))).toBe('v2');
  });

  it('aborts a WATCHed transaction when another client changed the key', async () => {
    await redis.set(key('watched'), 'reserved:10');
    await redis.watch(key('watched'));
    await rival.set(key('watched'), 'reserved:40');
    // EXEC answers null when a watched key changed: nothing in the transaction ran
    expect(await redis.multi().set(key('watched'), 'reserved:20').exec()).toBeNull();
    expect(await redis.get(key('watched'))).toBe('reserved:40');
  });
});
