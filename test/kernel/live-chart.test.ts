/**
 * LiveChart (kernel/runtime.ts): a chart drawn whole once, then extended by deltas of new points
 * only. Property: whatever the appends, flushes and full redraws, and however the kernel's send
 * queue folds waiting deltas (the real SendQueue, with sends that take random time), the page's
 * chart ends up holding exactly every point, in order: the deltas' own scripts run here against
 * a minimal page (an element with Plotly's `data`, and a Plotly.extendTraces).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as vm from 'vm';
import { Figure } from '../../sdk/plot/figure';
import { KernelBridge, LiveChart, setKernelBridge } from '../../kernel/runtime';
import { MimeBundle } from '../../kernel/display';
import { SendQueue } from '../../kernel/send-queue';
import { APPEND_FOLD } from '../../kernel/tslab-sockets';

interface Sent {
  bundle: MimeBundle;
  id?: string;
}

interface PageElement {
  attrs: Record<string, string>;
  data: { x: unknown[]; y: unknown[] }[];
  getAttribute(k: string): string | null;
  setAttribute(k: string, v: string): void;
}

/** The page: one chart element (replaced by full draws) and the timers its scripts set. */
function page() {
  let el: PageElement | undefined;
  let timers: (() => void)[] = [];
  const ctx = vm.createContext({
    document: { getElementById: () => el },
    setTimeout: (f: () => void) => timers.push(f),
    JSON,
    Math,
    window: {} as Record<string, unknown>,
  });
  (ctx.window as Record<string, unknown>).Plotly = {
    extendTraces(target: PageElement, upd: { x: unknown[][]; y: unknown[][] }, idx: number[]) {
      idx.forEach((i, j) => {
        target.data[i].x.push(...upd.x[j]);
        target.data[i].y.push(...upd.y[j]);
      });
    },
  };
  return {
    deliver(b: MimeBundle) {
      const js = b.data['application/javascript'];
      const plotly = b.data['application/vnd.plotly.v1+json'] as { data: { x: unknown[]; y: unknown[] }[] } | undefined;
      if (plotly) {
        const html = String(b.data['text/html']);
        const attrs: Record<string, string> = {
          'data-kafkalab-gen': /data-kafkalab-gen="(\d+)"/.exec(html)![1],
          'data-kafkalab-n': /data-kafkalab-n="([^"]*)"/.exec(html)![1].replace(/&quot;/g, '"'),
        };
        el = {
          attrs,
          data: plotly.data.map((t) => ({ x: [...t.x], y: [...t.y] })),
          getAttribute: (k) => attrs[k] ?? null,
          setAttribute: (k, v) => void (attrs[k] = v),
        };
      } else if (typeof js === 'string') {
        vm.runInContext(js, ctx);
        if (plotly === undefined && b.data['text/html']) throw new Error('a delta carries HTML');
      }
      for (let round = 0; round < 50 && timers.length; round++) {
        const t = timers;
        timers = [];
        t.forEach((f) => f());
      }
    },
    get el() {
      return el;
    },
  };
}

type Op = { kind: 'append'; trace: number; n: number } | { kind: 'flush' } | { kind: 'redraw' };

test('every point reaches the page exactly once, in order, however deltas are folded and delayed', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), trace: fc.nat(2), n: fc.integer({ min: 1, max: 5 }) }) },
          { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
          { weight: 1, arbitrary: fc.constant({ kind: 'redraw' as const }) },
        ),
        { minLength: 1, maxLength: 60 },
      ),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }),
      async (traceCount, ops: Op[], delays) => {
        const p = page();
        let d = 0;
        // The kernel's queue: feed deltas combine (APPEND_FOLD), chart draws replace; sends take random time.
        const queue = new SendQueue(
          async (frames) => {
            await new Promise((r) => setTimeout(r, delays[d++ % delays.length]));
            p.deliver(frames[0] as MimeBundle);
          },
          (err) => {
            throw err;
          },
          0,
        );
        const bridge: KernelBridge = {
          state: { plotlyLoaded: true },
          send(bundle, id) {
            if (bundle.metadata[APPEND_FOLD]) {
              queue.pushCombined(`display:${id}`, bundle, (a, b) => ({ ...b, data: { ...b.data, 'application/javascript': `${a.data['application/javascript']}\n${b.data['application/javascript']}` } }), (s) => [s]);
            } else if (id) queue.pushLatest(`display:${id}`, () => [bundle]);
            else queue.push([bundle]);
            return true;
          },
          onInterrupt: () => () => undefined,
        };
        setKernelBridge(bridge);
        try {
          const all: number[][] = Array.from({ length: traceCount }, () => []);
          const chart = new LiveChart(0);
          let next = 0;
          const figure = () => new Figure(all.map((ys, i) => ({ type: 'scatter', name: `t${i}`, x: ys.map((_, j) => j), y: ys.slice() })));
          chart.redraw(figure(), all.map((ys) => ys.length));
          for (const op of ops) {
            if (op.kind === 'append') {
              const t = op.trace % traceCount;
              const ys = Array.from({ length: op.n }, () => next++);
              const start = all[t].length;
              all[t].push(...ys);
              const pts = Array.from({ length: traceCount }, () => ({ x: [] as unknown[], y: [] as unknown[] }));
              pts[t] = { x: ys.map((_, j) => start + j), y: ys };
              chart.append(pts);
            } else if (op.kind === 'flush') chart.flush();
            else chart.redraw(figure(), all.map((ys) => ys.length));
            if (d % 3 === 0) await new Promise((r) => setImmediate(r));
          }
          chart.flush();
          for (let i = 0; i < 200 && (queue.length || (queue as unknown as { draining: boolean }).draining); i++) await new Promise((r) => setTimeout(r, 2));
          assert.equal(p.el!.data.map((t) => t.y), all);
          assert.equal(p.el!.data.map((t) => t.x), all.map((ys) => ys.map((_, j) => j)));
        } finally {
          setKernelBridge(undefined);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('deltas are small: a 300-epoch-like series sends each point once, not the whole curve each time', () => {
  const sent: Sent[] = [];
  setKernelBridge({ state: { plotlyLoaded: true }, send: (bundle, id) => (sent.push({ bundle, id }), true), onInterrupt: () => () => undefined });
  try {
    const chart = new LiveChart(0);
    chart.redraw(new Figure([{ type: 'scatter', x: [1], y: [0.5] }]), [1]);
    for (let e = 2; e <= 300; e++) chart.append([{ x: [e], y: [1 / e] }]);
    chart.finish(new Figure([{ type: 'scatter', x: Array.from({ length: 300 }, (_, i) => i + 1), y: Array.from({ length: 300 }, (_, i) => 1 / (i + 1)) }]), [300]);
    const deltas = sent.filter((s) => typeof s.bundle.data['application/javascript'] === 'string');
    assert.is(deltas.length, 299);
    assert.is(chart.stats.points, 299);
    const deltaBytes = deltas.reduce((n, s) => n + String(s.bundle.data['application/javascript']).length, 0);
    const full = sent.filter((s) => s.bundle.data['application/vnd.plotly.v1+json']);
    assert.is(full.length, 2, 'first draw and final state only');
    // Redrawing the whole curve every epoch would send ~150x the final figure's points.
    assert.ok(deltaBytes < 299 * 900, `deltas ${deltaBytes} bytes`);
    assert.equal(sent[sent.length - 1].bundle.data, { 'text/plain': '' }, 'the feed is emptied at the end');
  } finally {
    setKernelBridge(undefined);
  }
});

test.run();
