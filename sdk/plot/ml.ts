/** Charts for anomaly detection: anomalies on a time series, training curves, confusion matrix, per-feature errors. */
import { KafkalabError } from '../util/errors';
import { Figure, Trace } from './figure';
import { CommonOptions, finishLayout, formatNumber, requireY, titleWithNotes } from './charts';
import { Columnar, column, columnNames, hasColumn, minMaxDecimate, rowCount, toNumbers, xAxis } from './data';

export interface AnomaliesOptions extends CommonOptions {
  /** Time (or order) column; default `_timestamp` when present, else the row number. */
  x?: string;
  /** Signal(s) to draw, e.g. 'engine_vibration_amplitude'. */
  y: string | string[];
  /** Boolean (or 0/1) column marking anomalies; default `anomaly`. */
  anomaly?: string;
  /** Reconstruction-error column drawn in a lower panel; default `score` (skipped when absent). */
  score?: string;
  /** Threshold line in the score panel (e.g. `ae.threshold`). */
  threshold?: number;
  maxPoints?: number;
  /** Anomaly markers drawn at most; default 5000. */
  maxMarkers?: number;
}

/** The output of `ae.predict(df)` as a time series with the flagged rows marked and the score against the threshold. */
export function anomalies(df: Columnar, opts: AnomaliesOptions): Figure {
  const ys = requireY(opts.y, 'plot.anomalies');
  const n = rowCount(df);
  const { name: xName, x, isTime } = xAxis(df, opts.x, 'plot.anomalies');
  const anomalyName = opts.anomaly ?? 'anomaly';
  const flags = column(df, anomalyName, 'plot.anomalies');
  const flagged: number[] = [];
  for (let i = 0; i < n; i++) if (isTrue(flags[i])) flagged.push(i);
  const maxMarkers = opts.maxMarkers ?? 5000;
  const shownFlags = flagged.length > maxMarkers ? flagged.filter((_, k) => k % Math.ceil(flagged.length / maxMarkers) === 0) : flagged;
  const maxPoints = opts.maxPoints ?? 4000;
  const scoreName = opts.score ?? 'score';
  const withScore = hasColumn(df, scoreName);

  const data: Trace[] = [];
  let reduced = false;
  for (const yName of ys) {
    const y = toNumbers(column(df, yName, 'plot.anomalies'));
    const d = minMaxDecimate(x, y, maxPoints);
    reduced ||= d.reduced;
    data.push({ type: 'scatter', mode: 'lines', name: yName, x: d.x, y: d.y, line: { width: 1.2 }, yaxis: 'y' });
    data.push({
      type: 'scatter', mode: 'markers', name: ys.length > 1 ? `anomaly (${yName})` : 'anomaly',
      x: shownFlags.map((i) => x[i]), y: shownFlags.map((i) => y[i]), yaxis: 'y',
      marker: { color: '#d62728', size: 7, symbol: 'x', line: { width: 1 } },
    });
  }
  if (withScore) {
    const s = toNumbers(column(df, scoreName, 'plot.anomalies'));
    const d = minMaxDecimate(x, s, maxPoints);
    data.push({ type: 'scatter', mode: 'lines', name: scoreName, x: d.x, y: d.y, yaxis: 'y2', line: { width: 1, color: '#7f7f7f' } });
  }
  const shapes = withScore && opts.threshold !== undefined
    ? [{ type: 'line', xref: 'paper', yref: 'y2', x0: 0, x1: 1, y0: opts.threshold, y1: opts.threshold, line: { color: '#d62728', dash: 'dash', width: 1.5 } }]
    : [];
  const share = n ? ((100 * flagged.length) / n).toFixed(2) : '0';
  const notes = [`${flagged.length.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} rows flagged (${share}%)`];
  if (opts.threshold !== undefined) notes.push(`threshold ${formatNumber(opts.threshold)}`);
  if (reduced) notes.push(`lines min-max decimated to ≤ ${maxPoints} points`);
  if (shownFlags.length < flagged.length) notes.push(`${shownFlags.length} of the markers drawn`);
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? `Anomalies in ${ys.join(', ')}`, notes),
      xaxis: { title: { text: opts.xTitle ?? xName ?? 'row' }, anchor: withScore ? 'y2' : 'y', ...(isTime ? { type: 'date' } : {}) },
      yaxis: { title: { text: opts.yTitle ?? (ys.length === 1 ? ys[0] : 'value') }, domain: withScore ? [0.38, 1] : [0, 1] },
      ...(withScore ? { yaxis2: { title: { text: scoreName }, domain: [0, 0.28], anchor: 'x', gridcolor: '#eeeeee' } } : {}),
      shapes,
      height: opts.height ?? (withScore ? 560 : 450),
      meta: { kafkalab: { kind: 'anomalies', rows: n, flagged: flagged.length, threshold: opts.threshold ?? null } },
    }),
  );
}

function isTrue(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'True';
}

export type LossHistory =
  | Array<{ epoch?: number; loss: number; valLoss?: number; val_loss?: number }>
  | { loss: ArrayLike<number>; valLoss?: ArrayLike<number>; val_loss?: ArrayLike<number> }
  | { history: { loss: ArrayLike<number>; val_loss?: ArrayLike<number>; valLoss?: ArrayLike<number> } };

