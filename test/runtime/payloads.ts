/**
 * Generated topics for the parity properties: payload shapes and values nobody here designed
 * them for. A case is a schema (model inputs at nested paths, at least one 4+ levels deep, keys
 * with dots and unicode, a window key, extra fields) and records written as JSON text by hand:
 * odd whitespace, duplicate keys, escaped keys, numbers spelled every legal way (integers beyond
 * 2^53, exponents, -0, subnormals, values past float32's range), numeric strings, booleans,
 * null and missing fields, arrays and objects where a number is expected, poison records.
 */
import fc from 'fast-check';
import { keyPartition, type WindowStat } from '../../sdk/runtime';

/** A JSON value as text-level choices (so that spelling, whitespace and duplicates are ours). */
export type Json =
  | { t: 'num'; text: string }
  | { t: 'str'; value: string; escaped: boolean }
  | { t: 'lit'; text: 'true' | 'false' | 'null' }
  | { t: 'arr'; items: Json[] }
  | { t: 'obj'; entries: Entry[] };

/** An object member; `dup` marks a duplicate key written before the member that wins. */
export interface Entry {
  key: string;
  escaped: boolean;
  value: Json;
  dup?: boolean;
}

export interface Schema {
  key: string[];
  inputs: string[][];
  extras: string[][];
  windows: { input: number; size: number; stats: WindowStat[] }[];
  keys: number;
  partitions: number;
}

/** One record: a value tree (or a poison text), the window key's text, and the whitespace used. */
export interface GenRecord {
  json?: Json;
  /** Raw value when the record is poison (null: a tombstone). */
  raw?: string | null;
  /** The window key as a read() cell would print it (the Kafka key), undefined when absent. */
  key: string | undefined;
  ws: string[];
}

export interface PayloadCase {
  schema: Schema;
  records: GenRecord[];
}

export const flatName = (path: string[]) => path.join('.');

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/) },
  { weight: 2, arbitrary: fc.constantFrom('vib', 'temp', 'x', 'y', 'z', 'a.b', 'm.n.o', 'température', '温度', 'rpm 😀', 'k"q', 'bs\\x') },
);

/** Distinct flattened names, none a prefix of another (so no input is an object elsewhere). */
function distinctPaths(paths: string[][]): string[][] {
  const out: string[][] = [];
  const names: string[] = [];
  for (const p of paths) {
    const n = flatName(p);
    if (names.some((m) => m === n || m.startsWith(n + '.') || n.startsWith(m + '.')) || n.startsWith('_')) continue;
    names.push(n);
    out.push(p);
  }
  return out;
}

const pathArb = (minDepth: number, maxDepth: number) => fc.array(segment, { minLength: minDepth, maxLength: maxDepth });
const STATS: WindowStat[] = ['mean', 'std', 'min', 'max', 'peak', 'range', 'diff', 'run'];

export const schemaArb: fc.Arbitrary<Schema> = fc
  .record({
    key: pathArb(1, 2),
    deep: pathArb(4, 6),
    inputs: fc.array(pathArb(1, 3), { minLength: 1, maxLength: 4 }),
    extras: fc.array(pathArb(1, 4), { maxLength: 4 }),
    windows: fc.array(fc.record({ input: fc.nat(), size: fc.integer({ min: 1, max: 5 }), stats: fc.subarray(STATS, { minLength: 1 }) }), { maxLength: 2 }),
    keys: fc.integer({ min: 2, max: 6 }),
    partitions: fc.integer({ min: 1, max: 3 }),
  })
  .map((s) => {
    const all = distinctPaths([s.key, s.deep, ...s.inputs, ...s.extras]);
    const key = all[0];
    const inputs = all.slice(1, 2 + s.inputs.length).filter((p) => p !== key);
    const extras = all.slice(2 + s.inputs.length);
    const seen = new Set<string>();
    const windows = s.windows
      .map((w) => ({ ...w, input: w.input % inputs.length }))
      .filter((w) => !seen.has(`${w.input}/${w.size}`) && seen.add(`${w.input}/${w.size}`));
    return { key, inputs, extras, windows, keys: s.keys, partitions: s.partitions };
  })
  .filter((s) => s.inputs.length > 0 && s.inputs.some((p) => p.length >= 4));

/** Numbers spelled in every legal JSON way, and the values that test the type rules. */
const SPECIAL_NUMBERS = [
  '-0', '-0.0', '0e0', '1E+2', '2.50e-3', '9007199254740993', '-9007199254740993', '123456789012345678901234567890',
  '1e39', '-1e39', '3.4028234663852886e38', '3.4028235e38', '1.7976931348623157e308', '5e-324', '1e-320', '1e400', '0.1', '1e22', '1e23',
];

