/**
 * DataFrames as notebook tables, pandas-style: the first and last rows, the shape and each
 * column's type. Only the rows shown are touched, so a 1M-row frame renders as fast as a small one.
 */
import { eachValue, isMaterialized } from '../sdk/frame/dataframe';
import { escapeHTML } from '../sdk/plot/figure';

export interface TableModel {
  columns: string[];
  dtypes: string[];
  /** Row labels (the frame's index) for the rows in `head` then `tail`. */
  labels: unknown[];
  head: unknown[][];
  tail: unknown[][];
  rowCount: number;
  /** A line under the table, e.g. a read report. */
  notes?: string[];
  /** Extra HTML after the table (e.g. column statistics). */
  extraHTML?: string;
  caption?: string;
}

export interface TableOptions {
  /** Frames up to this many rows are shown whole; default 20. */
  maxRows?: number;
  head?: number;
  tail?: number;
  /** Columns shown at most (first and last ones); default 30. */
  maxColumns?: number;
}

export interface FrameLike {
  columns: string[];
  shape: number[];
  dtypes?: string[];
  values?: unknown;
  index?: unknown[];
}

export function isFrameLike(v: unknown): v is FrameLike {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as FrameLike;
  return Array.isArray(f.columns) && Array.isArray(f.shape) && f.shape.length === 2 && Array.isArray(f.dtypes) && 'values' in f;
}

/** danfo Series: values, dtypes, index but a 1-D shape. */
export function isSeriesLike(v: unknown): v is { values: unknown[]; dtypes: string[]; index: unknown[]; shape: number[]; columns?: string[] } {
  if (typeof v !== 'object' || v === null || isFrameLike(v)) return false;
  const s = v as { values?: unknown; dtypes?: unknown; index?: unknown; shape?: unknown };
  return Array.isArray(s.values) && Array.isArray(s.dtypes) && Array.isArray(s.index) && Array.isArray(s.shape) && (s.shape as unknown[]).length === 1;
}

export function tableModel(df: FrameLike, opts: TableOptions = {}): TableModel {
  const n = df.shape[0];
  const index = Array.isArray(df.index) ? df.index : undefined;
  const { headIdx, tailIdx } = rowWindows(n, opts);
  const row = rowReader(df, [...headIdx, ...tailIdx]);
  return {
    columns: df.columns.slice(),
    dtypes: (df.dtypes ?? []).slice(),
    labels: [...headIdx, ...tailIdx].map((i) => (index ? index[i] : i)),
    head: headIdx.map(row),
    tail: tailIdx.map(row),
    rowCount: n,
  };
}

/**
 * The rows to show. A large frame from kafkalab keeps typed columns and builds danfo's row arrays
 * only on first use (a second and a lot of memory for 1M rows): read just the shown cells from
 * the columns then, so displaying a frame costs no more than its columns' scan.
 */
function rowReader(df: FrameLike, wanted: number[]): (i: number) => unknown[] {
  if (isMaterialized(df as never)) {
    const rows = (df.values ?? []) as unknown[][];
    return (i) => (Array.isArray(rows[i]) ? rows[i] : [rows[i]]);
  }
  const pos = new Map(wanted.map((i, k) => [i, k]));
  const cells = wanted.map(() => new Array<unknown>(df.columns.length));
  df.columns.forEach((name, j) =>
    eachValue(df as never, name, (v, i) => {
      const k = pos.get(i);
      if (k !== undefined) cells[k][j] = v;
    }),
  );
  return (i) => cells[pos.get(i)!];
}

export function seriesModel(s: { values: unknown[]; dtypes: string[]; index: unknown[]; columns?: string[] }, opts: TableOptions = {}): TableModel {
  const n = s.values.length;
  const { headIdx, tailIdx } = rowWindows(n, opts);
  return {
    columns: [s.columns?.[0] ?? '0'],
    dtypes: s.dtypes.slice(0, 1),
    labels: [...headIdx, ...tailIdx].map((i) => s.index[i]),
    head: headIdx.map((i) => [s.values[i]]),
    tail: tailIdx.map((i) => [s.values[i]]),
    rowCount: n,
  };
}