export interface LossOptions extends CommonOptions {
  logY?: boolean;
  /** Total epochs planned: fixes the x range while training is live. */
  epochs?: number;
}

/** Training curves: from `onEpoch` records, a `{ loss, valLoss }` history, or a TensorFlow.js History. */
export function loss(history: LossHistory, opts: LossOptions = {}): Figure {
  const { epochs, train, val } = normalizeHistory(history);
  const data: Trace[] = [{ type: 'scatter', mode: 'lines+markers', name: 'training loss', x: epochs, y: train, line: { color: '#1f77b4' } }];
  if (val.some((v) => Number.isFinite(v))) data.push({ type: 'scatter', mode: 'lines+markers', name: 'validation loss', x: epochs, y: val, line: { color: '#ff7f0e' } });
  const last = train.length ? train[train.length - 1] : undefined;
  const lastVal = val.length ? val[val.length - 1] : undefined;
  const notes = last !== undefined ? [`epoch ${epochs[epochs.length - 1]}: loss ${formatNumber(last)}${lastVal !== undefined && Number.isFinite(lastVal) ? `, validation ${formatNumber(lastVal)}` : ''}`] : [];
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? 'Training loss', notes),
      // One tick per epoch only while that stays readable (300 ticks cost the browser, too).
      xaxis: { title: { text: opts.xTitle ?? 'epoch' }, ...(opts.epochs ? { range: [0.5, opts.epochs + 0.5] } : {}), ...(Math.max(opts.epochs ?? 0, epochs.length) <= 20 ? { dtick: 1 } : {}) },
      yaxis: { title: { text: opts.yTitle ?? 'loss (MSE)' }, ...(opts.logY ? { type: 'log' } : {}) },
      meta: { kafkalab: { kind: 'loss', epochs: epochs.length } },
    }),
  );
}

function normalizeHistory(h: LossHistory): { epochs: number[]; train: number[]; val: number[] } {
  if (Array.isArray(h)) {
    return {
      epochs: h.map((r, i) => (r.epoch !== undefined ? r.epoch : i + 1)),
      train: h.map((r) => r.loss),
      val: h.map((r) => r.valLoss ?? r.val_loss ?? NaN),
    };
  }
  const src = 'history' in h && h.history ? h.history : (h as { loss: ArrayLike<number>; valLoss?: ArrayLike<number>; val_loss?: ArrayLike<number> });
  if (!src.loss) throw new KafkalabError('plot.loss needs a history: [{ epoch, loss, valLoss }] or { loss: [...], valLoss: [...] }', { code: 'BAD_OPTION' });
  const train = Array.from(src.loss, Number);
  const valSrc = src.valLoss ?? src.val_loss;
  return { epochs: train.map((_, i) => i + 1), train, val: valSrc ? Array.from(valSrc, Number) : [] };
}

export type ConfusionInput =
  | { tp: number; fp: number; tn: number; fn: number }
  | { truePositives: number; falsePositives: number; trueNegatives: number; falseNegatives: number }
  | number[][]
  | { matrix: number[][]; labels?: string[] }
  | { confusion: unknown; precision?: number; recall?: number; f1?: number; auc?: number };

export interface ConfusionOptions extends CommonOptions {
  /** Class names in matrix order; default ['normal', 'anomaly']. */
  labels?: string[];
}

/**
 * Confusion matrix heatmap; rows are the actual class, columns the predicted one. Takes the
 * result of `ae.evaluate(...)` directly (its precision, recall, F1 and AUC go in the title).
 */
export function confusion(input: ConfusionInput, opts: ConfusionOptions = {}): Figure {
  const metrics = typeof input === 'object' && !Array.isArray(input) && 'confusion' in input ? input : undefined;
  const { matrix, labels: found } = normalizeConfusion(metrics ? (metrics.confusion as ConfusionInput) : input);
  const labels = opts.labels ?? found ?? (matrix.length === 2 ? ['normal', 'anomaly'] : matrix.map((_, i) => String(i)));
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const text = matrix.map((row) => row.map((v) => `${v.toLocaleString('en-US')}<br>${total ? ((100 * v) / total).toFixed(1) : '0'}%`));
  const notes: string[] = [];
  if (metrics) {
    for (const k of ['precision', 'recall', 'f1', 'auc'] as const) {
      const v = metrics[k];
      if (typeof v === 'number') notes.push(`${k === 'f1' ? 'F1' : k === 'auc' ? 'AUC' : k} ${v.toFixed(3)}`);
    }
  }
  return new Figure(
    [{
      // Colour by log count: the normal-normal cell dwarfs the others, which are the interesting ones.
      type: 'heatmap', z: matrix.map((r) => r.map((v) => Math.log10(1 + v))), x: labels.map((l) => `predicted ${l}`), y: labels.map((l) => `actual ${l}`),
      text, texttemplate: '%{text}', textfont: { size: 14 }, colorscale: 'Blues', reversescale: true, showscale: false,
      customdata: matrix, hovertemplate: '%{y}, %{x}: %{customdata}<extra></extra>',
    }],
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? 'Confusion matrix', notes),
      xaxis: { title: { text: opts.xTitle ?? 'predicted' }, side: 'bottom', gridcolor: 'rgba(0,0,0,0)' },
      yaxis: { title: { text: opts.yTitle ?? 'actual' }, autorange: 'reversed', gridcolor: 'rgba(0,0,0,0)', automargin: true },
      height: opts.height ?? 420,
      meta: { kafkalab: { kind: 'confusion', total } },
    }),
  );
}

