/**
 * A static SVG picture of a figure, drawn in Node without a browser: what a notebook shows where
 * no JavaScript runs (an untrusted notebook, GitHub, nbviewer, an e-mail). It covers what the
 * kafkalab builders make: scatter traces (lines, markers), bars (vertical and horizontal,
 * grouped), heatmaps with cell text, linear / log / date / category axes, a second y axis
 * stacked under the first (`domain`), line shapes, annotations' text and a legend. It is a
 * faithful preview, not a Plotly re-implementation: hover, zoom and exotic options need the
 * interactive chart.
 */
import { escapeHTML, type FigureJSON, type Trace } from './figure';

export interface SVGOptions {
  width?: number;
  height?: number;
}

type Scale = { map(v: unknown): number | undefined; ticks: { at: number; label: string }[] };

interface AxisSpec {
  type: 'linear' | 'log' | 'date' | 'category';
  min: number;
  max: number;
  cats: string[];
  reversed: boolean;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string') return (v as { text: string }).text;
  return '';
}

/** Plotly's small HTML subset (<br>, <sup>, <b>) as lines of plain text. */
function lines(html: string): string[] {
  return html
    .split(/<br\s*\/?>/i)
    .map((l) => l.replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').trim())
    .filter(Boolean);
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

const dateNum = (v: unknown): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
};

function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(1);
  return Number(v.toPrecision(6)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

const TIME_STEPS = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3, 30 * 86400e3];

function dateLabel(t: number, step: number): string {
  const iso = new Date(t).toISOString();
  if (step < 60e3) return iso.slice(11, 19);
  if (step < 86400e3) return iso.slice(11, 16);
  return iso.slice(0, 10);
}

function axisSpec(layoutAxis: Record<string, unknown>, values: unknown[], forceCategory: boolean, pad: boolean): AxisSpec {
  const declared = layoutAxis.type as string | undefined;
  const reversed = layoutAxis.autorange === 'reversed';
  const isCat = forceCategory || declared === 'category' || (declared !== 'date' && values.length > 0 && values.every((v) => v === null || (typeof v === 'string' && num(v) === undefined)));
  if (isCat) {
    const cats: string[] = [];
    for (const v of values) if (v !== null && v !== undefined && !cats.includes(String(v))) cats.push(String(v));
    return { type: 'category', min: -0.5, max: cats.length - 0.5, cats, reversed };
  }
  const type = declared === 'date' ? 'date' : declared === 'log' ? 'log' : 'linear';
  const conv = type === 'date' ? dateNum : num;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    let n = conv(v);
    if (n === undefined) continue;
    if (type === 'log') {
      if (n <= 0) continue;
      n = Math.log10(n);
    }
    if (n < min) min = n;
    if (n > max) max = n;
  }
  const range = layoutAxis.range as unknown[] | undefined;
  if (Array.isArray(range) && range.length === 2 && conv(range[0]) !== undefined && conv(range[1]) !== undefined) {
    min = conv(range[0])!;
    max = conv(range[1])!;
  } else if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  } else if (min === max) {
    min -= 1;
    max += 1;
  } else if (pad) {
    const p = (max - min) * 0.05;
    min -= p;
    max += p;
  }
  return { type, min, max, cats: [], reversed };
}