function rowWindows(n: number, opts: TableOptions): { headIdx: number[]; tailIdx: number[] } {
  const maxRows = opts.maxRows ?? 20;
  if (n <= maxRows) return { headIdx: range(0, n), tailIdx: [] };
  const head = Math.min(opts.head ?? 5, n);
  const tail = Math.min(opts.tail ?? 5, n - head);
  return { headIdx: range(0, head), tailIdx: range(n - tail, n) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Which column positions to show; `null` marks the elided middle. */
function columnWindow(count: number, maxColumns: number): (number | null)[] {
  if (count <= maxColumns) return range(0, count);
  const left = Math.ceil(maxColumns / 2);
  return [...range(0, left), null, ...range(count - (maxColumns - left), count)];
}

/** How one column reads: its dtype label and its cells in one number format (pandas-like). */
interface ColumnFormat {
  dtype: string;
  cell(v: unknown): string;
}

const TIME_NAME = /(^|_)(ts|time|timestamp|date|datetime)$|timestamp|time$|^window_(start|end)$/i;

/** Epoch milliseconds as a UTC date-time, to the millisecond only when the column needs it. */
function dateText(ms: number, withMs: boolean): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withMs ? 23 : 19)}`;
}

export function columnFormats(m: TableModel): ColumnFormat[] {
  const rows = [...m.head, ...m.tail];
  return m.columns.map((name, j) => {
    const dtype = m.dtypes[j] ?? '';
    const values = rows.map((r) => r[j]);
    const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const numeric = nums.length > 0 && values.every((v) => v === null || v === undefined || typeof v === 'number');
    // Epoch-millisecond timestamps (Kafka's `_timestamp`, `ts`, window bounds) as dates.
    if (numeric && TIME_NAME.test(name) && nums.every((v) => v > 1e11 && v < 1e14)) {
      const withMs = nums.some((v) => Math.round(v) % 1000 !== 0);
      return { dtype: 'datetime (UTC)', cell: (v) => (typeof v === 'number' && Number.isFinite(v) ? dateText(v, withMs) : formatCell(v)) };
    }
    if (numeric && nums.some((v) => !Number.isInteger(v))) {
      // One format per column: 6 significant digits of its largest value, the same decimals for all.
      const max = Math.max(...nums.map(Math.abs));
      const tiny = max !== 0 && max < 1e-4;
      if (tiny || max >= 1e12) return { dtype, cell: (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(4) : formatCell(v)) };
      const decimals = Math.min(6, Math.max(1, 6 - Math.max(1, Math.floor(Math.log10(max || 1)) + 1)));
      return { dtype, cell: (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(decimals) : formatCell(v)) };
    }
    return { dtype, cell: formatCell };
  });
}

export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-4 || a >= 1e12) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}

const STYLE =
  '<style>.kafkalab-table{border-collapse:collapse;font-size:12px;font-family:inherit}' +
  '.kafkalab-table th,.kafkalab-table td{padding:3px 8px;text-align:right;border-bottom:1px solid #e5e5e5;white-space:nowrap}' +
  '.kafkalab-table thead th{border-bottom:1px solid #999;vertical-align:bottom}' +
  '.kafkalab-table th .dtype{font-weight:normal;color:#888;font-size:10px}' +
  '.kafkalab-table tbody th{color:#666;font-weight:normal}.kafkalab-table tr.gap td,.kafkalab-table tr.gap th{text-align:center;color:#999}' +
  '.kafkalab-meta{color:#555;font-size:12px;margin:4px 0}</style>';

export function tableHTML(m: TableModel, opts: TableOptions = {}): string {
  const cols = columnWindow(m.columns.length, opts.maxColumns ?? 30);
  const formats = columnFormats(m);
  // The dtype after a <br>: unstyled (untrusted notebooks, GitHub) it still reads "_key / string", not "_keystring".
  const header = cols
    .map((j) => (j === null ? '<th>…</th>' : `<th>${escapeHTML(m.columns[j])}<br><span class="dtype">${escapeHTML(formats[j].dtype)}</span></th>`))
    .join('');
  const body: string[] = [];
  const emit = (r: unknown[], label: unknown) =>
    body.push(`<tr><th>${escapeHTML(formatCell(label))}</th>${cols.map((j) => `<td>${j === null ? '…' : escapeHTML(formats[j].cell(r[j]))}</td>`).join('')}</tr>`);
  m.head.forEach((r, i) => emit(r, m.labels[i]));
  const hidden = m.rowCount - m.head.length - m.tail.length;
  if (m.tail.length) {
    body.push(`<tr class="gap"><th>⋮</th><td colspan="${cols.length}">… ${hidden.toLocaleString('en-US')} more rows …</td></tr>`);
    m.tail.forEach((r, i) => emit(r, m.labels[m.head.length + i]));
  }
  // The shape line says what is left out too, so it is in view under a long table.
  const shape = `${m.rowCount.toLocaleString('en-US')} rows × ${m.columns.length} columns${m.tail.length ? ` (first ${m.head.length} and last ${m.tail.length} shown; ${hidden.toLocaleString('en-US')} more rows)` : ''}`;
  const notes = (m.notes ?? []).map((n) => `<div class="kafkalab-meta">${escapeHTML(n)}</div>`).join('');
  const caption = m.caption ? `<div class="kafkalab-meta"><b>${escapeHTML(m.caption)}</b></div>` : '';
  return (
    `<div class="kafkalab-frame">${STYLE}${caption}<table class="kafkalab-table"><thead><tr><th></th>${header}</tr></thead>` +
    `<tbody>${body.join('')}</tbody></table><div class="kafkalab-meta">${shape}</div>${notes}${m.extraHTML ?? ''}</div>`
  );
}

/** The same table as text, for terminals and for `text/plain` in the bundle. */
export function tableText(m: TableModel, opts: TableOptions = {}): string {
  const cols = columnWindow(m.columns.length, opts.maxColumns ?? 12);
  const rows: string[][] = [];
  const cell = (r: unknown[], j: number | null) => (j === null ? '…' : formatCell(r[j]));
  m.head.forEach((r, i) => rows.push([formatCell(m.labels[i]), ...cols.map((j) => cell(r, j))]));
  if (m.tail.length) rows.push(['⋮', ...cols.map(() => '⋮')]);
  m.tail.forEach((r, i) => rows.push([formatCell(m.labels[m.head.length + i]), ...cols.map((j) => cell(r, j))]));
  const head = ['', ...cols.map((j) => (j === null ? '…' : m.columns[j]))];
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const fmt = (r: string[]) => r.map((c, k) => c.padStart(widths[k])).join('  ').trimEnd();
  const lines = [fmt(head), ...rows.map(fmt), '', `[${m.rowCount.toLocaleString('en-US')} rows × ${m.columns.length} columns]`];
  for (const n of m.notes ?? []) lines.push(n);
  return lines.join('\n');
}
