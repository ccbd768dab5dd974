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
import { groupRows, line } from '../sdk/plot/charts';
import { KafkalabError } from '../sdk/util/errors';
import { loss } from '../sdk/plot/ml';
import { escapeHTML, Figure, safeScriptJSON } from '../sdk/plot/figure';
import { figureBundle, MimeBundle, plotlyLoaderHTML, RenderState, toMimeBundle } from './display';
import { APPEND_FOLD } from './tslab-sockets';
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

/** With an embedded plotly.js (KAFKALAB_PLOTLY=inline): puts it in the notebook before live charts, whose outputs get replaced, draw. */
export function ensurePlotly(): void {
  const bridge = kernelBridge();
  if (!bridge || !bridge.state.embedPlotly || bridge.state.plotlyLoaded) return;
  if (bridge.send({ data: { 'text/html': plotlyLoaderHTML(), 'text/plain': '' }, metadata: {} }, undefined, false)) bridge.state.plotlyLoaded = true;
}

export interface WatchOptions {
  /** 'table' (latest rows) or 'chart' (a line chart of `y`); default 'chart' when `y` is given. */
  view?: 'table' | 'chart';
  /** Chart x column; default `_timestamp`, else the row number. */
  x?: string;
  y?: string | string[];
  /** Chart: one line per value of this column (e.g. `carId`), like plot.line's `by`; at most `maxGroups` lines. */
  by?: string;
  /** Chart with `by`: lines drawn at most; default 12. */
  maxGroups?: number;
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
  /** Redraw (table, status line) or send new chart points at most this often; default 500 ms. */
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

/** New points for one trace of a live chart. */
export interface TracePoints {
  x: unknown[];
  y: unknown[];
}

/**
 * A chart that grows while a cell runs, at O(new points) per update: drawn whole once (and
 * again only when its set of traces changes, and at the end), and in between extended in the
 * page with `Plotly.extendTraces` by small scripts sent to a second, hidden output (`feed`).
 * Each delta says from which point of each trace it starts, so the page skips points it has
 * and deltas that wait in the kernel's send queue concatenate (tslab-sockets.ts APPEND_FOLD)
 * instead of replacing each other. Deltas go out at most every `refreshMs`, whatever the rate
 * of `append`, so the front end never falls behind. The final `finish(fig)` leaves the full
 * figure in the notebook and empties the feed (a saved notebook holds no deltas).
 */
export class LiveChart {
  private readonly chart = new DisplayHandle();
  private readonly feed = new DisplayHandle();
  readonly divId = 'kafkalab-live-' + randomBytes(6).toString('hex');
  private gen = 0;
  private counts: number[] = [];
  private pending: TracePoints[] = [];
  private pendingFrom: number[] = [];
  private lastDelta = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Full draws and deltas sent, for tests. */
  readonly stats = { draws: 0, deltas: 0, points: 0 };

  constructor(
    private readonly refreshMs = 500,
    /** Points each trace keeps in the page (older ones scroll out); undefined = all. */
    private readonly maxPoints?: number,
  ) {}

  get traces(): number {
    return this.counts.length;
  }

  /** Draws `fig` whole; `counts[i]`: how many points trace i has had since the start (what later appends continue from). */
  redraw(fig: Figure, counts: number[], final = false): void {
    this.clearTimer();
    this.pending = [];
    this.gen++;
    this.counts = counts.slice();
    this.pendingFrom = counts.slice();
    const bridge = kernelBridge();
    if (!bridge) return;
    // The static picture (for readers without JavaScript) only in the final state: it costs.
    this.chart.sendBundle(figureBundle(fig, bridge.state, { divId: this.divId, gen: this.gen, counts, image: final }));
    this.stats.draws++;
  }

  /** Adds points to the traces drawn last (index-aligned); they reach the page within `refreshMs`. */
  append(points: TracePoints[]): void {
    points.forEach((p, i) => {
      if (i >= this.counts.length || !p.x.length) return;
      const q = (this.pending[i] ??= { x: [], y: [] });
      q.x.push(...p.x);
      q.y.push(...p.y);
      this.counts[i] += p.x.length;
      if (this.maxPoints !== undefined && q.x.length > this.maxPoints) {
        const drop = q.x.length - this.maxPoints;
        q.x.splice(0, drop);
        q.y.splice(0, drop);
        this.pendingFrom[i] += drop;
      }
    });
    const wait = this.lastDelta + this.refreshMs - Date.now();
    if (wait <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => ((this.timer = undefined), this.flush()), wait);
  }

