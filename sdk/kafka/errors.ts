/**
 * kafkajs errors turned into KafkalabErrors a user can act on, in one place: the connection
 * calls `explainKafkaError` around every client-side Kafka call it makes for a user
 * (createTopic, produce, read, stream). The original error stays reachable as `cause`.
 */
import { ErrorCode, isRetriable, type ErrorName } from '../protocol/errors';
import { KafkalabError } from '../util/errors';
import { redact, redactText } from '../util/redact';
import type { Logger } from '../util/log';
import { logLevel as kafkajsLevel, type KafkaConfig } from 'kafkajs';

/** Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic). */
export const TOPIC_NAME_RULE = "Kafka topic names use only ASCII letters, digits, '.', '_' and '-', at most 249 characters, and are not '.' or '..'";

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: unknown): void {
  if (typeof name !== 'string' || !LEGAL_TOPIC.test(name) || name === '.' || name === '..') {
    const shown = typeof name === 'string' ? `"${name}"` : String(name);
    throw new KafkalabError(`Invalid topic name ${shown}`, { code: 'INVALID_TOPIC', hint: TOPIC_NAME_RULE });
  }
}

export interface ErrorContext {
  /** Bootstrap servers, for messages when the error does not name the broker. */
  brokers: string[];
  topic?: string;
  /** What the user asked for: 'createTopic', 'produce', 'read', 'stream', ... */
  op?: string;
}

interface KafkajsLike extends Error {
  type?: string;
  code?: unknown;
  broker?: string;
  host?: string;
  port?: number;
  retriable?: boolean;
  errors?: unknown[];
  cause?: unknown;
  topic?: string;
}

type Entry = { code: string; message: (c: ErrorContext, e: KafkajsLike) => string; hint?: (c: ErrorContext, e: KafkajsLike) => string };

const topicOf = (c: ErrorContext, e: KafkajsLike) => e.topic ?? c.topic ?? '?';

/**
 * What to say about the Kafka errors users run into, by Kafka's name (kafkajs's `type`); codes and
 * retriability come from the one table, sdk/protocol/errors.ts.
 */
const EXPLAINED: Partial<Record<ErrorName, Entry>> = {
  INVALID_TOPIC_EXCEPTION: { code: 'INVALID_TOPIC', message: (c, e) => `Invalid topic name "${topicOf(c, e)}"`, hint: () => TOPIC_NAME_RULE },
  INVALID_PARTITIONS: {
    code: 'INVALID_PARTITIONS',
    message: (c, e) => `Kafka refused the partition count of topic "${topicOf(c, e)}"`,
    hint: () => 'partitions must be a whole number of at least 1 (and within the broker\'s limit)',
  },
  INVALID_REPLICATION_FACTOR: {
    code: 'INVALID_REPLICATION_FACTOR',
    message: (c, e) => `Kafka refused the replication factor of topic "${topicOf(c, e)}"`,
    hint: () => 'it must be at least 1 and at most the number of brokers (1 on the embedded broker); omit it to use 1',
  },
  TOPIC_ALREADY_EXISTS: { code: 'TOPIC_EXISTS', message: (c, e) => `Topic "${topicOf(c, e)}" already exists`, hint: () => 'use kafka.topic(name), or delete it first' },
  INVALID_CONFIG: { code: 'INVALID_TOPIC_CONFIG', message: (c, e) => `Kafka refused the config of topic "${topicOf(c, e)}"`, hint: () => 'check the names and values in `config` against the broker\'s topic configs' },
  POLICY_VIOLATION: { code: 'POLICY_VIOLATION', message: (c, e) => `The cluster's policy refused topic "${topicOf(c, e)}"`, hint: () => 'ask the cluster operator which names, partition counts and configs are allowed' },
  UNKNOWN_TOPIC_OR_PARTITION: {
    code: 'UNKNOWN_TOPIC',
    // kafkajs rarely says which topic: its metadata refresh covers every topic it has seen.
    message: (c, e) => (e.topic ? `Topic "${e.topic}" (or one of its partitions) does not exist on the broker` : `Kafka says a topic or partition does not exist${c.topic ? ` (during ${c.op ?? 'a request'} on "${c.topic}")` : ''}`),
    hint: () => 'a topic may have been deleted meanwhile (or the broker restarted without its data); list topics with kafka.topics()',
  },
  MESSAGE_TOO_LARGE: { code: 'RECORD_TOO_LARGE', message: () => 'A record is larger than the broker accepts', hint: () => "split large rows, or raise the topic's max.message.bytes" },
  RECORD_LIST_TOO_LARGE: { code: 'RECORD_TOO_LARGE', message: () => 'A produce request is larger than the broker accepts', hint: () => 'pass a smaller `chunk` to produce()' },
  TOPIC_AUTHORIZATION_FAILED: { code: 'NOT_AUTHORIZED', message: (c, e) => `Not authorized to access topic "${topicOf(c, e)}"`, hint: () => 'ask for ACLs on the topic, or check the sasl credentials' },
  GROUP_AUTHORIZATION_FAILED: { code: 'NOT_AUTHORIZED', message: () => 'Not authorized to use this consumer group', hint: () => 'ask for group ACLs, or pick another group' },
  CLUSTER_AUTHORIZATION_FAILED: { code: 'NOT_AUTHORIZED', message: () => 'Not authorized for this cluster operation', hint: () => 'creating or deleting topics needs topic or cluster ACLs, and the idempotent producer IDEMPOTENT_WRITE on brokers before Kafka 2.8' },
  SASL_AUTHENTICATION_FAILED: {
    code: 'AUTHENTICATION_FAILED',
    message: (_c, e) => `Kafka rejected the SASL credentials${e?.message ? ` (${e.message})` : ''}`,
    hint: () => 'check sasl.mechanism, username and password',
  },
  UNSUPPORTED_SASL_MECHANISM: { code: 'AUTHENTICATION_FAILED', message: () => 'The broker does not offer this SASL mechanism', hint: () => "try 'plain', 'scram-sha-256' or 'scram-sha-512' as the broker's listener is configured" },
};

