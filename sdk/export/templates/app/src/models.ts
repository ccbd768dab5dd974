/**
 * The models this app scores with: the live one and, while one is published, a candidate run in
 * shadow. Without MODEL_TOPIC that is the model baked into model/. With it, the app reads the
 * models topic to its end before consuming (so a restart resumes the latest published version)
 * and then follows it (the runtime's ModelFeed): each new live version is loaded beside the
 * running one and swapped in between batches; a batch is scored by the version it started with,
 * start to end, and committed once, so a swap neither loses nor double-scores a record.
 * A candidate published under the same name runs in shadow; publishing it as live (promoteModel)
 * makes the shadow instance the live one without a reload. Window state carries over when the
 * new version keeps the same windows.
 */
import { DriftMonitor, ModelFeed, PartitionWindows, readModelVersion, Scorer, type BackendName, type ModelRole, type ModelVersion } from '@kafkalab/runtime';
import type { Kafka } from 'kafkajs';
import { MatrixBatcher } from './batcher';
import { ChunkDecoder } from './chunk';
import type { Config } from './config';
import type { Logger } from './log';
import { Histogram, type Metrics } from './metrics';
import { piece, type Piece } from './result-json';

/** Score histogram buckets, as multiples of the model's threshold. */
const SCORE_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 100];

/** One loaded model version with everything scoring needs beside it. */
export class ActiveModel {
  readonly chunks: ChunkDecoder;
  readonly batcher: MatrixBatcher;
  /** Window state per partition, restored by app.ts before a gained or replayed partition is scored. */
  readonly windows: PartitionWindows;
  readonly drift: DriftMonitor | undefined;
  readonly scores: Histogram;
  /** Constant JSON fragments of each result. */
  readonly thresholdJson: Piece;
  readonly featureJson: Piece[];
  readonly versionJson: Piece;
  private users = 0;
  private retired = false;

  constructor(
    readonly version: string,
    readonly scorer: Scorer,
    config: Config,
    metrics: Metrics,
  ) {
    this.chunks = new ChunkDecoder(scorer, config.passthroughFields);
    this.windows = new PartitionWindows(() => scorer.newState());
    this.batcher = new MatrixBatcher({
      width: scorer.inputWidth,
      maxRows: config.batchSize,
      maxMs: config.batchMs,
      run: async (input, rows) => scorer.reconstruct(input, rows),
      onCall: (rows, seconds) => {
        metrics.batches.inc();
        metrics.recordsScored.inc(rows);
        metrics.modelSeconds.observe(seconds);
      },
    });
    this.drift = DriftMonitor.supports(scorer.spec) ? new DriftMonitor(scorer.spec, config.driftWindow) : undefined;
    const t = scorer.threshold;
    this.scores = new Histogram('scorer_score', 'Scores of the live model (buckets are multiples of its threshold)', SCORE_BUCKETS.map((m) => m * t), { model_version: version });
    this.thresholdJson = piece(`,"threshold":${Number.isFinite(t) ? t : 'null'},"anomaly":`);
    this.featureJson = scorer.spec.features.map((f) => piece(`{"feature":${JSON.stringify(f)},"error":`));
    this.versionJson = piece(`,"model_version":${JSON.stringify(version)}`);
  }

  acquire(): this {
    this.users++;
    return this;
  }

  release(): void {
    if (--this.users === 0 && this.retired) this.scorer.model.dispose();
  }

  /** No new batch will take it; its network is freed once the batches holding it finish. */
  retire(): void {
    this.retired = true;
    if (this.users === 0) this.scorer.model.dispose();
  }
}

export class ModelSet {
  live!: ActiveModel;
  candidate: ActiveModel | undefined;
  private feed: ModelFeed | undefined;
  private readonly backend = (process.env.TFJS_BACKEND || undefined) as BackendName | undefined;

  private constructor(
    private readonly config: Config,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    metrics.collect(() => this.collect());
  }

