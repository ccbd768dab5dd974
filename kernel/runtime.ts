/**
 * Showing things from notebook code: `display(value)`, live views of streams (`watch`) and of
 * training (`trainingProgress`). Inside the kafkalab kernel they send Jupyter display messages
 * (updated in place through a display id); anywhere else they print text.
 *
 * The kernel side registers a bridge on `globalThis` rather than being imported, so that a
 * notebook that loads a second copy of kafkalab (its own `node_modules`) still reaches the
 * kernel it runs in.
 */
import { randomBytes } from 'crypto';
import { inspect } from 'util';
import { parseDuration } from '../sdk/util/duration';
import { line } from '../sdk/plot/charts';
import { loss } from '../sdk/plot/ml';
import { figureBundle, MimeBundle, plotlyLoaderHTML, RenderState, toMimeBundle } from './display';
import { formatCell, isFrameLike, tableHTML, tableText } from './table';

export interface KernelBridge {
  state: RenderState;
  /** Sends display_data (or update_display_data); false when no cell has run yet. */
  send(bundle: MimeBundle, displayId: string | undefined, update: boolean): boolean;
  /** Called on a Jupyter interrupt; returns the unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
}

const BRIDGE = Symbol.for('kafkalab.kernel');

export function kernelBridge(): KernelBridge | undefined {
  return (globalThis as Record<symbol, KernelBridge | undefined>)[BRIDGE];
}

export function setKernelBridge(bridge: KernelBridge | undefined): void {
  (globalThis as Record<symbol, KernelBridge | undefined>)[BRIDGE] = bridge;
}

/** True inside the kafkalab Jupyter kernel. */
export function inKernel(): boolean {
  return kernelBridge() !== undefined;
}

function textBundle(value: unknown): MimeBundle {
  return { data: { 'text/plain': typeof value === 'string' ? value : inspect(value, { depth: 4, colors: false }) }, metadata: {} };
}

/** The bundle for a value: rich when it has a rich form, text otherwise. */
export function bundleFor(value: unknown, state?: RenderState): MimeBundle {
  return toMimeBundle(value, state ?? kernelBridge()?.state) ?? textBundle(value);
}

/** One output area, shown now and replaced in place by `update`. */
export class DisplayHandle {
  readonly id: string;
  private shown = false;

  constructor(id = randomBytes(8).toString('hex')) {
    this.id = id;
  }

  /** Shows `value` (first call) or replaces what this handle shows. */
  update(value: unknown): this {
    this.sendBundle(bundleFor(value));
    return this;
  }