function normalizeConfusion(c: ConfusionInput): { matrix: number[][]; labels?: string[] } {
  if (Array.isArray(c)) return { matrix: c.map((r) => r.map(Number)) };
  const o = c as Record<string, unknown>;
  if (Array.isArray(o.matrix)) return { matrix: (o.matrix as number[][]).map((r) => r.map(Number)), labels: o.labels as string[] | undefined };
  const get = (...names: string[]) => {
    for (const n of names) if (typeof o[n] === 'number') return o[n] as number;
    return undefined;
  };
  const tp = get('tp', 'truePositives', 'TP');
  const fp = get('fp', 'falsePositives', 'FP');
  const tn = get('tn', 'trueNegatives', 'TN');
  const fn = get('fn', 'falseNegatives', 'FN');
  if ([tp, fp, tn, fn].some((v) => v === undefined)) {
    throw new KafkalabError('plot.confusion needs { tp, fp, tn, fn }, a square matrix, or the result of ae.evaluate()', { code: 'BAD_OPTION' });
  }
  return { matrix: [[tn!, fp!], [fn!, tp!]] };
}

export type FeatureErrorInput =
  | Record<string, number>
  | Array<{ feature: string; error: number }>
  | { features: string[]; errors: ArrayLike<number> }
  | Columnar;

export interface FeatureErrorOptions extends CommonOptions {
  /** A second set of errors drawn side by side, e.g. anomalous rows against normal ones. */
  compare?: FeatureErrorInput;
  /** Legend names of the two sets; default ['errors', 'compare']. */
  names?: [string, string];
  /** Show only the largest N features. */
  top?: number;
}

/** Per-feature reconstruction errors as horizontal bars, largest at the top: which sensor drives the anomaly. */
export function featureErrors(input: FeatureErrorInput, opts: FeatureErrorOptions = {}): Figure {
  const main = normalizeFeatureErrors(input);
  const order = [...main.keys()].sort((a, b) => main.get(b)! - main.get(a)!);
  const shown = (opts.top ? order.slice(0, opts.top) : order).reverse();
  const names = opts.names ?? ['errors', 'compare'];
  const data: Trace[] = [{ type: 'bar', orientation: 'h', name: names[0], y: shown, x: shown.map((f) => main.get(f)!), marker: { color: '#1f77b4' } }];
  if (opts.compare) {
    const other = normalizeFeatureErrors(opts.compare);
    data.push({ type: 'bar', orientation: 'h', name: names[1], y: shown, x: shown.map((f) => other.get(f) ?? null), marker: { color: '#ff7f0e' } });
  }
  return new Figure(
    data,
    finishLayout(opts, {
      title: titleWithNotes(opts.title ?? 'Reconstruction error per feature', opts.top && order.length > opts.top ? [`top ${opts.top} of ${order.length} features`] : []),
      xaxis: { title: { text: opts.xTitle ?? 'mean squared error' } },
      yaxis: { title: { text: opts.yTitle ?? '' }, automargin: true },
      barmode: 'group',
      showlegend: data.length > 1,
      height: opts.height ?? Math.max(300, 60 + shown.length * (data.length > 1 ? 34 : 24)),
      meta: { kafkalab: { kind: 'featureErrors', features: order.length } },
    }),
  );
}

function normalizeFeatureErrors(input: FeatureErrorInput): Map<string, number> {
  if (Array.isArray(input)) return new Map(input.map((r) => [r.feature, Number(r.error)]));
  const o = input as Record<string, unknown>;
  if (Array.isArray(o.features) && o.errors) {
    const errs = o.errors as ArrayLike<number>;
    return new Map((o.features as string[]).map((f, i) => [f, Number(errs[i])]));
  }
  if (Array.isArray(o.columns) && Array.isArray(o.shape)) {
    // A frame of per-row, per-feature errors: the bar is each column's mean.
    const out = new Map<string, number>();
    for (const name of columnNames(input as Columnar)) {
      const v = toNumbers(column(input as Columnar, name));
      let sum = 0;
      let count = 0;
      for (const x of v) if (Number.isFinite(x)) (sum += x), count++;
      if (count) out.set(name, sum / count);
    }
    return out;
  }
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number') out.set(k, v);
    else if (v && typeof v === 'object' && 'length' in (v as object)) {
      const arr = toNumbers(v as ArrayLike<unknown>);
      out.set(k, arr.reduce((a, b) => a + b, 0) / (arr.length || 1));
    }
  }
  if (out.size === 0) throw new KafkalabError('plot.featureErrors needs { feature: error } pairs', { code: 'BAD_OPTION' });
  return out;
}
