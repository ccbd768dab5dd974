/**
 * The streaming loop: consume a batch per partition (consumer group, so instances share the
 * partitions), decode and prepare it with kafkalab's runtime (chunk.ts), score through the
 * micro-batcher, publish results and dead letters, and only then commit the batch's offsets
 * (at-least-once); with PROCESSING_GUARANTEE=exactly-once the outputs and the offset are written
 * in one transaction per batch (transactions.ts).
 */
import { completeProducer, openFetcher, readRange, reasonKind, SchemaRegistryClient, type FeatureState, type Scorer, type WindowSource } from '@kafkalab/runtime';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import { loadSchemas, useSchemaRegistry, type Chunk } from './chunk';
import { avroResults } from './avro-output';
import { float32Json, scoreJson } from './format';
import { createResultProducer, sendChunks, type ValueWriter } from './producer';
import { keyJson, P, piece, TextOut, type JsonOut } from './result-json';
import { createTransactions } from './transactions';
import type { Config } from './config';
import { kafkaLogCreator, type Logger } from './log';
import type { Metrics } from './metrics';
import { ModelSet, type ActiveModel } from './models';
import { shadowComparison } from './shadow';

/** Commit errors that mean the member no longer owns its partitions as of this generation (Kafka's names). */
const GROUP_MOVED_ON = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

export const DLQ_HEADERS = {
  reason: 'kafkalab.error',
  topic: 'kafkalab.source.topic',
  partition: 'kafkalab.source.partition',
  offset: 'kafkalab.source.offset',
  timestamp: 'kafkalab.source.timestamp',
} as const;

export interface RunningApp {
  /** True once the consumer has joined its group (it stays true through later rebalances). */
  joined(): boolean;
  assignment(): Record<string, number[]>;
  /** Finishes the in-flight batch, commits it, leaves the group and disconnects. */
  stop(): Promise<void>;
  /** Resolves when the consumer crashes for good (kafkajs gave up restarting it). */
  crashed: Promise<Error>;
}