const numberText = fc.oneof(
  { weight: 10, arbitrary: fc.double({ min: -50, max: 150, noNaN: true }).chain((x) => fc.constantFrom(String(x), x.toExponential(), x.toExponential().toUpperCase().replace('E+', 'E'), x.toFixed(3))) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_NUMBERS) },
);

const str = (value: string): Json => ({ t: 'str', value, escaped: false });

const junk: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText.map((text): Json => ({ t: 'num', text })),
    fc.string({ maxLength: 6, unit: 'grapheme' }).chain((value) => fc.boolean().map((escaped): Json => ({ t: 'str', value, escaped }))),
    fc.constantFrom('true', 'false', 'null').map((text): Json => ({ t: 'lit', text: text as 'true' })),
    fc.array(tie('v'), { maxLength: 3 }).map((items): Json => ({ t: 'arr', items })),
    fc.array(fc.tuple(segment, tie('v')), { maxLength: 3 }).map((es): Json => ({ t: 'obj', entries: es.map(([key, value]) => ({ key, escaped: false, value })) })),
  ),
})).v;

/** A model input's value: mostly a number, sometimes everything a telemetry field turns out to hold. */
const inputValue: fc.Arbitrary<Json | undefined> = fc.oneof(
  { weight: 30, arbitrary: numberText.map((text): Json => ({ t: 'num', text })) },
  { weight: 3, arbitrary: numberText.map((text) => str(` ${text}`)) },
  { weight: 2, arbitrary: fc.constantFrom('true', 'false').map((text): Json => ({ t: 'lit', text: text as 'true' })) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'abc', '', '0x1F', 'Infinity').map(str) },
  { weight: 2, arbitrary: fc.constant<Json>({ t: 'lit', text: 'null' }) },
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: junk },
);

const keyValue = (keys: number): fc.Arbitrary<{ json?: Json; key?: string }> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: keys - 1 }).map((i) => ({ json: str(`key-${i}${i % 2 ? 'é' : ''}`), key: `key-${i}${i % 2 ? 'é' : ''}` })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: keys - 1 }).map((i) => ({ json: { t: 'num', text: String(100 + i) } as Json, key: String(100 + i) })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: keys - 1 }).map((i) => ({ json: str(String(100 + i)), key: String(100 + i) })) },
    { weight: 1, arbitrary: fc.constant({ json: { t: 'lit', text: 'null' } as Json, key: undefined }) },
    { weight: 1, arbitrary: fc.constant({}) },
  );

const WS = ['', ' ', '  ', '\n', '\t', '\r\n', ' \n\t '];
const wsArb = fc.array(fc.constantFrom(...WS), { minLength: 8, maxLength: 8 });

/** Poison: what read() counts as a decode failure, and what only the model rejects. */
const POISON: (string | null)[] = [null, '', '{"a":', 'not json', '{"a":1,}', '{"a":' + '{"b":'.repeat(10_000) + '1' + '}'.repeat(10_001), '[1,2,3]', '"text"', '42'];

export function recordArb(s: Schema): fc.Arbitrary<GenRecord> {
  const good = fc
    .record({
      key: keyValue(s.keys),
      inputs: fc.array(inputValue, { minLength: s.inputs.length, maxLength: s.inputs.length }),
      extras: fc.array(junk, { minLength: s.extras.length, maxLength: s.extras.length }),
      dupes: fc.array(fc.tuple(fc.nat(), junk), { maxLength: 2 }),
      escapeKeys: fc.boolean(),
      shuffle: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
      ws: wsArb,
    })
    .map((g): GenRecord => {
      const root: Json & { t: 'obj' } = { t: 'obj', entries: [] };
      if (g.key.json) put(root, s.key, g.key.json);
      s.inputs.forEach((p, i) => g.inputs[i] && put(root, p, g.inputs[i]!));
      s.extras.forEach((p, i) => put(root, p, g.extras[i]));
      // A duplicate of an existing key, placed before it: JSON.parse keeps the last one.
      for (const [at, value] of g.dupes) {
        if (root.entries.length === 0) break;
        const target = root.entries[at % root.entries.length];
        root.entries.splice(root.entries.indexOf(target), 0, { key: target.key, escaped: false, value, dup: true });
      }
      shuffleEntries(root, g.shuffle);
      if (g.escapeKeys) for (const e of root.entries) e.escaped = true;
      return { json: root, key: g.key.key, ws: g.ws };
    });
  return fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...POISON).chain((raw) => wsArb.map((ws): GenRecord => ({ raw, key: undefined, ws }))) });
}