  /** The baked model, then (with MODEL_TOPIC) the latest published versions, then following the topic. */
  static async start(config: Config, kafka: Kafka, baked: Scorer, metrics: Metrics, log: Logger): Promise<ModelSet> {
    const set = new ModelSet(config, metrics, log);
    set.live = new ActiveModel((await readModelVersion(config.modelDir)).version, baked, config, metrics);
    if (config.modelTopic) {
      set.feed = new ModelFeed(kafka, {
        topic: config.modelTopic,
        name: config.modelName,
        onChange: (role, v) => set.apply(role, v),
        onError: (err, offset) => {
          metrics.modelErrors.inc();
          log.warn('models topic: record or fetch skipped', { topic: config.modelTopic, offset, error: err });
        },
      });
      const latest = await set.feed.start();
      if (latest.live) await set.apply('live', latest.live);
      if (latest.candidate) await set.apply('candidate', latest.candidate);
    }
    return set;
  }

  /** The models a batch scores with, held until `release`. */
  acquire(): { live: ActiveModel; candidate: ActiveModel | undefined } {
    return { live: this.live.acquire(), candidate: this.candidate?.acquire() };
  }

  release(held: { live: ActiveModel; candidate: ActiveModel | undefined }): void {
    held.live.release();
    held.candidate?.release();
  }

  async stop(): Promise<void> {
    await this.feed?.stop();
  }

  /** A change on the models topic: a new live or candidate version, or the candidate cleared. */
  private async apply(role: ModelRole, v: ModelVersion | undefined): Promise<void> {
    const current = role === 'live' ? this.live : this.candidate;
    if (v?.version === current?.version) return;
    if (role === 'live' && v && this.candidate?.version === v.version) {
      // Promotion: the shadow instance, warmed up on the same records, becomes the live one.
      const old = this.live;
      this.live = this.candidate;
      this.candidate = undefined;
      old.retire();
      this.swapped('live', old.version, v.version, 0);
      return;
    }
    if (!v) {
      if (role === 'candidate' && this.candidate) {
        this.candidate.retire();
        this.log.info('shadow model cleared', { version: this.candidate.version });
        this.candidate = undefined;
      }
      return;
    }
    const started = process.hrtime.bigint();
    let next: ActiveModel;
    try {
      next = new ActiveModel(v.version, await Scorer.fromVersion(v, { backend: this.backend }), this.config, this.metrics);
    } catch (err) {
      this.metrics.modelErrors.inc();
      this.log.error('model version cannot be loaded; keeping the current one', { role, version: v.version, error: err });
      return;
    }
    // Set synchronously after the load: batches already running keep the version they started with.
    next.windows.inherit(this.live.windows);
    const old = role === 'live' ? this.live : this.candidate;
    if (role === 'live') this.live = next;
    else this.candidate = next;
    old?.retire();
    this.swapped(role, old?.version, v.version, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private swapped(role: ModelRole, from: string | undefined, to: string, loadSeconds: number): void {
    this.metrics.modelSwaps.inc(1, { role });
    this.log.info(role === 'live' ? 'model swapped' : 'shadow model loaded', { role, from, to, loadMs: Math.round(loadSeconds * 1000) });
  }

  /** Refreshes the model gauges before each /metrics render. */
  private collect(): void {
    const m = this.metrics;
    m.modelInfo.clear();
    m.modelInfo.set(1, { role: 'live', model_version: this.live.version, threshold: this.live.scorer.threshold });
    if (this.candidate) m.modelInfo.set(1, { role: 'candidate', model_version: this.candidate.version, threshold: this.candidate.scorer.threshold });
    m.scoreHistograms = [this.live.scores, ...(this.candidate ? [this.candidate.scores] : [])];
    m.drift.clear();
    m.driftRows.clear();
    const d = this.live.drift;
    if (d) {
      const psi = d.values();
      d.features.forEach((f, i) => m.drift.set(psi[i], { feature: f, model_version: this.live.version }));
      m.driftRows.set(d.rows, { model_version: this.live.version });
    }
  }
}
