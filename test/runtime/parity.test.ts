/**
 * Parity as a property, in process (fast, many cases): for generated topics (payloads.ts), the
 * notebook's path — read()'s per-partition decoding into a DataFrame, then the Autoencoder's
 * column reading and the runtime's rows rule, windows and scaling — and the exported app's path —
 * its real ChunkDecoder (templates/app/src/chunk.ts) on messages in arrival order, partitions
 * interleaved in chunks of any size, one window state — give every record the same verdict: the
 * same decode failure, the same rejection reason, or the same feature row to the bit. The app
 * process itself, with a trained model and the broker, is test/export/parity.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { ChunkDecoder } from '../../sdk/export/templates/app/src/chunk';
import { toDataFrame } from '../../sdk/frame/dataframe';
import { columnsOf } from '../../sdk/ml/input';
import { ColumnSet } from '../../sdk/runtime/decode/columns';
import { RecordDecoder } from '../../sdk/runtime/decode/record-decoder';
import { checkPipeline, FeatureState, prepareRows, Scorer, windowFeatureName, PIPELINE_VERSION, type PipelineSpec } from '../../sdk/runtime';
import { caseArb, flatName, recordArb, recordText, schemaArb, toMessages, type Message, type PayloadCase } from './payloads';

const RUNS = Number(process.env.PARITY_RUNS ?? 150);

/**
 * fc.assert with a short failure: the assertion that failed and how to replay it
 * (PARITY_SEED=… PARITY_PATH=…), not the whole generated topic.
 */
export function holds<T>(property: fc.IProperty<T> | fc.IAsyncProperty<T>, runs: number): Promise<void> | void {
  const replay = process.env.PARITY_SEED ? { seed: Number(process.env.PARITY_SEED), path: process.env.PARITY_PATH, endOnFailure: true } : {};
  const report = (d: fc.RunDetails<T>) => {
    if (!d.failed) return;
    const cause = d.errorInstance instanceof Error ? d.errorInstance.message : String(d.errorInstance);
    assert.unreachable(`${cause}\n(after ${d.numRuns} cases; replay with PARITY_SEED=${d.seed} PARITY_PATH=${d.counterexamplePath})`);
  };
  const d = fc.check(property as fc.IProperty<T>, { numRuns: runs, ...replay });
  return d instanceof Promise ? d.then(report) : report(d);
}

test('the byte scanner and JSON.parse decode every generated record to the same cells', () => {
  const records = schemaArb.chain((s) => fc.array(recordArb(s), { minLength: 1, maxLength: 10 }));
  holds(
    fc.property(records, (recs) => {
      const viaBytes = new ColumnSet();
      const viaText = new ColumnSet();
      const bytes = new RecordDecoder(viaBytes);
      const text = new RecordDecoder(viaText);
      recs.forEach((r, i) => {
        const t = recordText(r);
        const a = bytes.add(null, t === null ? null : Buffer.from(t), 0, i, 0);
        const b = text.add(null, t, 0, i, 0); // a string value always takes the JSON.parse path
        assert.is(a, b, `record ${i}: ${t?.slice(0, 200)}`);
      });
      assert.is(viaBytes.rows, viaText.rows);
      for (const c of viaText.columns) {
        const other = viaBytes.get(c.name);
        assert.ok(other, `column ${c.name}`);
        for (let i = 0; i < viaText.rows; i++) assert.ok(Object.is(other!.get(i), c.get(i)), `${c.name}[${i}]: ${other!.get(i)} vs ${c.get(i)}`);
      }
    }),
    RUNS * 4,
  );
});

/** A pipeline for the case's schema, without training: scaling with some offsets and scales. */
function specFor(c: PayloadCase, seed: number): PipelineSpec {
  const inputs = c.schema.inputs.map((p, i) => ({ name: flatName(p), fill: (seed % 7) - i }));
  const windows = c.schema.windows.map((w) => ({ field: inputs[w.input].name, size: w.size, stats: w.stats }));
  const features = [...inputs.map((i) => i.name), ...windows.flatMap((w) => w.stats.map((s) => windowFeatureName(w.field, s, w.size)))];
  return checkPipeline({
    version: PIPELINE_VERSION,
    key: flatName(c.schema.key),
    inputs,
    windows,
    features,
    scaler: { kind: 'standard', offset: features.map((_, i) => i * 1.5 - seed), scale: features.map((_, i) => 0.5 + ((i + seed) % 3)) },
    threshold: { value: 1, method: 'fixed' },
    model: { format: 'tfjs-layers', path: 'model.json', inputSize: features.length, layers: [2], activation: 'relu', outputActivation: 'linear' },
    schema: { fields: [] },
  });
}