/** Moves entries around (keeping each duplicate before its original), at every level. */
function shuffleEntries(o: Json & { t: 'obj' }, order: number[]): void {
  const n = o.entries.length;
  for (let i = 0; i < n; i++) {
    const j = order[i % order.length] % n;
    const [a, b] = [o.entries[i], o.entries[j]];
    if (a.key === b.key) continue;
    o.entries[i] = b;
    o.entries[j] = a;
  }
  // Duplicates must stay before the value that wins: restore the order of same-key entries.
  const byKey = new Map<string, number[]>();
  o.entries.forEach((e, i) => byKey.set(e.key, [...(byKey.get(e.key) ?? []), i]));
  for (const idx of byKey.values()) {
    if (idx.length < 2) continue;
    const entries = idx.map((i) => o.entries[i]);
    const winner = entries.find((e) => !e.dup)!;
    const rest = entries.filter((e) => e !== winner);
    [...rest, winner].forEach((e, k) => (o.entries[idx[k]] = e));
  }
  for (const e of o.entries) if (e.value.t === 'obj') shuffleEntries(e.value, order);
}

/** Sets a value at a path, creating objects on the way (a path through a leaf replaces it). */
function put(root: Json & { t: 'obj' }, path: string[], value: Json): void {
  let at = root;
  for (const seg of path.slice(0, -1)) {
    let e = at.entries.find((x) => x.key === seg);
    if (!e || e.value.t !== 'obj') {
      if (e) at.entries.splice(at.entries.indexOf(e), 1);
      e = { key: seg, escaped: false, value: { t: 'obj', entries: [] } };
      at.entries.push(e);
    }
    at = e.value as Json & { t: 'obj' };
  }
  const last = path[path.length - 1];
  const had = at.entries.find((x) => x.key === last);
  if (had) had.value = value;
  else at.entries.push({ key: last, escaped: false, value });
}

/** The record's value bytes as a producer would send them (null for a tombstone). */
export function recordText(r: GenRecord): string | null {
  if (r.json === undefined) return r.raw ?? null;
  let w = 0;
  const ws = () => r.ws[w++ % r.ws.length];
  const write = (j: Json): string => {
    switch (j.t) {
      case 'num':
      case 'lit':
        return j.text;
      case 'str':
        return j.escaped ? escapeAll(j.value) : JSON.stringify(j.value);
      case 'arr':
        return `[${ws()}${j.items.map((x) => write(x)).join(`${ws()},${ws()}`)}${ws()}]`;
      case 'obj':
        return `{${ws()}${j.entries.map((e) => `${e.escaped ? escapeAll(e.key) : JSON.stringify(e.key)}${ws()}:${ws()}${write(e.value)}`).join(`,${ws()}`)}${ws()}}`;
    }
  };
  return `${ws()}${write(r.json)}${ws()}`;
}

/** A JSON string literal with every character escaped as \uXXXX. */
function escapeAll(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0');
  return out + '"';
}

export const caseArb = (minRecords: number, maxRecords: number): fc.Arbitrary<PayloadCase> =>
  schemaArb.chain((schema) => fc.array(recordArb(schema), { minLength: minRecords, maxLength: maxRecords }).map((records) => ({ schema, records })));

/** At most `n` records that read() fails to decode (its report keeps 10 samples): the rest of the poison is dropped. */
export function capDecodeFailures(c: PayloadCase, n = 8): PayloadCase {
  let left = n;
  const failing = (r: GenRecord) => r.json === undefined && (r.raw === null || !/^\s*(\[|"|\d)/.test(r.raw ?? ''));
  return { ...c, records: c.records.filter((r) => !failing(r) || left-- > 0) };
}

export interface Message {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Records to partitions as a Kafka producer keyed by the window key puts them (co-partitioned). */
export function toMessages(c: PayloadCase): Message[] {
  const next = new Array<number>(c.schema.partitions).fill(0);
  return c.records.map((r, i) => {
    const key = r.key === undefined ? null : Buffer.from(r.key);
    const partition = key === null ? i % c.schema.partitions : keyPartition(key, c.schema.partitions);
    const text = recordText(r);
    return { partition, offset: next[partition]++, key, value: text === null ? null : Buffer.from(text) };
  });
}


/** Normal records for training: every input a plain number around a per-input centre, every key. */
export function trainingRecords(s: Schema, perKey: number, seed: number): Record<string, unknown>[] {
  let x = seed >>> 0 || 1;
  const rand = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < perKey * s.keys; i++) {
    const rec: Record<string, unknown> = {};
    setPath(rec, s.key, `key-${i % s.keys}${(i % s.keys) % 2 ? 'é' : ''}`);
    s.inputs.forEach((p, j) => setPath(rec, p, 10 * j + rand() * 4 - 2));
    out.push(rec);
  }
  return out;
}

function setPath(rec: Record<string, unknown>, path: string[], value: unknown): void {
  let at = rec;
  for (const seg of path.slice(0, -1)) at = (at[seg] ??= {}) as Record<string, unknown>;
  at[path[path.length - 1]] = value;
}