export async function startApp(config: Config, scorer: Scorer, metrics: Metrics, log: Logger): Promise<RunningApp> {
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as never, // the three mechanisms share one shape; kafkajs types them as a union
    logLevel: { debug: logLevel.DEBUG, info: logLevel.INFO, warn: logLevel.WARN, error: logLevel.ERROR }[config.logLevel],
    logCreator: kafkaLogCreator(log),
  });
  // kafkajs's producer with the Java client's murmur2 partitioner, made complete: kafkajs 2.2.4's
  // send() can resolve with the records of a partition whose leader moved mid-send never written
  // (kafkajs#1303); completeProducer keeps each record's partition and resends what was not acknowledged.
  const producer: Producer = completeProducer(kafka, { allowAutoTopicCreation: true });
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: config.heartbeatIntervalMs,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 500,
  });

  let joined = false;
  let assignment: Record<string, number[]> = {};
  let crash!: (err: Error) => void;
  const crashed = new Promise<Error>((resolve) => (crash = resolve));
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    assignment = payload.memberAssignment;
    void transactions?.retain(assignment[config.inputTopic] ?? []);
    // Window state of partitions taken away is dropped: their new owner restores it. Gained
    // partitions are restored now, while kafkajs looks up their offsets and fetches.
    const owned = assignment[config.inputTopic] ?? [];
    for (const m of [models.live, models.candidate]) m?.windows.keep(owned);
    for (const p of owned) {
      if (models.live.windows.has(p)) continue;
      gainedAt.set(p, process.hrtime.bigint());
      if (!restoring.has(p)) restoring.set(p, restoreAhead(p));
    }
    log.info('joined consumer group', { groupId: payload.groupId, memberId: payload.memberId, leader: payload.isLeader, assignment: payload.memberAssignment });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error('consumer crashed', { error: payload.error, restart: payload.restart });
    if (!payload.restart) crash(payload.error);
  });

  await producer.connect();
  const output = await createResultProducer(kafka, producer, config.outputTopic, config.produceEncoder, log);
  const transactions = config.processingGuarantee === 'exactly-once' ? await createTransactions(kafka, output, config, log) : undefined;
  if (transactions) log.info('exactly-once: one transaction per input batch', { transactionalIds: transactions.idFor(0).replace(/0$/, '<partition>'), encoder: transactions.encoder });
  const registry = config.schemaRegistry && new SchemaRegistryClient(config.schemaRegistry);
  useSchemaRegistry(registry);
  // OUTPUT_FORMAT=avro: each result's JSON encoded with a schema registered under <OUTPUT_TOPIC>-value.
  const encode = registry && config.outputFormat === 'avro' ? await avroResults(registry, config.outputTopic, config.passthroughFields) : undefined;
  log.info('result encoder', { encoder: output.encoder });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.inputTopic], fromBeginning: config.fromBeginning });

  // The restore's reads: the group's commits (offset and window checkpoint) and group-less fetches.
  const admin = kafka.admin();
  await admin.connect();
  const fetcher = await openFetcher(kafka, config.inputTopic);
  await fetcher.connect();
  const source = (model: ActiveModel): WindowSource<KafkaMessage> => ({
    committed: async (partition) => {
      const [t] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.inputTopic] });
      const p = t?.partitions.find((x) => x.partition === partition);
      return { offset: Number(p?.offset ?? -1), metadata: p?.metadata ?? null };
    },
    logStart: async (partition) => Number((await admin.fetchTopicOffsets(config.inputTopic)).find((x) => x.partition === partition)?.low ?? 0),
    read: (partition, from, to, on) =>
      readRange(fetcher, partition, from, to, async (messages) => {
        await loadSchemas(messages as unknown as KafkaMessage[]); // framed records replayed into the windows need their schemas too
        await on(messages as unknown as KafkaMessage[]);
      }),
    feed: (records, partition, state) => {
      for (let at = 0; at < records.length; at += config.batchSize) model.chunks.decode(records.slice(at, at + config.batchSize), partition, state);
    },
  });
  /** The model's window state of the partition standing at `offset`, restored first when it does not (gained, or replayed after a failed commit). */
  const stateAt = async (model: ActiveModel, partition: number, offset: number): Promise<{ state: FeatureState; restoreMs?: number }> => {
    await restoring.get(partition);
    const ready = model.windows.at(partition, offset);
    return ready ? { state: ready } : restore(model, partition, offset);
  };
  const restore = async (model: ActiveModel, partition: number, offset: number): Promise<{ state: FeatureState; restoreMs: number }> => {
    const { state, report } = await model.windows.restore(partition, offset, source(model));
    metrics.restoreSeconds.observe(report.ms / 1000);
    metrics.restoredRecords.inc(report.records);
    log.info('window state restored', { topic: config.inputTopic, model: model === models.live ? 'live' : 'candidate', modelVersion: model.version, ...report });
    return { state, restoreMs: report.ms };
  };
  /** A gained partition's restore up to its committed offset (where kafkajs starts), started on the group join. */
  const restoring = new Map<number, Promise<void>>();
  /** When each gained partition was assigned, until its first batch is committed (the figure logged then). */
  const gainedAt = new Map<number, bigint>();
  const restoreAhead = async (partition: number): Promise<void> => {
    try {
      const { live, candidate } = models;
      const { offset } = await source(live).committed(partition);
      // A candidate in shadow restores too (its windows may reach further back: the checkpoint covers both).
      for (const m of [live, candidate]) if (m && offset >= 0 && !m.windows.has(partition)) await restore(m, partition, offset);
    } catch (err) {
      log.warn('window restore on join failed; the first batch restores instead', { partition, error: err });
    } finally {
      restoring.delete(partition);
    }
  };

  // The model (and a candidate in shadow) each batch scores with, swapped between batches (models.ts).
  const models = await ModelSet.start(config, kafka, scorer, metrics, log);
  const handleBatch = async (payload: EachBatchPayload): Promise<void> => {
    if (payload.batch.isEmpty()) {
      // Only control records (or aborted transactions): the window state stands past them as well.
      const { batch } = payload;
      const first = batch.firstOffset();
      for (const m of [models.live, models.candidate]) {
        const ready = first === null ? undefined : m?.windows.at(batch.partition, Number(first));
        if (ready) m!.windows.advance(batch.partition, ready, Number(batch.lastOffset()) + 1);
      }
      return;
    }
    const held = models.acquire();
    try {
      await scoreBatch(payload, held.live, held.candidate);
    } catch (err) {
      await transactions?.fail(payload.batch.partition, err); // aborts the batch's open transaction
      throw err;
    } finally {
      models.release(held);
    }
  };
  const scoreBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload, live: ActiveModel, candidate: ActiveModel | undefined): Promise<void> => {
    const { scorer, chunks, windows, batcher, thresholdJson: threshold, featureJson, versionJson } = live;
    const top = new Int32Array(Math.min(config.topFeatures, scorer.width));
    const started = process.hrtime.bigint();
    const { topic, partition, messages } = batch;
    if (transactions && !transactions.has(partition)) {
      // The partition's first transaction here (gained, restarted, or after a failed one): its
      // producer's InitProducerId fences the previous owner, whose last transaction may have
      // committed after kafkajs read the position this batch starts at. Only now is the
      // committed offset final: when it moved past this batch, read on from there instead.
      await transactions.ready(partition);
      const { offset } = await source(live).committed(partition);
      if (offset > Number(batch.firstOffset())) {
        log.warn('the previous owner committed after this batch was fetched; reading on from its commit', { topic, partition, fetched: batch.firstOffset(), committed: offset });
        consumer.seek({ topic, partition, offset: String(offset) });
        return;
      }
    }
    const { state, restoreMs } = await stateAt(live, partition, Number(batch.firstOffset()));
    metrics.recordsIn.inc(messages.length);
    const loading = loadSchemas(messages); // new schema ids of framed records, before any state advances
    if (loading) await loading;

    // Window state advances here, synchronously and in offset order; only the model call waits
    // for the batcher, so concurrent partitions never interleave one key's readings.
    const prepared: Chunk[] = [];
    const dead: Message[] = [];
    for (let at = 0; at < messages.length; at += config.batchSize) {
      const chunk = chunks.decode(messages.slice(at, at + config.batchSize), partition, state);
      for (const d of chunk.dead) dead.push(deadLetter(d.message, topic, partition, d.reason));
      prepared.push(chunk);
    }
    windows.advance(partition, state, Number(batch.lastOffset()) + 1);
    const shadowState = candidate && (await stateAt(candidate, partition, Number(batch.firstOffset()))).state;
    const shadow = candidate && shadowComparison(candidate, shadowState!, messages, partition, config.batchSize);
    if (candidate) candidate.windows.advance(partition, shadowState!, Number(batch.lastOffset()) + 1);
    const reconstructions = await Promise.all(prepared.map((c) => batcher.submit(c.input, c.rows)));
    await shadow?.scored;

    const txn = await transactions?.begin(partition);
    const results = (txn ?? output).batch(config.outputTopic, config.outputMode === 'all' ? messages.length : 64);
    const sourceJson = piece(`,"source":{"topic":${JSON.stringify(topic)},"partition":${partition},"offset":`);
    // Results go straight into their partition's batch on the fast path; as strings otherwise.
    const fast = !encode && results.begin ? results : undefined;
    const text = new TextOut();
    let anomalies = 0;
    prepared.forEach((c, i) => {
      const recon = reconstructions[i];
      const scores = scorer.scores(c.input, recon);
      live.drift?.observe(c.matrix, c.rows);
      for (let r = 0; r < c.rows; r++) live.scores.observe(scores[r]);
      let errors: Float32Array | undefined; // only when some row is published (anomalies mode often has none)
      for (let r = 0; r < c.rows; r++) {
        const anomaly = scorer.isAnomaly(scores[r]);
        if (anomaly) anomalies++;
        const m = c.source[r];
        const shadowJson = shadow ? shadow.compare(m, anomaly, scores[r]) : '';
        if (!anomaly && config.outputMode === 'anomalies') continue;
        const timestamp = Number(m.timestamp);
        // {"key":K,"source":{"topic":T,"partition":P,"offset":O,"timestamp":TS},"score":S,"threshold":T,"anomaly":A,"model_version":V,"top":[...](,"fields":{...})(,"shadow":{...})}
        const out: JsonOut = fast ? fast.begin!(m.key, timestamp) : text.reset();
        out.bytes(P.key);
        keyJson(out, m.key);
        out.bytes(sourceJson);
        out.ascii(m.offset);
        out.bytes(P.timestamp);
        out.ascii(m.timestamp);
        out.bytes(P.score);
        out.ascii(scoreJson(scores[r]));
        out.bytes(threshold);
        out.bytes(anomaly ? P.true : P.false);
        out.bytes(versionJson);
        out.bytes(P.top);
        if (config.topFeatures > 0) {
          errors ??= scorer.errors(c.input, recon);
          const n = scorer.topInto(errors, r, top);
          const base = r * scorer.width;
          for (let k = 0; k < n; k++) {
            if (k) out.bytes(P.comma);
            out.bytes(featureJson[top[k]]);
            out.ascii(float32Json(errors[base + top[k]]));
            out.bytes(P.close);
          }
        }
        out.bytes(P.endTop);
        if (config.passthroughFields.length) {
          out.bytes(P.fields);
          out.text(c.fields[r]);
          out.bytes(P.close);
        }
        if (shadowJson) out.text(shadowJson);
        out.bytes(P.close);
        if (fast) (out as ValueWriter).endValue();
        else results.add(m.key, encode ? encode(text.s) : text.s, timestamp);
      }
    });

    const comparison = shadow?.summary(live, topic);
    if (txn) {
      // One transaction's sends one after another (each registers its partitions first).
      await results.send();
      await txn.send(config.dlqTopic, dead);
      if (comparison) await txn.send(config.shadowTopic, [comparison]);
    } else await Promise.all([results.send(), sendChunks(producer, config.dlqTopic, dead), comparison ? sendChunks(producer, config.shadowTopic, [comparison]) : undefined]);
    if (shadow) {
      metrics.shadowRows.inc(shadow.rows);
      metrics.shadowDisagreements.inc(shadow.disagreements);
    }
    metrics.recordsOut.inc(results.count);
    metrics.anomalies.inc(anomalies);
    if (dead.length) for (const d of dead) metrics.dlq.inc(1, { reason: reasonKind(String(d.headers![DLQ_HEADERS.reason])) });

    // A revoked partition belongs to another member now: it re-reads from the last commit,
    // which duplicates these outputs (at-least-once; exactly-once aborts them) but loses nothing.
    if (!isRunning() || isStale()) {
      await transactions?.abort(partition);
      return;
    }
    const last = batch.lastOffset();
    // The window checkpoint goes with the offset, in one commit: the restore's starting point.
    const commit = { topic, partition, offset: (BigInt(last) + 1n).toString(), metadata: windows.checkpoint(state, Number(last) + 1, ...(shadowState ? [shadowState] : [])) };
    if (transactions) await transactions.commit(commit);
    else {
      try {
        await consumer.commitOffsets([commit]);
      } catch (err) {
        // The group moved on while this batch ran (this member was evicted, or a rebalance began):
        // the partition is re-read from its last commit by whoever owns it now, so this is the
        // revoked-batch case above, not a reason to stop. kafkajs rejoins on its next heartbeat.
        const type = (err as { type?: string; cause?: { type?: string } }).type ?? (err as { cause?: { type?: string } }).cause?.type;
        if (!type || !GROUP_MOVED_ON.has(type)) throw err;
        log.warn('commit refused: the group rebalanced during the batch; its records will be scored again', { topic, partition, offset: last, error: type });
        return;
      }
    }
    resolveOffset(last);
    metrics.lag.set(Math.max(0, Number(batch.highWatermark) - Number(last) - 1), { topic, partition });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.batchSeconds.observe(seconds);
    if (restoreMs !== undefined) log.info('first batch after a restore committed', { topic, partition, records: messages.length, restoreMs, batchMs: seconds * 1000 });
    const gained = gainedAt.get(partition);
    if (gained !== undefined) {
      gainedAt.delete(partition);
      log.info('first batch after a rebalance committed', { topic, partition, records: messages.length, sinceJoinMs: Number(process.hrtime.bigint() - gained) / 1e6, batchMs: seconds * 1000 });
    }
    await heartbeat();
  };

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: config.partitionsConcurrently,
    eachBatch: handleBatch,
  });

  return {
    joined: () => joined,
    assignment: () => assignment,
    crashed,
    stop: async () => {
      // kafkajs waits for the running eachBatch calls to finish before it leaves the group.
      await consumer.disconnect();
      await models.stop();
      await transactions?.close();
      await fetcher.disconnect();
      await admin.disconnect();
      await output.disconnect();
      await producer.disconnect();
    },
  };
}

function deadLetter(m: KafkaMessage, topic: string, partition: number, reason: string): Message {
  return {
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
    headers: {
      ...m.headers,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.partition]: String(partition),
      [DLQ_HEADERS.offset]: m.offset,
      [DLQ_HEADERS.timestamp]: m.timestamp,
    },
  };
}
