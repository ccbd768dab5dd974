/**
 * Prometheus text exposition (format 0.0.4), written by hand: a handful of counters, gauges and
 * one histogram do not justify a client library dependency.
 */
type Labels = Record<string, string | number>;

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  constructor(readonly name: string, readonly help: string, readonly type: 'counter' | 'gauge' | 'histogram') {}
  abstract lines(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n');
  }
}

export class Counter extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(by = 1, labels?: Labels): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  lines(): string[] {
    if (this.values.size === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${k} ${v}`);
  }
}

export class Gauge extends Metric {
  private values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(value: number, labels?: Labels): void {
    this.values.set(labelText(labels), value);
  }
  delete(labels?: Labels): void {
    this.values.delete(labelText(labels));
  }
  clear(): void {
    this.values.clear();
  }
  lines(): string[] {
    return [...this.values].map(([k, v]) => `${this.name}${k} ${v}`);
  }
}

export class Histogram extends Metric {
  private counts: number[];
  private sum = 0;
  private count = 0;
  /** `labels` are constant, carried by every line (e.g. the model version a histogram belongs to). */
  constructor(name: string, help: string, readonly buckets: number[], private readonly labels?: Labels) {
    super(name, help, 'histogram');
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) this.counts[i]++;
  }
  lines(): string[] {
    const l = labelText(this.labels);
    const le = (b: number | string) => (l ? `{${l.slice(1, -1)},le="${b}"}` : `{le="${b}"}`);
    const out = this.buckets.map((b, i) => `${this.name}_bucket${le(b)} ${this.counts[i]}`);
    out.push(`${this.name}_bucket${le('+Inf')} ${this.count}`, `${this.name}_sum${l} ${this.sum}`, `${this.name}_count${l} ${this.count}`);
    return out;
  }
}

export class Metrics {
  readonly recordsIn = new Counter('scorer_records_in_total', 'Records consumed from the input topic');
  readonly recordsScored = new Counter('scorer_records_scored_total', 'Records scored by the model');
  readonly recordsOut = new Counter('scorer_records_out_total', 'Records published to the output topic');
  readonly anomalies = new Counter('scorer_anomalies_total', 'Records whose score exceeded the threshold');
  readonly dlq = new Counter('scorer_dlq_total', 'Records sent to the dead-letter topic, by reason');
  readonly batches = new Counter('scorer_model_batches_total', 'Model calls (one per micro-batch)');
  readonly batchSeconds = new Histogram('scorer_batch_duration_seconds', 'Time from a Kafka batch arriving to its offsets being committed', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  readonly modelSeconds = new Histogram('scorer_model_duration_seconds', 'Time of one model call', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]);
  readonly restoreSeconds = new Histogram('scorer_window_restore_seconds', 'Time to restore a gained or replayed partition\'s window state before scoring it', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  readonly restoredRecords = new Counter('scorer_window_restored_records_total', 'Records re-read to restore window state');
  readonly lag = new Gauge('scorer_consumer_lag', 'High watermark minus the next offset to consume, per partition, as of the last batch');
  readonly ready = new Gauge('scorer_ready', '1 while the scorer runs (model loaded, consumer started), 0 while it shuts down');
  readonly info = new Gauge('scorer_info', 'Static information about this scorer');
  readonly modelInfo = new Gauge('scorer_model_info', 'The model versions scoring now (role live, or candidate in shadow) and their thresholds');
  readonly modelSwaps = new Counter('scorer_model_swaps_total', 'Model versions taken from MODEL_TOPIC, by role');
  readonly modelErrors = new Counter('scorer_model_errors_total', 'Records on MODEL_TOPIC that could not be used, and failed fetches of it');
  readonly drift = new Gauge('scorer_feature_drift_psi', 'Population stability index of each feature of the latest DRIFT_WINDOW..2xDRIFT_WINDOW rows against the training distribution');
  readonly driftRows = new Gauge('scorer_feature_drift_rows', 'Rows the drift figures cover');
  readonly shadowRows = new Counter('scorer_shadow_rows_total', 'Records scored by both the live and the candidate model');
  readonly shadowDisagreements = new Counter('scorer_shadow_disagreements_total', 'Records the live and the candidate model gave different verdicts');
  /** Score distributions of the models in use (set by the model set before each render). */
  scoreHistograms: Histogram[] = [];
  private readonly collectors: (() => void)[] = [];
  private readonly started = Date.now();

  /** Runs `fn` before each render (gauges computed on demand). */
  collect(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const fn of this.collectors) fn();
    const uptime = `# HELP scorer_uptime_seconds Seconds since the process started\n# TYPE scorer_uptime_seconds gauge\nscorer_uptime_seconds ${(Date.now() - this.started) / 1000}`;
    const all: Metric[] = [
      this.recordsIn, this.recordsScored, this.recordsOut, this.anomalies, this.dlq, this.batches, this.batchSeconds, this.modelSeconds, this.restoreSeconds, this.restoredRecords, this.lag, this.ready, this.info,
      this.modelInfo, this.modelSwaps, this.modelErrors, this.drift, this.driftRows, this.shadowRows, this.shadowDisagreements,
    ];
    // One HELP/TYPE header per metric name, however many versions have a histogram.
    const scores = this.scoreHistograms.map((h, i) => (i === 0 ? h.render() : h.lines().join('\n')));
    return [...all.map((m) => m.render()), ...scores].join('\n') + '\n' + uptime + '\n';
  }
}
