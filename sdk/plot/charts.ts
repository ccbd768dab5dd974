/** General charts over DataFrames: line, scatter, histogram. */
import { KafkalabError } from '../util/errors';
import { Figure, Layout, Trace } from './figure';
import { bin, Columnar, column, columnNames, looksLikeTime, minMaxDecimate, pick, rowCount, strideIndices, toNumber, toNumbers, xAxis } from './data';

export interface CommonOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Chart height in pixels. */
  height?: number;
  /** Merged into the figure's layout last. */
  layout?: Layout;
}

export interface LineOptions extends CommonOptions {
  /** x column; default `_timestamp` when present, else the row number. */
  x?: string;
  y: string | string[];
  /** One line per value of this column (e.g. `carId`), at most `maxGroups` lines. */
  by?: string;
  maxGroups?: number;
  /** Points kept per line; longer series are min-max decimated. Default 4000. */
  maxPoints?: number;
  markers?: boolean;
}

/** `caller` names the function in errors (`watch` draws through this too). */
export function line(df: Columnar, opts: LineOptions, caller = 'plot.line'): Figure {
  const ys = requireY(opts?.y, caller);
  const n = rowCount(df);
  const { name: xName, x, isTime } = xAxis(df, opts.x, caller);
  const maxPoints = opts.maxPoints ?? 4000;
  const groups = opts.by ? groupRows(column(df, opts.by, caller), opts.maxGroups ?? 12) : { keys: [''], rows: [undefined], omitted: 0 };

  const data: Trace[] = [];
  let reduced = false;
  for (const yName of ys) {
    const yAll = toNumbers(column(df, yName, caller));
    groups.keys.forEach((key, gi) => {
      const rows = groups.rows[gi];
      const gx = rows ? Float64Array.from(rows, (i) => x[i]) : x;
      const gy = rows ? Float64Array.from(rows, (i) => yAll[i]) : yAll;
      const d = minMaxDecimate(gx, gy, maxPoints);
      reduced ||= d.reduced;
      const name = opts.by ? (ys.length > 1 ? `${yName} ${key}` : String(key)) : yName;
      data.push({ type: 'scatter', mode: opts.markers ? 'lines+markers' : 'lines', name, x: d.x, y: d.y, line: { width: 1.5 } });
    });
  }
  const notes: string[] = [];
  if (reduced) notes.push(`min-max decimated to ≤ ${maxPoints.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} points per line`);
  if (groups.omitted) notes.push(`${groups.omitted} more ${opts.by} value(s) not shown`);
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? ys.join(', '), notes),
      xaxis: { title: { text: opts.xTitle ?? xName ?? 'row' }, ...(isTime ? { type: 'date' } : {}) },
      yaxis: { title: { text: opts.yTitle ?? (ys.length === 1 ? ys[0] : '') } },
      showlegend: data.length > 1,
      meta: { kafkalab: { kind: 'line', rows: n, decimation: reduced ? 'min-max' : 'none', maxPoints } },
    }),
  );
}

export interface ScatterOptions extends CommonOptions {
  x: string;
  y: string;
  /** Colour by a column: one trace per category, or a colour scale for numbers. */
  color?: string;
  /** Points drawn at most (evenly spaced rows); default 10000. */
  maxPoints?: number;
  opacity?: number;
}

export function scatter(df: Columnar, opts: ScatterOptions): Figure {
  if (!opts || !opts.x || !opts.y) throw new KafkalabError('plot.scatter needs { x, y } column names', { code: 'BAD_OPTION' });
  const n = rowCount(df);
  const maxPoints = opts.maxPoints ?? 10_000;
  const idx = strideIndices(n, maxPoints);
  const xRaw = column(df, opts.x, 'plot.scatter');
  const x = pick(toNumbers(xRaw), idx);
  const y = pick(toNumbers(column(df, opts.y, 'plot.scatter')), idx);
  const marker = { size: 5, opacity: opts.opacity ?? 0.7 };
  const data: Trace[] = [];
  if (opts.color) {
    const c = pick(column(df, opts.color, 'plot.scatter'), idx);
    const numeric = c.every((v) => typeof v === 'number');
    if (numeric && new Set(c).size > 12) {
      data.push({ type: 'scatter', mode: 'markers', name: opts.y, x, y, marker: { ...marker, color: c, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: opts.color } } } });
    } else {
      const g = groupRows(c, 20);
      g.keys.forEach((key, gi) => {
        const rows = g.rows[gi]!;
        data.push({ type: 'scatter', mode: 'markers', name: `${opts.color}=${key}`, x: rows.map((i) => x[i]), y: rows.map((i) => y[i]), marker });
      });
    }
  } else data.push({ type: 'scatter', mode: 'markers', name: opts.y, x, y, marker });
  const notes = idx.length < n ? [`every ${Math.round(n / idx.length)}th row: ${idx.length.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} points`] : [];
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? `${opts.y} vs ${opts.x}`, notes),
      xaxis: { title: { text: opts.xTitle ?? opts.x }, ...(looksLikeTime(opts.x, xRaw) ? { type: 'date' } : {}) },
      yaxis: { title: { text: opts.yTitle ?? opts.y } },
      showlegend: data.length > 1,
      meta: { kafkalab: { kind: 'scatter', rows: n, shown: idx.length } },
    }),
  );
}

