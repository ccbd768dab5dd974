/**
 * A candidate model in shadow: it scores the same records as the live model (its own decoding,
 * window state and model calls), each result carries its verdict under `shadow`, and each batch
 * sends one comparison record to SHADOW_TOPIC. Nothing it does changes what the live model
 * publishes or commits.
 */
import type { FeatureState } from '@kafkalab/runtime';
import type { KafkaMessage, Message } from 'kafkajs';
import type { Chunk } from './chunk';
import type { ActiveModel } from './models';

export interface ShadowRun {
  /** Resolves once the candidate has scored the batch. */
  scored: Promise<void>;
  /** The `,"shadow":{…}` member of one live result, counted into the comparison. */
  compare(m: KafkaMessage, liveAnomaly: boolean, liveScore: number): string;
  /** The batch's comparison record (call after every compare). */
  summary(live: ActiveModel, topic: string): Message;
  readonly rows: number;
  readonly disagreements: number;
}

/**
 * Decodes and prepares the batch for the candidate now (synchronously, so its window state
 * advances in offset order like the live model's), and scores it through its own batcher.
 * `state` is the candidate's window state of the partition, standing at the batch's first
 * offset (restored like the live model's after a rebalance, from the same commit checkpoint).
 */
export function shadowComparison(candidate: ActiveModel, state: FeatureState, messages: KafkaMessage[], partition: number, chunkSize: number): ShadowRun {
  const byOffset = new Map<string, { score: number; anomaly: boolean }>();
  const chunks: Chunk[] = [];
  for (let at = 0; at < messages.length; at += chunkSize) chunks.push(candidate.chunks.decode(messages.slice(at, at + chunkSize), partition, state));
  const scored = Promise.all(chunks.map((c) => candidate.batcher.submit(c.input, c.rows))).then((recons) => {
    chunks.forEach((c, i) => {
      const scores = candidate.scorer.scores(c.input, recons[i]);
      for (let r = 0; r < c.rows; r++) {
        candidate.scores.observe(scores[r]);
        byOffset.set(c.source[r].offset, { score: scores[r], anomaly: candidate.scorer.isAnomaly(scores[r]) });
      }
    });
  });
  const version = JSON.stringify(candidate.version);
  const n = { rows: 0, disagreements: 0, liveAnomalies: 0, candidateAnomalies: 0, liveSum: 0, candidateSum: 0 };
  return {
    scored,
    get rows() {
      return n.rows;
    },
    get disagreements() {
      return n.disagreements;
    },
    compare(m, liveAnomaly, liveScore) {
      const s = byOffset.get(m.offset);
      if (!s) return `,"shadow":{"model_version":${version},"score":null,"anomaly":null}`;
      n.rows++;
      n.disagreements += Number(s.anomaly !== liveAnomaly);
      n.liveAnomalies += Number(liveAnomaly);
      n.candidateAnomalies += Number(s.anomaly);
      n.liveSum += liveScore;
      n.candidateSum += s.score;
      return `,"shadow":{"model_version":${version},"score":${Number.isFinite(s.score) ? s.score : 'null'},"anomaly":${s.anomaly}}`;
    },
    summary(live, topic) {
      const value = {
        live: live.version,
        candidate: candidate.version,
        source: { topic, partition, from: messages[0].offset, to: messages[messages.length - 1].offset },
        rows: n.rows,
        disagreements: n.disagreements,
        liveAnomalies: n.liveAnomalies,
        candidateAnomalies: n.candidateAnomalies,
        liveMeanScore: n.rows ? n.liveSum / n.rows : null,
        candidateMeanScore: n.rows ? n.candidateSum / n.rows : null,
        time: Date.now(),
      };
      return { key: `${topic}:${partition}`, value: JSON.stringify(value) };
    },
  };
}