const CONNECTION_LOST = /Closed connection|Connection error|Connection timeout|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|No broker available|broker not connected/i;

/** The error as a KafkalabError when it is a Kafka error we can explain; other errors unchanged. */
export function explainKafkaError(err: unknown, ctx: ErrorContext): unknown {
  if (err instanceof KafkalabError || !(err instanceof Error)) return err;
  const e = err as KafkajsLike;
  // The first explainable error inside retries and aggregates decides.
  // kafkajs's SASL failure carries no Kafka error type: it is SASL_AUTHENTICATION_FAILED all the same.
  const sasl = chain(e).find((x) => x.name === 'KafkaJSSASLAuthenticationError');
  const inner = sasl ? Object.assign(Object.create(sasl) as KafkajsLike, { type: 'SASL_AUTHENTICATION_FAILED' }) : innermost(e);
  const known = explained(inner.type);
  if (known) {
    const retriable = isRetriable(ErrorCode[inner.type as ErrorName]);
    return new KafkalabError(known.message(ctx, inner), { code: known.code, hint: known.hint?.(ctx, inner), retriable, cause: err });
  }
  if (isConnectionLoss(e)) {
    const where = brokerOf(e) ?? ctx.brokers.join(',');
    return new KafkalabError(`Lost the connection to Kafka at ${where} (${reasonOf(e)})`, { code: 'KAFKA_CONNECTION_LOST', hint: 'is the broker still running?', retriable: true, cause: err });
  }
  if (/^KafkaJS/.test(e.name) || /^KafkaJS/.test(inner.name)) {
    const what = ctx.op ? `${ctx.op}${ctx.topic ? ` on "${ctx.topic}"` : ''} failed` : 'Kafka request failed';
    return new KafkalabError(`${what}: ${inner.message}`, { code: 'KAFKA_ERROR', retriable: inner.retriable === true, cause: err });
  }
  return err;
}

function explained(type: string | undefined): Entry | undefined {
  return type && Object.hasOwn(EXPLAINED, type) ? EXPLAINED[type as ErrorName] : undefined;
}

function chain(e: KafkajsLike): KafkajsLike[] {
  const out: KafkajsLike[] = [];
  const seen = new Set<unknown>();
  const visit = (x: unknown) => {
    if (!(x instanceof Error) || seen.has(x) || out.length > 16) return;
    seen.add(x);
    out.push(x as KafkajsLike);
    const k = x as KafkajsLike;
    for (const sub of k.errors ?? []) visit(sub);
    visit(k.cause);
    visit((k as { originalError?: unknown }).originalError);
  };
  visit(e);
  return out;
}