export interface HistogramOptions extends CommonOptions {
  /** Column to histogram when the input is a DataFrame; default `score`. */
  column?: string;
  bins?: number;
  /** Draws a vertical line and reports how many values lie above it. */
  threshold?: number;
  logY?: boolean;
  range?: [number, number];
}

/** Histogram of scores (Float32Array from `ae.score`), a number array, or a DataFrame column. */
export function histogram(values: ArrayLike<number> | Columnar, opts: HistogramOptions = {}): Figure {
  const colName = opts.column ?? 'score';
  const nums: ArrayLike<number> = isNumberArray(values) ? values : toNumbers(column(values as Columnar, colName, 'plot.histogram'));
  const b = bin(nums, opts.bins ?? 50, opts.range);
  const data: Trace[] = [
    {
      type: 'bar',
      name: 'count',
      x: b.centers,
      y: b.counts,
      width: b.width,
      marker: { color: '#1f77b4', line: { width: 0 } },
      hovertemplate: '%{x:.4g}: %{y} values<extra></extra>',
    },
  ];
  const shapes: unknown[] = [];
  const annotations: unknown[] = [];
  let above = 0;
  if (opts.threshold !== undefined && Number.isFinite(opts.threshold)) {
    for (let i = 0; i < nums.length; i++) if (nums[i] > opts.threshold) above++;
    const share = nums.length ? (100 * above) / nums.length : 0;
    shapes.push({ type: 'line', xref: 'x', yref: 'paper', x0: opts.threshold, x1: opts.threshold, y0: 0, y1: 1, line: { color: '#d62728', width: 2, dash: 'dash' } });
    annotations.push({
      x: opts.threshold, y: 1, xref: 'x', yref: 'paper', xanchor: 'left', yanchor: 'top', showarrow: false,
      text: ` threshold ${formatNumber(opts.threshold)}: ${above.toLocaleString('en-US')} above (${share.toFixed(2)}%)`,
      font: { color: '#d62728' },
    });
  }
  const valueName = isNumberArray(values) ? 'value' : colName;
  const notes = b.dropped ? [`${b.dropped} non-finite value(s) left out`] : [];
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? `Distribution of ${valueName} (${nums.length.toLocaleString('en-US')} values)`, notes),
      xaxis: { title: { text: opts.xTitle ?? valueName } },
      yaxis: { title: { text: opts.yTitle ?? 'count' }, ...(opts.logY ? { type: 'log' } : {}) },
      bargap: 0.02,
      shapes,
      annotations,
      showlegend: false,
      meta: { kafkalab: { kind: 'histogram', values: nums.length, above, threshold: opts.threshold ?? null } },
    }),
  );
}

function isNumberArray(v: unknown): v is ArrayLike<number> {
  if (ArrayBuffer.isView(v)) return true;
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number');
}

export function requireY(y: string | string[] | undefined, plot: string): string[] {
  const ys = typeof y === 'string' ? [y] : y;
  if (!ys || ys.length === 0) throw new KafkalabError(`${plot} needs { y: 'column' } or { y: ['a', 'b'] }`, { code: 'BAD_OPTION' });
  return ys;
}

export function groupRows(values: ArrayLike<unknown>, maxGroups: number): { keys: unknown[]; rows: (number[] | undefined)[]; omitted: number } {
  const map = new Map<unknown, number[]>();
  for (let i = 0; i < values.length; i++) {
    const k = values[i] ?? '(none)';
    let rows = map.get(k);
    if (!rows) map.set(k, (rows = []));
    rows.push(i);
  }
  const keys = [...map.keys()].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), 'en', { numeric: true })));
  const kept = keys.slice(0, maxGroups);
  return { keys: kept, rows: kept.map((k) => map.get(k)!), omitted: keys.length - kept.length };
}

export function titleWithNotes(title: string, notes: string[]): Layout {
  const text = notes.length ? `${title}<br><sup>${notes.join('; ')}</sup>` : title;
  return { text, x: 0.01, xanchor: 'left' };
}

export function finishLayout(opts: CommonOptions, layout: Layout): Layout {
  return { ...layout, ...(opts.height ? { height: opts.height } : {}), ...(opts.layout ?? {}) };
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

export { columnNames, toNumber };