function scale(spec: AxisSpec, from: number, to: number, horizontal: boolean): Scale {
  const [a, b] = spec.reversed ? [to, from] : [from, to];
  const lin = (n: number) => a + ((n - spec.min) / (spec.max - spec.min)) * (b - a);
  const target = Math.max(2, Math.round(Math.abs(to - from) / (horizontal ? 90 : 45)));
  if (spec.type === 'category') {
    const every = Math.max(1, Math.ceil(spec.cats.length / target));
    return {
      map: (v) => {
        const i = spec.cats.indexOf(String(v));
        return i < 0 ? undefined : lin(i);
      },
      ticks: spec.cats.filter((_, i) => i % every === 0).map((c) => ({ at: lin(spec.cats.indexOf(c)), label: c.length > 24 ? c.slice(0, 23) + '…' : c })),
    };
  }
  if (spec.type === 'date') {
    const span = spec.max - spec.min;
    const step = TIME_STEPS.find((s) => span / s <= target) ?? niceStep(span, target);
    const ticks: Scale['ticks'] = [];
    for (let t = Math.ceil(spec.min / step) * step; t <= spec.max; t += step) ticks.push({ at: lin(t), label: dateLabel(t, step) });
    return { map: (v) => (dateNum(v) === undefined ? undefined : lin(dateNum(v)!)), ticks };
  }
  const step = niceStep(spec.max - spec.min, target);
  const ticks: Scale['ticks'] = [];
  for (let t = Math.ceil(spec.min / step) * step; t <= spec.max + step * 1e-9; t += step) {
    const at = Math.abs(t) < step * 1e-9 ? 0 : t;
    ticks.push({ at: lin(at), label: spec.type === 'log' ? fmt(Math.pow(10, at)) : fmt(at) });
  }
  const log = spec.type === 'log';
  return {
    map: (v) => {
      const n = num(v);
      if (n === undefined || (log && n <= 0)) return undefined;
      return lin(log ? Math.log10(n) : n);
    },
    ticks,
  };
}

function colorOf(t: Trace, i: number): string {
  const line = t.line as { color?: unknown } | undefined;
  const marker = t.marker as { color?: unknown } | undefined;
  if (typeof line?.color === 'string') return line.color;
  if (typeof marker?.color === 'string') return marker.color;
  return COLORS[i % COLORS.length];
}

const attr = (s: string) => escapeHTML(s);

/** Heatmap cell colour: Plotly's 'Blues' from light (low) to dark (high), or reversed. */
function blues(f: number, reversed: boolean): string {
  const t = reversed ? 1 - f : f;
  const lo = [8, 48, 107];
  const hi = [247, 251, 255];
  const c = lo.map((l, i) => Math.round(l + (hi[i] - l) * t));
  return `rgb(${c.join(',')})`;
}

