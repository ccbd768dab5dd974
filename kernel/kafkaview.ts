/**
 * Short text forms for the Kafka handles a cell often ends with (`await kafka.createTopic(...)`,
 * `const kafka = await connect()`), instead of util.inspect dumping their kafkajs internals.
 * Recognised by class name and shape rather than `instanceof`, so a notebook that loads a second
 * copy of kafkalab still gets them.
 */
import type { MimeBundle } from './display';

interface ConnectionLike {
  brokers: string[];
  embedded?: unknown;
  closed?: boolean;
  origin?: { kind?: string; description?: string };
}

interface TopicLike {
  name: string;
  conn?: ConnectionLike;
}

function className(v: object): string | undefined {
  return (v as { constructor?: { name?: string } }).constructor?.name;
}

function isConnection(v: unknown): v is ConnectionLike {
  return typeof v === 'object' && v !== null && className(v) === 'KafkaConnection' && Array.isArray((v as ConnectionLike).brokers);
}

function isTopic(v: unknown): v is TopicLike {
  return typeof v === 'object' && v !== null && className(v) === 'Topic' && typeof (v as TopicLike).name === 'string' && typeof (v as { read?: unknown }).read === 'function';
}

function connectionText(c: ConnectionLike): string {
  const where = c.brokers.join(',');
  // A reused broker says whose it is (pid, data dir): it lives and dies with another process.
  const reused = c.origin?.kind === 'reused' && c.origin.description ? c.origin.description.replace(/ on [^ ]+$/, '') : '';
  const notes = [c.embedded ? 'embedded broker' : '', reused, c.closed ? 'closed' : ''].filter(Boolean);
  return `KafkaConnection ${where}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

/** The text form of a KafkaConnection or Topic; undefined for anything else. */
export function kafkaText(v: unknown): string | undefined {
  if (isConnection(v)) return connectionText(v);
  if (isTopic(v)) return `Topic "${v.name}"${v.conn && Array.isArray(v.conn.brokers) ? ` on ${v.conn.brokers.join(',')}` : ''}`;
  return undefined;
}

export function kafkaBundle(v: unknown): MimeBundle | undefined {
  const text = kafkaText(v);
  return text === undefined ? undefined : { data: { 'text/plain': text }, metadata: {} };
}
