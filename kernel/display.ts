/**
 * What a value looks like in a notebook: pure functions from a value to a Jupyter MIME bundle
 * (no Jupyter needed, so they are unit-tested directly). The kernel sends these bundles as
 * `display_data`; anything without a rich form falls back to tslab's plain text.
 */
import { describeColumns } from '../sdk/frame/dataframe';
import { Figure, FigureJSON, isFigure, plotlyAssetName, plotlyBundle, safeScriptJSON } from '../sdk/plot/figure';
import { figureSVG } from '../sdk/plot/svg';
import { escapeHTML } from '../sdk/plot/figure';
import { kafkaBundle } from './kafkaview';
import { FrameLike, isFrameLike, isSeriesLike, seriesModel, tableHTML, TableModel, tableModel, TableOptions, tableText } from './table';

export type MimeData = Record<string, unknown>;
export interface MimeBundle {
  data: MimeData;
  metadata: Record<string, unknown>;
}

/**
 * Per-kernel-session rendering state. By default charts load plotly.js from the Jupyter server
 * (`nbextensions/kafkalab/`, put there by `npx kafkalab kernel install`), so notebooks do not
 * carry it; `embedPlotly` (KAFKALAB_PLOTLY=inline) puts the bundle into the first chart of the
 * session instead, for notebooks that must draw without a server.
 */
export interface RenderState {
  plotlyLoaded: boolean;
  embedPlotly?: boolean;
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
  if (isHistory(value)) return { data: { 'text/plain': historyText(value) }, metadata: {} };
  return kafkaBundle(value);
}

/** Where a notebook chart draws, for live charts that extend it in place (runtime.ts LiveChart). */
export interface FigureTarget {
  /** The chart element's id; default a random one. */
  divId?: string;
  /** Live charts: which full draw this is, and the points per trace it holds (counted from the start). */
  gen?: number;
  counts?: number[];
  /** Include the static SVG picture (default true; a live chart's first draws skip it, its final one has it). */
  image?: boolean;
}

export function figureBundle(fig: Figure, state: RenderState, target: FigureTarget = {}): MimeBundle {
  const json = fig.toJSON();
  const height = typeof fig.layout.height === 'number' ? `${fig.layout.height}px` : '450px';
  const embed = state.embedPlotly && !state.plotlyLoaded ? plotlyLoaderHTML() : '';
  if (embed) state.plotlyLoaded = true;
  const image = target.image === false ? '' : staticImageHTML(json, fig.toString());
  const html = embed + figureHTML(json, target.divId ?? 'kafkalab-' + Math.random().toString(36).slice(2, 10), height, target, image);
  return {
    data: { 'text/html': html, 'application/vnd.plotly.v1+json': json, 'text/plain': fig.toString() },
    metadata: {},
  };
}

/**
 * Loads plotly.js once per page from the Jupyter server (classic Notebook's `data-base-url`,
 * JupyterLab's page config), then calls ok(); no() when it cannot (a file:// page, no server,
 * the extension not installed). A page that already has `window.Plotly` (an offline export, an
 * embedded bundle) uses it.
 */
const LOADER_JS =
  `function K(ok,no){var w=window;if(w.Plotly)return ok();var q=w.__kafkalabPlotly;` +
  `if(!q){q=w.__kafkalabPlotly={cbs:[]};var fin=function(){q.done=1;q.cbs.splice(0).forEach(function(c){c[w.Plotly?0:1]()})};` +
  `var b=document.body&&document.body.getAttribute('data-base-url');` +
  `if(!b){try{b=JSON.parse(document.getElementById('jupyter-config-data').textContent).baseUrl}catch(e){}}` +
  `if(!/^https?:$/.test(location.protocol)){fin();}else{var s=document.createElement('script');` +
  `b=b||'/';if(b.slice(-1)!=='/')b+='/';s.src=b+'nbextensions/kafkalab/__ASSET__';s.onload=fin;s.onerror=fin;document.head.appendChild(s);}}` +
  `if(q.done)return w.Plotly?ok():no();q.cbs.push([ok,no]);}`;

/**
 * The chart as a picture inside its own element: what shows where no JavaScript runs (an
 * untrusted notebook: Jupyter strips scripts and styles but keeps images; GitHub; nbviewer). The
 * script replaces it with the interactive chart when plotly.js loads.
 */