export function figureSVG(fig: FigureJSON, opts: SVGOptions = {}): string {
  const layout = fig.layout ?? {};
  const W = opts.width ?? 800;
  const H = opts.height ?? (typeof layout.height === 'number' ? layout.height : 450);
  const traces = (fig.data ?? []).filter((t) => t.visible !== false);
  const titleLines = lines(text(layout.title));
  const names = traces.map((t, i) => ({ name: String(t.name ?? `trace ${i}`), color: colorOf(t, i) }));
  const showLegend = layout.showlegend !== false && traces.length > 1 && !traces.some((t) => t.type === 'heatmap');
  const top = 20 + titleLines.length * 17;
  const left = 70;
  const right = 20;
  const bottom = showLegend ? 80 : 55;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  titleLines.forEach((l, i) => out.push(`<text x="${left}" y="${18 + i * 17}" font-size="${i === 0 ? 15 : 11}" fill="${i === 0 ? '#222' : '#666'}">${attr(l)}</text>`));

  // One x axis; y axes: 'y' and, when traces use it, 'y2' (each with its vertical domain).
  const xLayout = (layout.xaxis ?? {}) as Record<string, unknown>;
  const horizontalBars = traces.some((t) => t.type === 'bar' && t.orientation === 'h');
  const xs = traces.flatMap((t) => Array.from((t.x as unknown[]) ?? []));
  const plotW = W - left - right;
  const plotTop = top;
  const plotBottom = H - bottom;
  const shapes = (Array.isArray(layout.shapes) ? layout.shapes : []) as Record<string, unknown>[];
  const shapeXs = shapes.filter((s) => s.xref === 'x').flatMap((s) => [s.x0, s.x1]);
  const xSpec = axisSpec(xLayout, [...xs, ...shapeXs], traces.some((t) => t.type === 'heatmap' && Array.isArray(t.x)) || (traces.some((t) => t.type === 'bar' && !horizontalBars) && xs.every((v) => typeof v === 'string')), traces.every((t) => t.type !== 'bar' || horizontalBars));
  if (traces.some((t) => t.type === 'bar' && !horizontalBars) && xSpec.type !== 'category') {
    // Bars need room for their width at both ends.
    const w = Number(traces.find((t) => t.type === 'bar')?.width) || (xSpec.max - xSpec.min) / Math.max(1, xs.length);
    xSpec.min -= w / 2;
    xSpec.max += w / 2;
  }
  if (horizontalBars && xSpec.type !== 'category') xSpec.min = Math.min(0, xSpec.min);
  const x = scale(xSpec, left, left + plotW, true);

  const yNames = [...new Set(traces.map((t) => (t.yaxis as string) || 'y'))];
  const yScales = new Map<string, { s: Scale; y0: number; y1: number }>();
  for (const yn of yNames) {
    const key = yn === 'y' ? 'yaxis' : `yaxis${yn.slice(1)}`;
    const yl = (layout[key] ?? {}) as Record<string, unknown>;
    const domain = (Array.isArray(yl.domain) ? yl.domain : [0, 1]) as number[];
    const y0 = plotBottom - domain[1] * (plotBottom - plotTop);
    const y1 = plotBottom - domain[0] * (plotBottom - plotTop);
    const own = traces.filter((t) => ((t.yaxis as string) || 'y') === yn);
    const values = own.flatMap((t) => Array.from((t.y as unknown[]) ?? []));
    const ownShapes = shapes.filter((s) => s.yref === yn).flatMap((s) => [s.y0, s.y1]);
    const isBar = own.some((t) => t.type === 'bar' && !horizontalBars);
    const spec = axisSpec(yl, [...values, ...ownShapes, ...(isBar ? [0] : [])], own.some((t) => t.type === 'heatmap' && Array.isArray(t.y)) || (horizontalBars && values.every((v) => typeof v === 'string')), !isBar);
    if (isBar && spec.type !== 'category') spec.min = Math.min(0, spec.min);
    yScales.set(yn, { s: scale(spec, y1, y0, false), y0, y1 });
    // Grid and y ticks.
    const ys = yScales.get(yn)!;
    for (const t of ys.s.ticks) {
      if (t.at < y0 - 0.5 || t.at > y1 + 0.5) continue;
      if (spec.type !== 'category') out.push(`<line x1="${left}" x2="${left + plotW}" y1="${t.at.toFixed(1)}" y2="${t.at.toFixed(1)}" stroke="#eeeeee"/>`);
      out.push(`<text x="${left - 6}" y="${(t.at + 4).toFixed(1)}" text-anchor="end" fill="#444">${attr(t.label)}</text>`);
    }
    const yTitle = lines(text(yl.title))[0];
    if (yTitle) out.push(`<text transform="translate(14 ${((y0 + y1) / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" fill="#444">${attr(yTitle)}</text>`);
    out.push(`<line x1="${left}" x2="${left}" y1="${y0}" y2="${y1}" stroke="#999"/>`);
  }
  for (const t of x.ticks) {
    if (t.at < left - 0.5 || t.at > left + plotW + 0.5) continue;
    if (xSpec.type !== 'category') out.push(`<line x1="${t.at.toFixed(1)}" x2="${t.at.toFixed(1)}" y1="${plotTop}" y2="${plotBottom}" stroke="#f3f3f3"/>`);
    out.push(`<text x="${t.at.toFixed(1)}" y="${plotBottom + 15}" text-anchor="middle" fill="#444">${attr(t.label)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${plotBottom}" y2="${plotBottom}" stroke="#999"/>`);
  const xTitle = lines(text(xLayout.title))[0];
  if (xTitle) out.push(`<text x="${left + plotW / 2}" y="${plotBottom + 32}" text-anchor="middle" fill="#444">${attr(xTitle)}</text>`);

  const bars = traces.filter((t) => t.type === 'bar');
  traces.forEach((t, i) => {
    const ys = yScales.get((t.yaxis as string) || 'y')!;
    const color = names[i].color;
    const tx = Array.from((t.x as unknown[]) ?? []);
    const ty = Array.from((t.y as unknown[]) ?? []);
    if (t.type === 'heatmap') {
      const z = (t.z as number[][]) ?? [];
      const flat = z.flat().filter((v) => Number.isFinite(v));
      const lo = Math.min(...flat);
      const hi = Math.max(...flat);
      const cellText = t.text as string[][] | undefined;
      const cw = plotW / Math.max(1, z[0]?.length ?? 1);
      const ch = (ys.y1 - ys.y0) / Math.max(1, z.length);
      z.forEach((row, r) =>
        row.forEach((v, c) => {
          const cx = x.map(tx[c] ?? c) ?? left + c * cw + cw / 2;
          const cy = ys.s.map(ty[r] ?? r) ?? ys.y0 + r * ch + ch / 2;
          const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
          const fill = blues(f, t.reversescale === true);
          out.push(`<rect x="${(cx - cw / 2).toFixed(1)}" y="${(cy - ch / 2).toFixed(1)}" width="${cw.toFixed(1)}" height="${ch.toFixed(1)}" fill="${fill}" stroke="#fff"/>`);
          const label = cellText?.[r]?.[c];
          if (label !== undefined) {
            const dark = (t.reversescale === true ? 1 - f : f) < 0.5;
            lines(String(label)).forEach((l, k, all) => out.push(`<text x="${cx.toFixed(1)}" y="${(cy + 5 + (k - (all.length - 1) / 2) * 16).toFixed(1)}" text-anchor="middle" font-size="13" fill="${dark ? '#fff' : '#222'}">${attr(l)}</text>`));
          }
        }),
      );
      return;
    }
    if (t.type === 'bar') {
      const k = bars.indexOf(t);
      const group = bars.length;
      const horizontal = t.orientation === 'h';
      const cats = horizontal ? ty : tx;
      const vals = horizontal ? tx : ty;
      const axisPx = horizontal ? (ys.y1 - ys.y0) / Math.max(1, xSpec.type === 'category' ? cats.length : cats.length) : xSpec.type === 'category' ? plotW / Math.max(1, xSpec.cats.length) : Math.abs((x.map(Number(t.width) || 0) ?? 0) - (x.map(0) ?? 0)) || plotW / Math.max(1, cats.length);
      const bw = (axisPx * 0.8) / group;
      cats.forEach((c, j) => {
        const v = num(vals[j]);
        if (v === undefined) return;
        if (horizontal) {
          const cy = ys.s.map(c);
          const x0 = x.map(0) ?? left;
          const x1 = x.map(v);
          if (cy === undefined || x1 === undefined) return;
          out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${(cy - (axisPx * 0.8) / 2 + k * bw).toFixed(1)}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${bw.toFixed(1)}" fill="${color}"/>`);
        } else {
          const cx = x.map(c);
          const y0 = ys.s.map(0) ?? ys.y1;
          const y1 = ys.s.map(v);
          if (cx === undefined || y1 === undefined) return;
          out.push(`<rect x="${(cx - (axisPx * 0.8) / 2 + k * bw).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${Math.max(0.5, bw).toFixed(1)}" height="${Math.abs(y1 - y0).toFixed(1)}" fill="${color}"/>`);
        }
      });
      return;
    }
    // scatter
    const mode = String(t.mode ?? 'lines+markers');
    const pts = tx.map((xv, j) => [x.map(xv), ys.s.map(ty[j])] as const);
    if (mode.includes('lines')) {
      // At most the first, lowest, highest and last point per pixel column: the same picture, a
      // path of a few thousand points however long the series.
      let d = '';
      let pen = false;
      let col: { x: number; first: number; lo: number; hi: number; last: number } | undefined;
      const put = (px: number, py: number) => {
        d += `${pen ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
        pen = true;
      };
      const flushCol = () => {
        if (!col) return;
        const ys = [col.first, col.lo, col.hi, col.last].filter((v, k, all) => k === 0 || v !== all[k - 1]);
        for (const v of ys) put(col.x, v);
        col = undefined;
      };
      for (const [px, py] of pts) {
        if (px === undefined || py === undefined) {
          flushCol();
          pen = false;
          continue;
        }
        const cx = Math.round(px);
        if (col && col.x === cx) {
          col.lo = Math.min(col.lo, py);
          col.hi = Math.max(col.hi, py);
          col.last = py;
          continue;
        }
        flushCol();
        col = { x: cx, first: py, lo: py, hi: py, last: py };
      }
      flushCol();
      const width = Number((t.line as { width?: unknown } | undefined)?.width) || 1.5;
      if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"/>`);
    }
    if (mode.includes('markers')) {
      const size = Math.min(4, Number((t.marker as { size?: unknown } | undefined)?.size) / 2 || 3);
      const shown = pts.filter(([px, py]) => px !== undefined && py !== undefined);
      const every = Math.max(1, Math.floor(shown.length / 4000));
      const dots = shown.filter((_, j) => j % every === 0).map(([px, py]) => `M${px!.toFixed(1)} ${py!.toFixed(1)}h0`).join('');
      if (dots) out.push(`<path d="${dots}" stroke="${color}" stroke-width="${size * 2}" stroke-linecap="round" fill="none"/>`);
    }
  });

  for (const s of shapes) {
    if (s.type !== 'line') continue;
    const ys = yScales.get(String(s.yref ?? 'y')) ?? yScales.values().next().value;
    const px = (v: unknown) => (s.xref === 'paper' ? left + Number(v) * plotW : x.map(v));
    const py = (v: unknown) => (s.yref === 'paper' ? plotBottom - Number(v) * (plotBottom - plotTop) : ys?.s.map(v));
    const [x0, x1, y0, y1] = [px(s.x0), px(s.x1), py(s.y0), py(s.y1)];
    if ([x0, x1, y0, y1].some((v) => v === undefined || !Number.isFinite(v))) continue;
    const line = (s.line ?? {}) as { color?: string; width?: number; dash?: string };
    out.push(`<line x1="${x0!.toFixed(1)}" x2="${x1!.toFixed(1)}" y1="${y0!.toFixed(1)}" y2="${y1!.toFixed(1)}" stroke="${attr(line.color ?? '#d62728')}" stroke-width="${line.width ?? 1.5}"${line.dash ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  for (const a of (Array.isArray(layout.annotations) ? layout.annotations : []) as Record<string, unknown>[]) {
    const l = lines(String(a.text ?? ''))[0];
    if (!l) continue;
    const ax = a.xref === 'paper' ? left + Number(a.x) * plotW : x.map(a.x);
    const ay = a.yref === 'paper' ? plotBottom - Number(a.y) * (plotBottom - plotTop) : yScales.get('y')?.s.map(a.y);
    if (ax === undefined || ay === undefined || !Number.isFinite(ax) || !Number.isFinite(ay)) continue;
    const color = (a.font as { color?: string } | undefined)?.color ?? '#444';
    out.push(`<text x="${(ax + 4).toFixed(1)}" y="${(ay + 12).toFixed(1)}" fill="${attr(color)}">${attr(l)}</text>`);
  }
  if (showLegend) {
    let lx = left;
    let ly = H - 22;
    for (const n of names.slice(0, 20)) {
      const label = n.name.length > 28 ? n.name.slice(0, 27) + '…' : n.name;
      const w = 24 + label.length * 6.2;
      if (lx + w > W - right) {
        lx = left;
        ly += 14;
      }
      out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${n.color}" stroke-width="3"/><text x="${lx + 20}" y="${ly}" fill="#333">${attr(label)}</text>`);
      lx += w;
    }
  }
  out.push('</svg>');
  return out.join('');
}
