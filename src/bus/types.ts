/**
 * The bus contract (ARCHITECTURE §Bus): keyed publish, and consumption that is single-record and
 * in order per partition. Topics and keys are fixed here so the in-memory and Kafka
 * implementations cannot drift apart.
 */
export const TOPICS = {
  marketData: 'keel.md',
  executions: 'keel.exec',
  admin: 'keel.admin',
  decisions: 'keel.decisions',
  deadLetters: 'keel.dlq',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export interface BusRecord {
  topic: Topic;
  /** Partitioning key: instrument for market data, account for executions and admin. */
  key: string;
  /** The JSON envelope (docs/events.md), already validated by the producer. */
  value: unknown;
  /** Position in the topic, as a string (64-bit safe, as Kafka offsets are). */
  offset: string;
}

export interface Bus {
  publish(topic: Topic, key: string, value: unknown): void;
}
