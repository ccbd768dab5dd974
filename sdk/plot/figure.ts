/**
 * A Plotly figure as plain data: `data` (traces) and `layout`, the same JSON that plotly.js,
 * plotly.py and Jupyter's `application/vnd.plotly.v1+json` renderers understand.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KafkalabError } from '../util/errors';

export type Trace = Record<string, unknown> & { type?: string; name?: string };
export type Layout = Record<string, unknown>;
export type PlotlyConfig = Record<string, unknown>;

export interface FigureJSON {
  data: Trace[];
  layout: Layout;
  config?: PlotlyConfig;
}

export interface HTMLOptions {
  /** 'inline' embeds plotly.js from the installed package (works offline, ~4.8 MB); 'none' expects `window.Plotly`. */
  plotly?: 'inline' | 'none';
  /** Page title; defaults to the figure's title. */
  title?: string;
  /** CSS height of the chart element; default 480px. */
  height?: string;
}

/** Marks figures across copies of the package (a notebook may load two installs). */
export const FIGURE_BRAND = Symbol.for('kafkalab.figure');

const BASE_LAYOUT: Layout = {
  font: { family: '-apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif', size: 12 },
  colorway: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
  paper_bgcolor: '#ffffff',
  plot_bgcolor: '#ffffff',
  margin: { l: 60, r: 20, t: 50, b: 50 },
  xaxis: { gridcolor: '#eeeeee', zeroline: false },
  yaxis: { gridcolor: '#eeeeee', zeroline: false },
  legend: { orientation: 'h', y: -0.18 },
  hovermode: 'closest',
};

export class Figure {
  readonly [FIGURE_BRAND] = true;
  data: Trace[];
  layout: Layout;
  config: PlotlyConfig;

  constructor(data: Trace[] = [], layout: Layout = {}, config: PlotlyConfig = {}) {
    this.data = data;
    this.layout = mergeLayout(BASE_LAYOUT, layout);
    this.config = { responsive: true, displaylogo: false, ...config };
  }

  addTrace(trace: Trace): this {
    this.data.push(trace);
    return this;
  }

  /** Deep-merges into the layout, e.g. `fig.updateLayout({ yaxis: { type: 'log' } })`. */
  updateLayout(patch: Layout): this {
    this.layout = mergeLayout(this.layout, patch);
    return this;
  }

  get title(): string | undefined {
    const t = this.layout.title;
    if (typeof t === 'string') return t;
    if (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') return (t as { text: string }).text;
    return undefined;
  }

  /** Plain JSON: typed arrays become arrays, NaN and ±Infinity become null, Dates ISO strings. */
  toJSON(): FigureJSON {
    return { data: plain(this.data) as Trace[], layout: plain(this.layout) as Layout, config: plain(this.config) as PlotlyConfig };
  }

  /** A `<div>` plus the script drawing into it; `window.Plotly` must exist when the script runs (or later). */
  toDiv(id = 'kafkalab-' + Math.random().toString(36).slice(2, 10), height = '480px'): string {
    const json = safeScriptJSON(this.toJSON());
    return (
      `<div id="${id}" class="kafkalab-figure" style="width:100%;height:${height};"></div>\n` +
      `<script type="text/javascript">(function(){var fig=${json};var tries=0;` +
      `function draw(){var el=document.getElementById(${JSON.stringify(id)});` +
      `if(!el){return;}if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,fig.config);return;}` +
      `if(++tries>200){el.textContent='plotly.js is not loaded in this page: re-run the first chart cell, or use fig.toHTML()';return;}` +
      `setTimeout(draw,50);}draw();})();</script>`
    );
  }

  /** A standalone HTML page showing the chart; with the default `plotly: 'inline'` it works offline. */
  toHTML(opts: HTMLOptions = {}): string {
    const title = escapeHTML(opts.title ?? this.title ?? 'kafkalab figure');
    const lib = (opts.plotly ?? 'inline') === 'inline' ? `<script type="text/javascript">${plotlyBundle()}</script>\n` : '';
    return (
      `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n${lib}</head>\n` +
      `<body style="margin:0;padding:8px;">\n${this.toDiv('kafkalab-figure', opts.height ?? '90vh')}\n</body>\n</html>\n`
    );
  }

  /** Writes `toHTML()` to a file, creating its folder; returns the absolute path. */
  writeHTML(file: string, opts: HTMLOptions = {}): string {
    const abs = path.resolve(file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, this.toHTML(opts));
    return abs;
  }

  toString(): string {
    const kinds = [...new Set(this.data.map((t) => t.type ?? 'scatter'))].join(', ');
    const title = this.title?.replace(/<br>/g, ' · ').replace(/<[^>]+>/g, '');
    return `Figure(${title ? JSON.stringify(title) + ', ' : ''}${this.data.length} trace${this.data.length === 1 ? '' : 's'}: ${kinds || 'none'})`;
  }
}

export function isFigure(value: unknown): value is Figure {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FIGURE_BRAND] === true;
}

let bundleCache: string | undefined;

/** The plotly.js bundle of the installed `plotly.js-dist-min`, ready to sit inside a `<script>`. */
export function plotlyBundle(): string {
  if (bundleCache === undefined) bundleCache = fs.readFileSync(plotlyBundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return bundleCache;
}

/** The installed plotly.js bundle file. */
export function plotlyBundlePath(): string {
  try {
    return require.resolve('plotly.js-dist-min/plotly.min.js');
  } catch (err) {
    throw new KafkalabError('plotly.js-dist-min is not installed', { code: 'MISSING_DEPENDENCY', hint: 'run `npm install plotly.js-dist-min`', cause: err });
  }
}

/** The name the kernel's charts load plotly.js by from Jupyter's `nbextensions/kafkalab/` (versioned, so no stale caches). */
export function plotlyAssetName(): string {
  return `plotly-${plotlyVersion()}.min.js`;
}

export function plotlyVersion(): string {
  try {
    return require('plotly.js-dist-min/package.json').version as string;
  } catch {
    return 'unknown';
  }
}

function plain(v: unknown): unknown {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => plain(x));
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = plain(x);
  return out;
}

function mergeLayout(base: Layout, patch: Layout): Layout {
  const out: Layout = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? mergeLayout(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof Date);
}

/** JSON that cannot close the surrounding `<script>` element. */
export function safeScriptJSON(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