  /** Sends the waiting points now. */
  flush(): void {
    this.clearTimer();
    const traces: { i: number; s: number; x: unknown[]; y: unknown[] }[] = [];
    this.pending.forEach((p, i) => p && p.x.length && traces.push({ i, s: this.pendingFrom[i], x: plainPoints(p.x), y: plainPoints(p.y) }));
    this.pending = [];
    this.pendingFrom = this.counts.slice();
    if (!traces.length) return;
    this.lastDelta = Date.now();
    const bridge = kernelBridge();
    if (!bridge) return;
    const js = extendScript({ id: this.divId, gen: this.gen, max: this.maxPoints ?? 0, t: traces });
    this.feed.sendBundle({ data: { 'application/javascript': js, 'text/plain': '' }, metadata: { [APPEND_FOLD]: true } });
    this.stats.deltas++;
    this.stats.points += traces.reduce((n, t) => n + t.x.length, 0);
  }

  /** The final state: `fig` drawn whole, the feed emptied. */
  finish(fig: Figure, counts: number[]): void {
    this.redraw(fig, counts, true);
    if (this.stats.deltas) this.feed.sendBundle({ data: { 'text/plain': '' }, metadata: {} });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function plainPoints(v: unknown[]): unknown[] {
  return v.map((x) => (typeof x === 'number' ? (Number.isFinite(x) ? x : null) : typeof x === 'bigint' ? Number(x) : x instanceof Date ? x.toISOString() : x ?? null));
}

/**
 * The page side of a LiveChart delta: waits (bounded) for the chart of its generation, skips the
 * points the chart already has (data-kafkalab-n counts them), extends the rest. A delta for an
 * older generation is dropped (a full draw replaced it).
 */
function extendScript(u: { id: string; gen: number; max: number; t: { i: number; s: number; x: unknown[]; y: unknown[] }[] }): string {
  return (
    `(function(u){var n0=0;function go(){var el=document.getElementById(u.id);var g=el?+el.getAttribute('data-kafkalab-gen'):-1;` +
    `if(!el||!window.Plotly||!el.data||g<u.gen){if(++n0<200)setTimeout(go,50);return;}if(g>u.gen)return;` +
    `var n=JSON.parse(el.getAttribute('data-kafkalab-n')||'[]'),X=[],Y=[],I=[];` +
    `for(var j=0;j<u.t.length;j++){var d=u.t[j],k=Math.max(0,(n[d.i]||0)-d.s);if(k>=d.x.length)continue;` +
    `X.push(d.x.slice(k));Y.push(d.y.slice(k));I.push(d.i);n[d.i]=d.s+d.x.length;}` +
    `el.setAttribute('data-kafkalab-n',JSON.stringify(n));if(I.length)window.Plotly.extendTraces(el,{x:X,y:Y},I,u.max||undefined);}go();})(` +
    safeScriptJSON(u) +
    `);`
  );
}

/**
 * Consumes a stream of DataFrame micro-batches and keeps one output area up to date: a table of
 * the latest rows or a live chart. Ends when the stream ends, a limit is reached, or the cell is
 * interrupted; in every case the stream's consumer is released.
 */
export async function watch(stream: AsyncIterable<unknown>, opts: WatchOptions = {}): Promise<WatchSummary> {
  const view = opts.view ?? (opts.y ? 'chart' : 'table');
  const ys = typeof opts.y === 'string' ? [opts.y] : opts.y ?? [];
  if (view === 'chart' && ys.length === 0) throw new KafkalabError("watch(stream, { view: 'chart' }) needs { y: 'column' } or { y: ['a', 'b'] }", { code: 'BAD_OPTION' });
  const started = Date.now();
  const refreshMs = opts.refreshMs ?? 500;
  const points = opts.points ?? 5000;
  const maxGroups = opts.maxGroups ?? 12;
  const handle = new DisplayHandle();
  const buffer = new RowBuffer(view === 'table' ? opts.rows ?? 10 : points * (opts.by ? maxGroups : 1));
  const summary: WatchSummary = { batches: 0, rows: 0, elapsedMs: 0, stoppedBy: 'end' };
  let lastDraw = 0;
  // Chart view: drawn whole once, then extended with new points only (LiveChart); the status
  // line (rows, rate) is its own small output instead of the chart title.
  const live = view === 'chart' && kernelBridge() ? new LiveChart(refreshMs, points) : undefined;
  let liveKeys: string[] | undefined;
  let xName: string | undefined;

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

  const statusText = (final: boolean) => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(summary.rows / secs) : 0;
    const status = `${final ? 'stopped' : 'live'} · ${summary.batches} batch${summary.batches === 1 ? '' : 'es'} · ${summary.rows.toLocaleString('en-US')} rows · ${rate.toLocaleString('en-US')} rows/s · ${new Date().toISOString().slice(11, 19)} UTC${final ? ` (${summary.stoppedBy})` : ''}`;
    return opts.title ? `${opts.title}: ${status}` : status;
  };
  const fullFigure = (title: string | undefined) => {
    const cols = buffer.columnsObject();
    xName ??= opts.x ?? (cols._timestamp ? '_timestamp' : undefined);
    return line(cols, { x: xName ?? ROW, xTitle: xName ? undefined : 'row', y: ys, by: opts.by, maxGroups, title, maxPoints: points }, 'watch');
  };
  const traceKeys = (keys: string[]) => ys.flatMap((y) => keys.map((k) => `${y}\u0000${k}`));
  /** Chart view: the new rows as points per line, or a full redraw when lines appear. */
  const chartRows = (rows: Record<string, unknown>[]) => {
    if (!rows.length) return;
    // The first batch checks the columns (an unknown one is an error naming watch, with a suggestion).
    if (!live) {
      if (!liveKeys) (fullFigure(opts.title), (liveKeys = []));
      return;
    }
    const x = xName ?? opts.x ?? (rows[0]._timestamp !== undefined ? '_timestamp' : ROW);
    const keyOf = (r: Record<string, unknown>) => (opts.by ? String(r[opts.by] ?? '(none)') : '');
    // A full redraw only for the first batch and when a new line (a new `by` value) appears.
    const known = new Set(liveKeys ?? []);
    if (!liveKeys || (known.size < maxGroups && rows.some((r) => !known.has(keyOf(r))))) {
      const fig = fullFigure(opts.title);
      const groups = opts.by ? groupRows(buffer.columnsObject()[opts.by] ?? [], maxGroups).keys.map(String) : [''];
      liveKeys = groups;
      live.redraw(fig, fig.data.map((t) => (t.x as ArrayLike<unknown>)?.length ?? 0));
      return;
    }
    const index = new Map(traceKeys(liveKeys).map((k, i) => [k, i]));
    const out: TracePoints[] = index.size ? Array.from({ length: index.size }, () => ({ x: [], y: [] })) : [];
    for (const r of rows) {
      const k = keyOf(r);
      ys.forEach((y) => {
        const i = index.get(`${y}\u0000${k}`);
        if (i === undefined) return;
        out[i].x.push(toNumber(r[x]));
        out[i].y.push(toNumber(r[y]));
      });
    }
    live.append(out);
  };

  const draw = (final: boolean) => {
    lastDraw = Date.now();
    const caption = statusText(final);
    if (view === 'table') {
      const m = buffer.model(caption);
      handle.sendBundle({ data: { 'text/html': tableHTML(m), 'text/plain': tableText(m) }, metadata: {} });
    } else if (!kernelBridge()) {
      if (final) process.stdout.write(caption + '\n');
    } else {
      handle.sendBundle({ data: { 'text/plain': caption, 'text/html': `<div class="kafkalab-meta" style="font-size:12px;color:#555">${escapeHTML(caption)}</div>` }, metadata: {} });
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
      const added = buffer.push(r.value);
      summary.batches++;
      summary.rows += added.count;
      if (view === 'chart') chartRows(added.rows);
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
    if (live && liveKeys) {
      const fig = fullFigure(opts.title);
      live.finish(fig, fig.data.map((t) => (t.x as ArrayLike<unknown>)?.length ?? 0));
    }
  }
  return summary;
}

/** The column RowBuffer numbers rows with (the x of a chart without an x column). */
const ROW = '__row';

function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

/** The latest rows of a stream, by column name (columns may appear or change between batches). */
class RowBuffer {
  private columns: string[] = [];
  private dtypes = new Map<string, string>();
  private rows: Record<string, unknown>[] = [];
  private seen = 0;

  constructor(private readonly keep: number) {}

  /** Adds a batch; returns how many rows it had and the rows kept from it (numbered in `__row`). */
  push(batch: unknown): { count: number; rows: Record<string, unknown>[] } {
    let added = 0;
    const before = this.rows.length;
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
        row[ROW] = this.seen + i;
        this.rows.push(row);
      }
      added = batch.shape[0];
    } else {
      const records = Array.isArray(batch) ? batch : [batch];
      records.forEach((r, i) => {
        const row: Record<string, unknown> = typeof r === 'object' && r !== null ? { ...(r as Record<string, unknown>) } : { value: r };
        for (const c of Object.keys(row)) if (!this.dtypes.has(c)) (this.columns.push(c), this.dtypes.set(c, typeof row[c]));
        row[ROW] = this.seen + i;
        this.rows.push(row);
      });
      added = records.length;
    }
    this.seen += added;
    const fresh = this.rows.slice(before);
    if (this.rows.length > this.keep * 2) this.rows = this.rows.slice(-this.keep);
    return { count: added, rows: fresh };
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
    for (const c of [...this.columns, ROW]) out[c] = rows.map((r) => r[c] ?? null);
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
export function trainingProgress(opts: { epochs?: number; title?: string; refreshMs?: number; chartRefreshMs?: number } = {}): TrainingProgress {
  const history: EpochInfo[] = [];
  const bar = new DisplayHandle();
  // The loss curve: drawn whole after the first epoch, then extended by the new epochs only.
  const chart = new LiveChart(opts.chartRefreshMs ?? 500);
  const chartTitle = opts.title ? `${opts.title}: loss` : 'Training loss';
  const lossFigure = (final: boolean) => {
    const fig = loss(history, { epochs, title: chartTitle });
    if (!final) fig.layout.title = { text: chartTitle, x: 0.01, xanchor: 'left' };
    return fig;
  };
  let finished = false;
  const started = Date.now();
  const refreshMs = opts.refreshMs ?? 300;
  let epochs = opts.epochs;
  let lastBar = 0;
  let zeroBased: boolean | undefined;
  let current = { epoch: 0, batch: 0, batches: 0, loss: NaN };
  const human = (e: number) => (zeroBased ? e + 1 : e);
  let firstProgress: { at: number; frac: number } | undefined;
  const fraction = () => (epochs ? Math.min(1, (history.length + (current.batches ? current.batch / current.batches : 0)) / epochs) : 0);
  const markProgress = () => void (firstProgress ??= { at: Date.now(), frac: fraction() });

  const drawBar = (final: boolean) => {
    lastBar = Date.now();
    const doneEpochs = history.length;
    const frac = epochs ? Math.min(1, (doneEpochs + (current.batches ? current.batch / current.batches : 0)) / epochs) : 0;
    const elapsed = (lastBar - started) / 1000;
    // Time left from the pace since the first progress report (start-up, e.g. TensorFlow's
    // first compile, is not training pace: it made the first estimate absurd), shown once there
    // is a second of pace or a whole epoch to go by.
    const pace = firstProgress ? (lastBar - firstProgress.at) / 1000 : 0;
    const done = frac - (firstProgress?.frac ?? 0);
    const eta = !final && done > 0 && (pace >= 1 || doneEpochs >= 1) ? (pace / done) * (1 - frac) : 0;
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
      markProgress();
      if (Date.now() - lastBar >= refreshMs) drawBar(false);
    },
    onEpoch(info) {
      if (zeroBased === undefined) zeroBased = info.epoch === 0;
      if (epochs === undefined && info.epochs !== undefined && Number.isFinite(info.epochs)) epochs = info.epochs;
      history.push({ ...info, epoch: human(info.epoch), valLoss: info.valLoss !== undefined && Number.isFinite(info.valLoss) ? info.valLoss : undefined });
      current = { epoch: info.epoch + 1, batch: 0, batches: current.batches, loss: info.loss };
      markProgress();
      drawBar(epochs !== undefined && history.length >= epochs);
      if (kernelBridge()) {
        ensurePlotly();
        const last = history[history.length - 1];
        const traces = history.some((h) => h.valLoss !== undefined) ? 2 : 1;
        if (chart.traces !== traces) chart.redraw(lossFigure(false), Array(traces).fill(history.length));
        else chart.append([{ x: [last.epoch], y: [last.loss] }, { x: [last.epoch], y: [last.valLoss ?? null] }].slice(0, traces));
      }
    },
    done() {
      if (finished) return;
      finished = true;
      drawBar(true);
      if (kernelBridge() && history.length) chart.finish(lossFigure(true), Array(Math.max(1, chart.traces)).fill(history.length));
    },
  };
}