type Verdict = { problem: string } | { row: number[] };
const id = (p: number, o: number) => `${p}:${o}`;

/** The notebook: read() (one decoder per partition, then one frame), then the Autoencoder's reading and the rows rule. */
function notebook(spec: PipelineSpec, messages: Message[], partitions: number): Map<string, Verdict> {
  const out = new Map<string, Verdict>();
  const sets: ColumnSet[] = [];
  for (let p = 0; p < partitions; p++) {
    const set = new ColumnSet();
    const decoder = new RecordDecoder(set);
    for (const m of messages.filter((x) => x.partition === p)) {
      const failed = decoder.add(m.key, m.value, p, m.offset, 0);
      if (failed) out.set(id(p, m.offset), { problem: failed });
    }
    sets.push(set);
  }
  const df = toDataFrame(sets);
  const names = [...spec.inputs.map((i) => i.name), spec.key!].filter((n) => (df.columns as string[]).includes(n));
  const { columns, rows } = columnsOf(df, ['_partition', '_offset', ...names]);
  const prepared = prepareRows(spec, columns, rows, new FeatureState(spec));
  const nf = spec.features.length;
  for (let r = 0; r < rows; r++) {
    const key = id(Number(columns._partition[r]), Number(columns._offset[r]));
    if (prepared.problems[r] !== undefined) out.set(key, { problem: prepared.problems[r]! });
  }
  prepared.index.forEach((r, k) => out.set(id(Number(columns._partition[r]), Number(columns._offset[r])), { row: Array.from(prepared.matrix.subarray(k * nf, (k + 1) * nf)) }));
  return out;
}

/** The app: its ChunkDecoder on messages in arrival order (partitions interleaved by `schedule`), one window state. */
function app(spec: PipelineSpec, messages: Message[], partitions: number, schedule: number[]): Map<string, Verdict> {
  const scorer = new Scorer(spec, null as never); // no model call here: only decoding and preparation
  const chunks = new ChunkDecoder(scorer, []);
  const state = scorer.newState();
  const queues = Array.from({ length: partitions }, (_, p) => messages.filter((m) => m.partition === p));
  const out = new Map<string, Verdict>();
  const nf = spec.features.length;
  for (let s = 0; queues.some((q) => q.length); s++) {
    let p = schedule[s % schedule.length] % partitions;
    while (queues[p].length === 0) p = (p + 1) % partitions;
    const take = queues[p].splice(0, 1 + (schedule[(s + 1) % schedule.length] % 7));
    const kafkaMessages = take.map((m) => ({ key: m.key, value: m.value, offset: String(m.offset), timestamp: '0', headers: {} }) as unknown as KafkaMessage);
    const chunk = chunks.decode(kafkaMessages, p, state);
    for (const d of chunk.dead) out.set(id(p, Number(d.message.offset)), { problem: d.reason });
    chunk.source.forEach((m, k) => out.set(id(p, Number(m.offset)), { row: Array.from(chunk.matrix.subarray(k * nf, (k + 1) * nf)) }));
  }
  return out;
}

test('notebook and app give every record of a generated topic the same verdict and feature row', () => {
  holds(
    fc.property(caseArb(5, 60), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.nat(), (c, schedule, seed) => {
      const spec = specFor(c, seed);
      const messages = toMessages(c);
      const nb = notebook(spec, messages, c.schema.partitions);
      const ap = app(spec, messages, c.schema.partitions, schedule);
      assert.is(nb.size, messages.length, 'the notebook has a verdict for every record');
      assert.is(ap.size, messages.length, 'the app has a verdict for every record');
      for (const [k, want] of nb) {
        const got = ap.get(k)!;
        if ('problem' in want) assert.equal(got, want, `record ${k}`);
        else {
          assert.ok('row' in got, `record ${k}: app ${JSON.stringify(got)}, notebook scored it`);
          const a = (got as { row: number[] }).row;
          // Equal as numbers (-0 and 0 alike: a column of mixed types holds -0 as the text "0"; no score can tell).
          want.row.forEach((v, f) => assert.ok(a[f] === v, `record ${k} feature ${spec.features[f]}: app ${a[f]} vs notebook ${v}`));
        }
      }
    }),
    RUNS,
  );
});

test.run();
