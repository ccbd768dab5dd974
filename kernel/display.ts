/**
 * What a value looks like in a notebook: pure functions from a value to a Jupyter MIME bundle
 * (no Jupyter needed, so they are unit-tested directly). The kernel sends these bundles as
 * `display_data`; anything without a rich form falls back to tslab's plain text.
 */
import { describeColumns } from '../sdk/frame/dataframe';
import { Figure, isFigure, plotlyBundle } from '../sdk/plot/figure';
import { escapeHTML } from '../sdk/plot/figure';
import { kafkaBundle } from './kafkaview';
import { FrameLike, isFrameLike, isSeriesLike, seriesModel, tableHTML, TableModel, tableModel, TableOptions, tableText } from './table';

export type MimeData = Record<string, unknown>;
export interface MimeBundle {
  data: MimeData;
  metadata: Record<string, unknown>;
}

/** Per-kernel-session rendering state: plotly.js goes into the notebook once. */
export interface RenderState {
  plotlyLoaded: boolean;
}

/** Objects may render themselves: `[Symbol.for('kafkalab.mime')]()` returns `{ 'text/html': … }`. */
export const MIME_HOOK = Symbol.for('kafkalab.mime');

export interface BundleOptions extends TableOptions {
  /** Frames with at most this many cells get a collapsible column-statistics section; default 2,000,000. */
  statsCellLimit?: number;
  caption?: string;
}

export function toMimeBundle(value: unknown, state: RenderState = { plotlyLoaded: true }, opts: BundleOptions = {}): MimeBundle | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && typeof (value as Record<symbol, unknown>)[MIME_HOOK] === 'function') {
    const data = (value as Record<symbol, () => MimeData>)[MIME_HOOK]();
    return { data: { 'text/plain': String(value), ...data }, metadata: {} };
  }
  if (isFigure(value)) return figureBundle(value, state);
  if (isFrameLike(value)) return frameBundle(value, opts);
  if (isSeriesLike(value)) {
    const m = seriesModel(value, opts);
    m.caption = opts.caption;
    return { data: { 'text/html': tableHTML(m, opts), 'text/plain': tableText(m, opts) }, metadata: {} };
  }
  if (isEvaluation(value)) return evaluationBundle(value);
  return kafkaBundle(value);
}

export function figureBundle(fig: Figure, state: RenderState): MimeBundle {
  const json = fig.toJSON();
  const height = typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '450px';
  const html = (state.plotlyLoaded ? '' : plotlyLoaderHTML()) + fig.toDiv(undefined, height);
  state.plotlyLoaded = true;
  return {
    data: { 'text/html': html, 'application/vnd.plotly.v1+json': json, 'text/plain': fig.toString() },
    metadata: {},
  };
}

/** plotly.js from the installed package, as a script element that defines `window.Plotly` once. */
export function plotlyLoaderHTML(): string {
  return `<script type="text/javascript">if(!window.Plotly){${plotlyBundle()}\n}</script>\n`;
}

function frameBundle(df: FrameLike, opts: BundleOptions): MimeBundle {
  const m: TableModel = tableModel(df, opts);
  m.caption = opts.caption;
  m.notes = reportNotes(df);
  const cells = df.shape[0] * df.shape[1];
  if (cells > 0 && cells <= (opts.statsCellLimit ?? 2_000_000)) m.extraHTML = statsHTML(df);
  return { data: { 'text/html': tableHTML(m, opts), 'text/plain': tableText(m, opts) }, metadata: {} };
}

interface ReportLike {
  topic?: string;
  failed?: number;
  failures?: Record<string, number>;
  warnings?: string[];
}

/** What `topic.read()` left out (records that failed to decode), so nobody misses it. */
function reportNotes(df: FrameLike): string[] {
  const report = (df as { attrs?: { report?: ReportLike } }).attrs?.report;
  if (!report) return [];
  const notes: string[] = [];
  if (report.failed) {
    const why = Object.entries(report.failures ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ');
    notes.push(`⚠ ${report.failed.toLocaleString('en-US')} record(s) of ${report.topic ?? 'the topic'} could not be decoded and are not in the frame${why ? ` (${why})` : ''}`);
  }
  for (const w of report.warnings ?? []) notes.push(`⚠ ${w}`);
  return notes;
}

function statsHTML(df: FrameLike): string {
  let stats: ReturnType<typeof describeColumns>;
  try {
    stats = describeColumns(df as never);
  } catch {
    return '';
  }
  const keys = ['count', 'nulls', 'mean', 'std', 'min', 'q25', 'median', 'q75', 'max', 'unique', 'top'] as const;
  const used = keys.filter((k) => stats.some((s) => s[k] !== undefined));
  const fmt = (v: unknown) => (v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toPrecision(5)).toString()) : escapeHTML(String(v)));
  const rows = used.map((k) => `<tr><th>${k}</th>${stats.map((s) => `<td>${fmt(s[k])}</td>`).join('')}</tr>`).join('');
  return (
    `<details><summary class="kafkalab-meta">column statistics</summary><table class="kafkalab-table"><thead><tr><th></th>` +
    stats.map((s) => `<th>${escapeHTML(s.column)}</th>`).join('') +
    `</tr></thead><tbody>${rows}</tbody></table></details>`
  );
}

interface Evaluation {
  precision: number;
  recall: number;
  f1: number;
  auc?: number;
  confusion?: unknown;
}

function isEvaluation(v: unknown): v is Evaluation {
  const o = v as Evaluation;
  return typeof v === 'object' && v !== null && typeof o.precision === 'number' && typeof o.recall === 'number' && typeof o.f1 === 'number';
}

/** `ae.evaluate(...)` as a small metrics table (plus the confusion counts when present). */
function evaluationBundle(e: Evaluation): MimeBundle {
  const entries: [string, string][] = [['precision', e.precision.toFixed(4)], ['recall', e.recall.toFixed(4)], ['F1', e.f1.toFixed(4)]];
  if (typeof e.auc === 'number') entries.push(['AUC', e.auc.toFixed(4)]);
  const c = e.confusion as Record<string, number> | undefined;
  if (c && typeof c === 'object' && !Array.isArray(c)) for (const k of ['tp', 'fp', 'tn', 'fn']) if (typeof c[k] === 'number') entries.push([k.toUpperCase(), c[k].toLocaleString('en-US')]);
  const html =
    `<table class="kafkalab-metrics" style="border-collapse:collapse;font-size:13px">` +
    entries.map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0">${k}</th><td style="text-align:right">${v}</td></tr>`).join('') +
    `</table>`;
  return { data: { 'text/html': html, 'text/plain': entries.map(([k, v]) => `${k.padEnd(9)} ${v}`).join('\n') }, metadata: {} };
}

/** True for errors kafkalab threw on purpose (any copy of the package): shown as one line, not a stack. */
export function isKafkalabError(err: unknown): err is Error & { code?: string } {
  for (let p = err; p && typeof p === 'object'; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'KafkalabError') return true;
  }
  return false;
}

/** The one line a user sees for an expected error; undefined for errors that deserve their stack. */
export function formatError(err: unknown): string | undefined {
  if (isKafkalabError(err)) return `${err.name === 'Error' ? 'KafkalabError' : err.name}: ${err.message}`;
  if (err instanceof Error && err.message === 'Interrupted asynchronously') return 'Interrupted: the cell was stopped; variables defined so far are kept';
  return undefined;
}
