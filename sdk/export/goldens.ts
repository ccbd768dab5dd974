/**
 * Golden records for the exported app's own tests: inputs plus the verdicts the notebook side
 * computes for them at export time (a score, or the reason the record is dead-lettered). The
 * app must reproduce them with its own install: same runtime package, its own TensorFlow.js.
 */
import { mulberry32 } from '../util/prng';
import { recordColumns, type PipelineSpec, type Scorer } from '../runtime';

export interface Golden {
  tolerance: number;
  threshold: number;
  records: Record<string, unknown>[];
  /** null where the record cannot be scored (it goes to the dead-letter topic). */
  scores: (number | null)[];
  /** Why a record cannot be scored (the dead-letter reason), null where it is scored. */
  problems: (string | null)[];
}

/** Scores `records` in order from fresh window state, as the notebook does. */
export function buildGolden(scorer: Scorer, records: Record<string, unknown>[], tolerance: number): Golden {
  const spec = scorer.spec;
  const names = spec.key === undefined ? spec.inputs.map((i) => i.name) : [...spec.inputs.map((i) => i.name), spec.key];
  const { columns, rows } = recordColumns(records, names);
  const { scores, problems } = scorer.scoreRows(columns, rows, scorer.newState());
  return {
    tolerance,
    threshold: scorer.threshold,
    records,
    scores: Array.from(scores, (s, i) => (problems[i] === undefined ? s : null)),
    problems: problems.map((p) => p ?? null),
  };
}

/**
 * Deterministic records shaped like the training data, for when the caller gives no sample:
 * readings drawn around each feature's fitted centre and spread, a few far outside it, and one
 * record the pipeline must reject.
 */
export function syntheticRecords(spec: PipelineSpec, count = 120): Record<string, unknown>[] {
  const rand = mulberry32(0x6b61666b);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centre = spec.inputs.map((inp) => {
    let f = spec.features.indexOf(inp.name);
    if (f < 0) f = spec.features.findIndex((name) => name.startsWith(`${inp.name}_mean_`));
    if (f < 0) return { offset: inp.fill, scale: 1, minmax: false };
    const minmax = spec.scaler.kind === 'minmax';
    return { offset: spec.scaler.offset[f], scale: spec.scaler.scale[f], minmax };
  });
  const keys = Math.min(4, Math.max(1, Math.floor(count / 20)));
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const rec: Record<string, unknown> = {};
    if (spec.key !== undefined) setField(rec, spec.key, `golden-${i % keys}`);
    for (const field of spec.schema?.fields ?? []) if (field.type === 'string' && field.name !== spec.key) setField(rec, field.name, 'golden');
    const outlier = i % 10 === 9;
    spec.inputs.forEach((inp, j) => {
      const c = centre[j];
      const z = (c.minmax ? rand() : gauss()) * (outlier ? 6 : 1);
      setField(rec, inp.name, round(c.offset + c.scale * z));
    });
    out.push(rec);
  }
  // A record the app must dead-letter rather than score.
  out.splice(Math.floor(count / 2), 0, spec.key !== undefined ? { note: 'no key, no readings' } : { note: 'no readings' });
  return out;
}

/** Sets a flattened field name (`vib.x`) as the nested value it was read from. */
function setField(rec: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split('.');
  let at = rec;
  for (const p of parts.slice(0, -1)) {
    if (at[p] === null || typeof at[p] !== 'object') at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]] = value;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