  sendBundle(bundle: MimeBundle): this {
    const bridge = kernelBridge();
    if (bridge) {
      bridge.send(bundle, this.id, this.shown);
    } else {
      process.stdout.write(String(bundle.data['text/plain'] ?? '') + '\n');
    }
    this.shown = true;
    return this;
  }
}

/**
 * Shows a value richly: a DataFrame as a table, a Figure as a chart, anything else as text.
 * Returns a handle whose `update(value)` redraws the same output area.
 */
export function display(value: unknown): DisplayHandle {
  return new DisplayHandle().update(value);
}

/** Makes sure plotly.js is in the notebook before live charts (whose outputs get replaced) draw. */
export function ensurePlotly(): void {
  const bridge = kernelBridge();
  if (!bridge || bridge.state.plotlyLoaded) return;
  if (bridge.send({ data: { 'text/html': plotlyLoaderHTML(), 'text/plain': '' }, metadata: {} }, undefined, false)) bridge.state.plotlyLoaded = true;
}

export interface WatchOptions {
  /** 'table' (latest rows) or 'chart' (a line chart of `y`); default 'chart' when `y` is given. */
  view?: 'table' | 'chart';
  /** Chart x column; default `_timestamp`. */
  x?: string;
  y?: string | string[];
  /** Table: rows shown (the latest); default 10. */
  rows?: number;
  /** Chart: latest points kept per line; default 5000. */
  points?: number;
  /** Stop after this long ('30s', or ms). */
  duration?: string | number;
  /** Stop after this many micro-batches. */
  batches?: number;
  /** Stop after this many rows. */
  limit?: number;
  /** Redraw at most this often; default 500 ms. */
  refreshMs?: number;
  title?: string;
  signal?: AbortSignal;
}

export interface WatchSummary {
  batches: number;
  rows: number;
  elapsedMs: number;
  stoppedBy: 'end' | 'duration' | 'batches' | 'limit' | 'interrupt' | 'signal';
}

const STOP = Symbol('stop');

/**
 * Consumes a stream of DataFrame micro-batches and keeps one output area up to date: a table of
 * the latest rows or a live chart. Ends when the stream ends, a limit is reached, or the cell is
 * interrupted; in every case the stream's consumer is released.
 */
export async function watch(stream: AsyncIterable<unknown>, opts: WatchOptions = {}): Promise<WatchSummary> {
  const view = opts.view ?? (opts.y ? 'chart' : 'table');
  const ys = typeof opts.y === 'string' ? [opts.y] : opts.y ?? [];
  if (view === 'chart' && ys.length === 0) throw new TypeError("watch(stream, { view: 'chart' }) needs { y: 'column' }");
  const started = Date.now();
  const refreshMs = opts.refreshMs ?? 500;
  const handle = new DisplayHandle();
  const buffer = new RowBuffer(view === 'table' ? opts.rows ?? 10 : opts.points ?? 5000);
  const summary: WatchSummary = { batches: 0, rows: 0, elapsedMs: 0, stoppedBy: 'end' };
  let lastDraw = 0;

  let stop: (why: WatchSummary['stoppedBy']) => void = () => {};
  const stopped = new Promise<typeof STOP>((resolve) => {
    stop = (why) => {
      if (summary.stoppedBy === 'end') summary.stoppedBy = why;
      resolve(STOP);
    };
  });
  const timers: NodeJS.Timeout[] = [];
  if (opts.duration !== undefined) {
    const ms = typeof opts.duration === 'number' ? opts.duration : parseDuration(opts.duration);
    timers.push(setTimeout(() => stop('duration'), ms));
  }
  const unsubscribe = kernelBridge()?.onInterrupt(() => stop('interrupt'));
  const onAbort = () => stop('signal');
  opts.signal?.addEventListener('abort', onAbort);

  const draw = (final: boolean) => {
    lastDraw = Date.now();
    const secs = (lastDraw - started) / 1000;
    const rate = secs > 0 ? Math.round(summary.rows / secs) : 0;
    const status = `${final ? 'stopped' : 'live'} · ${summary.batches} batch${summary.batches === 1 ? '' : 'es'} · ${summary.rows.toLocaleString('en-US')} rows · ${rate.toLocaleString('en-US')} rows/s · ${new Date(lastDraw).toISOString().slice(11, 19)} UTC${final ? ` (${summary.stoppedBy})` : ''}`;
    const caption = opts.title ? `${opts.title}: ${status}` : status;
    if (view === 'table') {
      const m = buffer.model(caption);
      handle.sendBundle({ data: { 'text/html': tableHTML(m), 'text/plain': tableText(m) }, metadata: {} });
    } else {
      const cols = buffer.columnsObject();
      const x = opts.x ?? (cols._timestamp ? '_timestamp' : undefined);
      if (!cols[ys[0]]) {
        handle.sendBundle({ data: { 'text/plain': caption, 'text/html': `<div class="kafkalab-meta">${caption}</div>` }, metadata: {} });
        return;
      }
      const fig = line(cols, { x, y: ys, title: caption, maxPoints: 2000 });
      const bridge = kernelBridge();
      handle.sendBundle(bridge ? figureBundle(fig, bridge.state) : { data: { 'text/plain': caption }, metadata: {} });
    }
  };

  if (view === 'chart') ensurePlotly();
  const it = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    draw(false);
    for (;;) {
      const next = it.next();
      next.catch(() => {});
      const r = await Promise.race([next, stopped]);
      if (r === STOP) break;
      if (r.done) {
        finished = true;
        break;
      }
      const n = buffer.push(r.value);
      summary.batches++;
      summary.rows += n;
      if (opts.batches !== undefined && summary.batches >= opts.batches) stop('batches');
      if (opts.limit !== undefined && summary.rows >= opts.limit) stop('limit');
      if (Date.now() - lastDraw >= refreshMs) draw(false);
      if (summary.stoppedBy !== 'end') break;
    }
  } finally {
    timers.forEach(clearTimeout);
    unsubscribe?.();
    opts.signal?.removeEventListener('abort', onAbort);
    if (!finished && it.return) {
      // Releases the consumer (leaves the group); bounded so a stuck broker cannot hang the cell.
      const released = it.return(undefined).catch(() => undefined);
      await Promise.race([released, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    summary.elapsedMs = Date.now() - started;
    draw(true);
  }
  return summary;
}

/** The latest rows of a stream, by column name (columns may appear or change between batches). */
class RowBuffer {
  private columns: string[] = [];
  private dtypes = new Map<string, string>();
  private rows: Record<string, unknown>[] = [];

  constructor(private readonly keep: number) {}

  push(batch: unknown): number {
    let added = 0;
    if (isFrameLike(batch)) {
      const values = batch.values as unknown[][];
      batch.columns.forEach((c, j) => {
        if (!this.dtypes.has(c)) this.columns.push(c);
        this.dtypes.set(c, batch.dtypes?.[j] ?? '');
      });
      const start = Math.max(0, values.length - this.keep);
      for (let i = start; i < values.length; i++) {
        const row: Record<string, unknown> = {};
        batch.columns.forEach((c, j) => (row[c] = values[i][j]));
        this.rows.push(row);
      }
      added = batch.shape[0];
    } else {
      const records = Array.isArray(batch) ? batch : [batch];
      for (const r of records) {
        const row: Record<string, unknown> = typeof r === 'object' && r !== null ? (r as Record<string, unknown>) : { value: r };
        for (const c of Object.keys(row)) if (!this.dtypes.has(c)) (this.columns.push(c), this.dtypes.set(c, typeof row[c]));
        this.rows.push(row);
      }
      added = records.length;
    }
    if (this.rows.length > this.keep * 2) this.rows = this.rows.slice(-this.keep);
    return added;
  }

  latest(): Record<string, unknown>[] {
    return this.rows.slice(-this.keep);
  }

  model(caption: string) {
    const rows = this.latest();
    return {
      columns: this.columns,
      dtypes: this.columns.map((c) => this.dtypes.get(c) ?? ''),
      labels: rows.map((_, i) => i),
      head: rows.map((r) => this.columns.map((c) => r[c])),
      tail: [],
      rowCount: rows.length,
      caption,
    };
  }

  columnsObject(): Record<string, unknown[]> {
    const rows = this.latest();
    const out: Record<string, unknown[]> = {};
    for (const c of this.columns) out[c] = rows.map((r) => r[c] ?? null);
    return out;
  }
}

export interface EpochInfo {
  epoch: number;
  epochs?: number;
  loss: number;
  valLoss?: number;
  rowsPerSec?: number;
  [k: string]: unknown;
}

export interface BatchInfo {
  epoch?: number;
  /** 0-based batch index within the epoch. */
  batch?: number;
  batches?: number;
  loss?: number;
  [k: string]: unknown;
}

export interface TrainingProgress {
  onEpoch(info: EpochInfo): void;
  onBatch(info: BatchInfo): void;
  /** Marks training finished (final redraw). */
  done(): void;
  readonly history: EpochInfo[];
}

/**
 * Live training view for `ae.fit(df, { ...trainingProgress({ epochs }) })`: a progress bar
 * (epoch, batch, loss, rows/s, time left) and a loss curve redrawn after every epoch.
 * Outside the kernel it prints one line per epoch to stderr.
 */
export function trainingProgress(opts: { epochs?: number; title?: string; refreshMs?: number } = {}): TrainingProgress {
  const history: EpochInfo[] = [];
  const bar = new DisplayHandle();
  const chart = new DisplayHandle();
  const started = Date.now();
  const refreshMs = opts.refreshMs ?? 300;
  let epochs = opts.epochs;
  let lastBar = 0;
  let zeroBased: boolean | undefined;
  let current = { epoch: 0, batch: 0, batches: 0, loss: NaN };
  const human = (e: number) => (zeroBased ? e + 1 : e);

  const drawBar = (final: boolean) => {
    lastBar = Date.now();
    const doneEpochs = history.length;
    const frac = epochs ? Math.min(1, (doneEpochs + (current.batches ? current.batch / current.batches : 0)) / epochs) : 0;
    const elapsed = (lastBar - started) / 1000;
    const eta = frac > 0 && !final ? elapsed / frac - elapsed : 0;
    const last = history[history.length - 1];
    const parts = [
      `epoch ${final ? doneEpochs : Math.min(human(current.epoch), epochs ?? Infinity)}${epochs ? `/${epochs}` : ''}`,
      current.batches && current.batch && !final ? `batch ${current.batch}/${current.batches}` : '',
      last ? `loss ${formatCell(last.loss)}` : Number.isFinite(current.loss) ? `loss ${formatCell(current.loss)}` : '',
      last?.valLoss !== undefined && Number.isFinite(last.valLoss) ? `val ${formatCell(last.valLoss)}` : '',
      last?.rowsPerSec ? `${Math.round(last.rowsPerSec).toLocaleString('en-US')} rows/s` : '',
      final ? `done in ${elapsed.toFixed(1)} s` : eta ? `${Math.ceil(eta)} s left` : '',
    ].filter(Boolean);
    const text = `${opts.title ?? 'training'} ${final ? '✓' : ''} ${parts.join(' · ')}`.replace(/\s+/g, ' ');
    if (!kernelBridge()) {
      if (final || last) process.stderr.write(`${text}\n`);
      return;
    }
    const pct = (100 * (final ? 1 : frac)).toFixed(1);
    bar.sendBundle({
      data: {
        'text/html': `<div class="kafkalab-progress" style="font-size:12px;font-family:inherit"><progress value="${pct}" max="100" style="width:320px;vertical-align:middle"></progress> <span>${text}</span></div>`,
        'text/plain': text,
      },
      metadata: {},
    });
  };

  return {
    history,
    onBatch(info) {
      if (epochs === undefined && typeof info.epochs === 'number' && Number.isFinite(info.epochs)) epochs = info.epochs;
      current = { epoch: info.epoch ?? current.epoch, batch: info.batch !== undefined ? info.batch + 1 : current.batch, batches: info.batches ?? current.batches, loss: info.loss ?? current.loss };
      if (Date.now() - lastBar >= refreshMs) drawBar(false);
    },
    onEpoch(info) {
      if (zeroBased === undefined) zeroBased = info.epoch === 0;
      if (epochs === undefined && info.epochs !== undefined && Number.isFinite(info.epochs)) epochs = info.epochs;
      history.push({ ...info, epoch: human(info.epoch), valLoss: info.valLoss !== undefined && Number.isFinite(info.valLoss) ? info.valLoss : undefined });
      current = { epoch: info.epoch + 1, batch: 0, batches: current.batches, loss: info.loss };
      drawBar(epochs !== undefined && history.length >= epochs);
      if (kernelBridge()) {
        ensurePlotly();
        chart.update(loss(history, { epochs, title: opts.title ? `${opts.title}: loss` : 'Training loss' }));
      }
    },
    done() {
      drawBar(true);
    },
  };
}
