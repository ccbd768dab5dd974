/**
 * Idempotent-producer bookkeeping, as Kafka does it: InitProducerId hands out ids; per producer
 * id and partition the broker remembers the epoch, the last sequence and the last five batches,
 * so a retried batch gets its original offset back instead of being appended twice.
 * The state is in memory and rebuilt lazily after a restart: the first idempotent batch for a
 * partition scans that partition's tail (its last batches) for every producer's sequences, so a
 * batch retried across a broker crash is still recognised. Producers whose batches are no longer
 * in that tail are accepted at any sequence.
 */
import { LOG_OVERHEAD, BATCH_HEADER_BYTES, readBatchHeader } from '../protocol/record-batch';

/** How far back (in offsets) the tail scan starts; it narrows when that much data is too big to read. */
const TAIL_OFFSETS = 10_000;
const TAIL_BYTES = 8 * 1024 * 1024;

export interface TailReadable {
  readonly logStartOffset: number;
  readonly nextOffset: number;
  read(offset: number, maxBytes: number): Buffer;
}
export const INVALID_PRODUCER_EPOCH = 47;
export const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const KEEP_BATCHES = 5;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}
interface PartitionProducer {
  epoch: number;
  lastSeq: number;
  recent: BatchMeta[];
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number } | { kind: 'error'; code: number };

export class ProducerStates {
  // Seeded from the clock so ids stay unique across restarts without persisting a counter.
  private nextId = Date.now();
  private state = new Map<string, PartitionProducer>();
  private loaded = new Set<string>();

  /** A new producer id (epoch 0); transactional ids get theirs from the transaction coordinator. */
  newProducerId(): { producerId: number; epoch: number } {
    return { producerId: this.nextId++, epoch: 0 };
  }

  private key(producerId: number, topic: string, partition: number): string {
    return `${producerId}:${topic}/${partition}`;
  }

  check(topic: string, partition: number, producerId: number, epoch: number, firstSeq: number, recordCount: number): SequenceCheck {
    if (producerId < 0) return { kind: 'append' };
    const s = this.state.get(this.key(producerId, topic, partition));
    if (!s) return { kind: 'append' };
    if (epoch < s.epoch) return { kind: 'error', code: INVALID_PRODUCER_EPOCH };
    if (epoch > s.epoch) return { kind: 'append' };
    const lastSeq = seqAdd(firstSeq, recordCount - 1);
    const dup = s.recent.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    if (firstSeq !== seqAdd(s.lastSeq, 1)) return { kind: 'error', code: OUT_OF_ORDER_SEQUENCE_NUMBER };
    return { kind: 'append' };
  }

  appended(topic: string, partition: number, producerId: number, epoch: number, firstSeq: number, recordCount: number, baseOffset: number): void {
    if (producerId < 0) return;
    const k = this.key(producerId, topic, partition);
    let s = this.state.get(k);
    if (!s || epoch > s.epoch) this.state.set(k, (s = { epoch, lastSeq: -1, recent: [] }));
    const lastSeq = seqAdd(firstSeq, recordCount - 1);
    s.lastSeq = lastSeq;
    s.recent.push({ firstSeq, lastSeq, baseOffset });
    if (s.recent.length > KEEP_BATCHES) s.recent.shift();
  }

  /** Rebuilds producer sequences from a partition's last batches, once per partition per broker run. */
  loadTail(topic: string, partition: number, log: TailReadable): void {
    const key = `${topic}/${partition}`;
    if (this.loaded.has(key)) return;
    this.loaded.add(key);
    if (log.nextOffset === log.logStartOffset) return;
    for (let back = TAIL_OFFSETS; back >= 1; back = Math.floor(back / 10)) {
      const from = Math.max(log.logStartOffset, log.nextOffset - back);
      const data = log.read(from, TAIL_BYTES);
      const headers = [];
      let at = 0;
      while (at + BATCH_HEADER_BYTES <= data.length) {
        const h = readBatchHeader(data, at);
        if (at + LOG_OVERHEAD + h.batchLength > data.length) break;
        headers.push(h);
        at += LOG_OVERHEAD + h.batchLength;
      }
      const last = headers[headers.length - 1];
      if (!last || last.baseOffset + last.lastOffsetDelta < log.nextOffset - 1) continue; // did not reach the end
      for (const h of headers) {
        if (h.producerId >= 0 && h.baseSequence >= 0) this.appended(topic, partition, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount, h.baseOffset);
      }
      return;
    }
  }

  /** Forget a deleted topic's partitions. */
  dropTopic(topic: string): void {
    for (const k of this.state.keys()) if (k.slice(k.indexOf(':') + 1).startsWith(topic + '/')) this.state.delete(k);
    for (const k of this.loaded) if (k.startsWith(topic + '/')) this.loaded.delete(k);
  }
}

/** Sequences wrap from 2^31-1 to 0. */
function seqAdd(seq: number, n: number): number {
  return (seq + n) % 2147483648;
}