function innermost(e: KafkajsLike): KafkajsLike {
  const all = chain(e);
  return all.find((x) => explained(x.type)) ?? all[all.length - 1];
}

function isConnectionLoss(e: KafkajsLike): boolean {
  return chain(e).some(
    (x) =>
      x.name === 'KafkaJSConnectionError' ||
      x.name === 'KafkaJSConnectionClosedError' ||
      x.name === 'KafkaJSRequestTimeoutError' ||
      x.name === 'KafkaJSNoBrokerAvailableError' ||
      (typeof x.code === 'string' && /^E[A-Z]+$/.test(x.code)) ||
      CONNECTION_LOST.test(x.message),
  );
}

function brokerOf(e: KafkajsLike): string | undefined {
  for (const x of chain(e)) {
    if (typeof x.broker === 'string' && x.broker) return x.broker;
    if (x.host && x.port) return `${x.host}:${x.port}`;
  }
  return undefined;
}

/** A short reason: the socket error code when there is one. */
export function reasonOf(err: unknown): string {
  const all = err instanceof Error ? chain(err as KafkajsLike) : [];
  for (const e of all) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    const m = /(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|EAI_AGAIN|EPIPE)/.exec(String(e.message ?? ''));
    if (m) return m[1];
  }
  for (const e of all) {
    if (e.name === 'KafkaJSConnectionClosedError' || /Closed connection/i.test(e.message)) return 'connection closed';
    if (e.name === 'KafkaJSRequestTimeoutError' || /timed? ?out/i.test(e.message)) return 'timeout';
  }
  return (err as Error)?.message ?? String(err);
}

/** The error connect() gives when no broker answers. */
export function unreachable(brokers: string[], source: 'option' | 'env' | 'embedded', err: unknown): KafkalabError {
  const hint =
    source === 'embedded'
      ? 'something on localhost:9092 is not a working Kafka broker; stop it or set KAFKA_BROKERS'
      : source === 'env'
        ? 'check KAFKA_BROKERS, or unset it to use the embedded broker'
        : 'set KAFKA_BROKERS or omit it to use the embedded broker';
  const known = explainKafkaError(err, { brokers });
  if (known instanceof KafkalabError && known.code === 'AUTHENTICATION_FAILED') return known;
  return new KafkalabError(`Cannot reach Kafka at ${brokers.join(',')} (${reasonOf(err)})`, { code: 'KAFKA_UNREACHABLE', hint, retriable: true, cause: err });
}

/**
 * kafkajs logs every retried connection attempt at ERROR with a stack; the failure that
 * matters reaches the caller as a thrown (and explained) error. So retry noise is debug, and
 * what remains at ERROR/WARN is a warning without the stack (that stays at debug).
 */
const RETRY_NOISE =
  /Connection error|Connection timeout|Closed connection|Failed to connect|reconnecting|Restarting the consumer|rebalancing|re-joining|resync group|Response without match|Request .* timed out|Failed to send messages|Cluster has disconnected|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Limiting retries for the idempotent producer/i;
const NOISY_NAMESPACES = new Set(['Connection', 'BrokerPool']);

export function kafkajsLogger(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ namespace, level, log }) => {
      const { message: rawMessage, stack: rawStack, timestamp: _t, logger: _l, ...rawFields } = log as { message: string; stack?: unknown; timestamp?: unknown; logger?: unknown; [k: string]: unknown };
      const l = logger.child(`kafkajs:${namespace}`);
      // The caller's logger may not redact: kafkajs's messages and fields go through the one helper first.
      const message = redactText(rawMessage);
      const fields = redact(rawFields);
      const stack = typeof rawStack === 'string' ? redactText(rawStack) : rawStack;
      const serious = level === kafkajsLevel.ERROR || level === kafkajsLevel.WARN;
      if (!serious || NOISY_NAMESPACES.has(namespace) || RETRY_NOISE.test(message)) {
        l.debug(message, stack === undefined ? fields : { ...fields, stack });
        return;
      }
      l.warn(message, fields);
      if (stack !== undefined) l.debug(`${message} (stack)`, { stack });
    };
}