function staticImageHTML(json: FigureJSON, label: string): string {
  let svg: string;
  try {
    svg = figureSVG(json);
  } catch {
    return `<p class="kafkalab-note">${escapeHTML(label)}: the interactive chart needs JavaScript (trust the notebook, or run the cell).</p>`;
  }
  // URL-encoded rather than base64 (a third smaller); the SVG uses no double quotes after this.
  const uri = 'data:image/svg+xml,' + svg.replace(/"/g, "'").replace(/%/g, '%25').replace(/#/g, '%23').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\n/g, '%0A');
  return (
    `<img class="kafkalab-static" src="${uri}" alt="${escapeHTML(label)}" style="max-width:100%;height:auto"/>` +
    `<div class="kafkalab-note" style="font-size:11px;color:#777">Static image of the chart. The interactive chart draws in Jupyter when the notebook is trusted and plotly.js is served (\`npx kafkalab kernel install\`); for a file to read offline: \`npx kafkalab notebook html NOTEBOOK.ipynb\`.</div>`
  );
}

function figureHTML(json: unknown, id: string, height: string, target: FigureTarget, image: string): string {
  const live = target.gen !== undefined ? ` data-kafkalab-gen="${target.gen}" data-kafkalab-n="${escapeHTML(JSON.stringify(target.counts ?? []))}"` : '';
  const note =
    'Static view: plotly.js is not available on this page. In Jupyter run `npx kafkalab kernel install` and restart the server; ' +
    'for a file to read offline, `npx kafkalab notebook html NOTEBOOK.ipynb`.';
  return (
    `<div id="${id}" class="kafkalab-figure" style="width:100%;min-height:${height};"${live}>${image}</div>\n` +
    `<script type="text/javascript">(function(){var fig=${safeScriptJSON(json)};var id=${JSON.stringify(id)};` +
    LOADER_JS.replace('__ASSET__', plotlyAssetName()) +
    `K(function(){var el=document.getElementById(id);if(!el)return;el.innerHTML='';el.style.height=${JSON.stringify(height)};window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);},` +
    `function(){var el=document.getElementById(id);if(!el||el.querySelector('.kafkalab-note'))return;var p=document.createElement('div');` +
    `p.className='kafkalab-note';p.style.cssText='font-size:11px;color:#777';p.textContent=${JSON.stringify(note)};el.appendChild(p);});})();</script>`
  );
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
    `<details><summary class="kafkalab-meta" style="cursor:pointer;color:#1f77b4"><b>▸ column statistics</b> (click to expand)</summary><table class="kafkalab-table"><thead><tr><th></th>` +
    stats.map((s) => `<th>${escapeHTML(s.column)}</th>`).join('') +
    `</tr></thead><tbody>${rows}</tbody></table></details>`
  );
}

interface HistoryLike {
  loss: number[];
  valLoss: number[];
  epochs: number;
  rowsPerSec: number;
  elapsedMs: number;
  bestEpoch: number;
  stopReason: string;
}

function isHistory(v: unknown): v is HistoryLike {
  const h = v as HistoryLike;
  return typeof v === 'object' && v !== null && Array.isArray(h.loss) && Array.isArray(h.valLoss) && typeof h.epochs === 'number' && typeof h.stopReason === 'string' && typeof h.bestEpoch === 'number';
}

/** `await ae.fit(...)` as a cell's value: one line, not the 40-line object (its arrays stay on the object). */
export function historyText(h: HistoryLike): string {
  const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : Number(v.toPrecision(4)).toString());
  const val = h.valLoss.length ? `, val_loss ${fmt(h.valLoss[0])} → ${fmt(h.valLoss[h.valLoss.length - 1])}` : '';
  const stop = h.stopReason === 'epochs' || h.stopReason === 'end' ? '' : `, stopped by ${h.stopReason}`;
  return (
    `History: ${h.epochs} epoch${h.epochs === 1 ? '' : 's'}, loss ${fmt(h.loss[0])} → ${fmt(h.loss[h.loss.length - 1])}${val}, best epoch ${h.bestEpoch}` +
    `, ${(h.elapsedMs / 1000).toFixed(1)} s, ${Math.round(h.rowsPerSec).toLocaleString('en-US')} rows/s${stop} (.loss, .valLoss for the curves)`
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
