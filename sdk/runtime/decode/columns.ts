/**
 * Growable typed columns with schema inference that only ever widens:
 * int → float, and anything mixed → string (with a warning). Missing fields are null.
 * Records are written field by field straight into typed storage, so a read of a million
 * records never holds a million row objects.
 */
import { KafkalabError } from '../../util/errors';
import { cellsOf } from './flatten';
import type { CellValue } from './values';

export type ColumnType = 'null' | 'int' | 'float' | 'bool' | 'string';
export type { CellValue };

const INITIAL_CAPACITY = 1024;

export class Column {
  type: ColumnType;
  length = 0;
  /**
   * int, float and bool values (bool as 0/1); NaN marks null. Avro's generated readers
   * (schema/avro-columns.ts) append here, and to `str`, directly: by pushNumber's rule when type
   * and room allow, or for a run of rows whose types and room they checked (ColumnSet.epoch).
   */
  private num: Float64Array | null = null;
  /**
   * string values; null marks null. Allocated with the column's capacity up front (a million
   * pushes onto a growing array cost several times the stores), so entries from `length` on are
   * room, not values: strings() and export() trim it.
   */
  private str: (string | null)[] | null = null;
  /** Nulls in numeric columns, kept separately so that a NaN in the data stays a value. */
  private nulls: Uint8Array | null = null;
  nullCount = 0;
  // The row whose value changed the type, and the type before: a row undone (truncate) undoes
  // its type change too, so a record that failed half way leaves the column as it found it.
  private changedRow = -1;
  private prevType: ColumnType = 'null';

  constructor(readonly name: string, type: ColumnType = 'null', capacity = INITIAL_CAPACITY) {
    this.type = type;
    if (type === 'string') this.str = new Array<string | null>(Math.max(16, capacity));
    else this.num = new Float64Array(Math.max(16, capacity));
  }

  /** The type a value needs, or undefined when it fits the current type. */
  private fits(v: number | string | boolean): ColumnType | 'mixed' | undefined {
    const t = this.type;
    if (typeof v === 'number') {
      if (t === 'float') return undefined;
      if (t === 'int') return Number.isInteger(v) ? undefined : 'float';
      if (t === 'null') return Number.isInteger(v) ? 'int' : 'float';
      return t === 'string' ? 'mixed' : 'mixed';
    }
    if (typeof v === 'boolean') {
      if (t === 'bool') return undefined;
      if (t === 'null') return 'bool';
      return 'mixed';
    }
    if (t === 'string') return undefined;
    if (t === 'null') return 'string';
    return 'mixed';
  }

  /** Appends one value; returns a warning when the column had to become a string column. */
  push(v: CellValue): string | undefined {
    if (v === null) {
      this.pushNull();
      return;
    }
    let warning: string | undefined;
    const need = this.fits(v);
    if (need !== undefined) {
      const before = this.type;
      if (need === 'mixed' || (need === 'string' && before !== 'null')) {
        warning = `column "${this.name}" has mixed types (${before} and ${typeof v}); kept as strings`;
        this.toStrings();
        this.changedRow = -1; // values became text: not undone (the JSON scanner never gets here, see json-scan.ts)
      } else {
        if (need === 'string') this.toStrings();
        else this.type = need;
        this.prevType = before;
        this.changedRow = this.length;
      }
    }
    if (this.type === 'string') {
      (this.str as (string | null)[])[this.length++] = typeof v === 'string' ? v : String(v);
      return warning;
    }
    this.ensure(this.length + 1);
    (this.num as Float64Array)[this.length++] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
    return warning;
  }

  /** Fast path for numbers into numeric columns (the hot loop of JSON reads). */
  pushNumber(v: number): string | undefined {
    const t = this.type;
    if (t === 'float' || (t === 'int' && Number.isInteger(v))) {
      const num = this.num as Float64Array;
      if (this.length < num.length) {
        num[this.length++] = v;
        return;
      }
    }
    return this.push(v);
  }

  /** Fast path for strings into string columns (keys, text fields). */
  pushString(v: string): string | undefined {
    if (this.type === 'string') {
      (this.str as (string | null)[])[this.length++] = v;
      return;
    }
    return this.push(v);
  }

  pushNull(): void {
    if (this.type === 'string') {
      (this.str as (string | null)[])[this.length] = null;
    } else {
      this.ensure(this.length + 1);
      if (!this.nulls) this.nulls = new Uint8Array((this.num as Float64Array).length);
      (this.num as Float64Array)[this.length] = NaN;
      this.nulls[this.length] = 1;
    }
    this.length++;
    this.nullCount++;
  }

  /** Pads with nulls up to n rows (fields missing from a record). */
  padTo(n: number): void {
    while (this.length < n) this.pushNull();
  }

  isNull(i: number): boolean {
    if (this.type === 'string') return (this.str as (string | null)[])[i] === null;
    return this.nulls !== null && this.nulls[i] === 1;
  }

  get(i: number): CellValue {
    if (this.type === 'string') return (this.str as (string | null)[])[i];
    if (this.nulls !== null && this.nulls[i] === 1) return null;
    const v = (this.num as Float64Array)[i];
    return this.type === 'bool' ? v === 1 : v;
  }

  /** Numeric storage (NaN for nulls); undefined for string columns. */
  numbers(): Float64Array | undefined {
    if (this.type === 'string' || !this.num) return undefined;
    return this.num.subarray(0, this.length);
  }

  strings(): (string | null)[] | undefined {
    if (this.type !== 'string') return undefined;
    const s = this.str as (string | null)[];
    if (s.length > this.length) s.length = this.length;
    return s;
  }

  /** Empties the column and forgets its type, keeping its storage (a decoder reused batch after batch). */
  clear(): void {
    this.nulls?.fill(0, 0, this.length);
    this.changedRow = -1;
    this.length = 0;
    this.nullCount = 0;
    this.type = 'null';
    this.str = null;
    this.num ??= new Float64Array(INITIAL_CAPACITY);
  }

  /** Drops rows from n on (used by `limit`). */
  truncate(n: number): void {
    if (n >= this.length) return;
    if (this.type === 'string') {
      const s = this.str as (string | null)[];
      for (let i = n; i < this.length; i++) if (s[i] === null) this.nullCount--;
    } else if (this.nulls) {
      // Cleared, not only uncounted: the rows are written again (a record that failed half way).
      for (let i = n; i < this.length; i++) {
        if (this.nulls[i]) this.nullCount--;
        this.nulls[i] = 0;
      }
    }
    this.length = n;
    if (this.changedRow >= n) this.undoTypeChange();
  }

  private undoTypeChange(): void {
    if (this.type === 'string' && this.prevType === 'null') {
      // Every value left is null: back to numeric storage of nulls.
      this.str = null;
      this.num = new Float64Array(Math.max(16, this.length)).fill(NaN);
      this.nulls = new Uint8Array(this.num.length).fill(1, 0, this.length);
    }
    this.type = this.prevType;
    this.changedRow = -1;
  }

  private ensure(n: number): void {
    const num = this.num as Float64Array;
    if (n <= num.length) return;
    const next = new Float64Array(Math.max(n, num.length * 2));
    next.set(num.subarray(0, this.length));
    this.num = next;
    if (this.nulls) {
      const nn = new Uint8Array(next.length);
      nn.set(this.nulls.subarray(0, this.length));
      this.nulls = nn;
    }
  }

  /** The column's storage, to send to another thread (typed arrays can be transferred). */
  export(): ColumnData {
    this.strings();
    return {
      name: this.name,
      type: this.type,
      length: this.length,
      nullCount: this.nullCount,
      num: this.num ?? undefined,
      nulls: this.nulls ?? undefined,
      str: this.str ?? undefined,
    };
  }

  static import(d: ColumnData): Column {
    const c = new Column(d.name, d.type, 16);
    c.length = d.length;
    c.nullCount = d.nullCount;
    c.num = d.num ?? null;
    c.nulls = d.nulls ?? null;
    c.str = d.str ?? null;
    return c;
  }

  private toStrings(): void {
    if (this.type === 'string') return;
    const out: (string | null)[] = new Array(Math.max(this.length, this.num?.length ?? 0));
    for (let i = 0; i < this.length; i++) {
      const v = this.get(i);
      out[i] = v === null ? null : String(v);
    }
    this.str = out;
    this.num = null;
    this.nulls = null;
    this.type = 'string';
  }
}

export interface ColumnData {
  name: string;
  type: ColumnType;
  length: number;
  nullCount: number;
  num?: Float64Array;
  nulls?: Uint8Array;
  str?: (string | null)[];
}

/** The column names and types that a read or a stream keeps from batch to batch. */
export type Schema = { name: string; type: ColumnType }[];

/**
 * A set of columns filled record by record. Columns appear in first-seen order; a field first
 * seen at row n gets nulls for rows before n, and fields missing from a record get a null.
 */
export class ColumnSet {
  readonly columns: Column[] = [];
  private readonly byName = new Map<string, Column>();
  rows = 0;
  /** Changes when rows are taken back (clear, truncate, an aborted row): appenders that keep storage references start again. */
  epoch = 0;
  readonly warnings: string[] = [];
  private readonly warned = new Set<string>();

  constructor(schema?: Schema, private readonly capacity = INITIAL_CAPACITY) {
    if (schema) for (const { name, type } of schema) this.add(name, type);
  }

  column(name: string): Column {
    let c = this.byName.get(name);
    if (!c) c = this.add(name, 'null');
    return c;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Column | undefined {
    return this.byName.get(name);
  }

  private add(name: string, type: ColumnType): Column {
    const c = new Column(name, type, this.capacity);
    c.padTo(this.rows);
    this.columns.push(c);
    this.byName.set(name, c);
    return c;
  }

  warn(w: string | undefined): void {
    if (w !== undefined && !this.warned.has(w)) {
      this.warned.add(w);
      this.warnings.push(w);
    }
  }

  /** One cell of the current row; a field already written in it (a name clash) keeps its first value. */
  write(name: string, v: CellValue): void {
    const col = this.column(name);
    if (col.length !== this.rows) {
      // A value field named like a metadata column, or `a.b` given both flat and nested.
      this.warn(`field "${name}" appears twice in a record (or clashes with a metadata column); kept the first`);
      return;
    }
    if (v === null) col.pushNull();
    else if (typeof v === 'number') this.warn(col.pushNumber(v));
    else this.warn(col.push(v));
  }

  /**
   * A row from a JavaScript value (a row object, or what JSON.parse returned), flattened by the
   * type rules (values.ts); fields for which `keep` says false are left out. Returns why the
   * value cannot be a row (then no row is added).
   */
  addValue(value: unknown, keep?: (name: string) => boolean): string | undefined {
    const cells = cellsOf(value);
    if (typeof cells === 'string') return cells;
    const { names, values } = cells;
    for (let i = 0; i < names.length; i++) if (!keep || keep(names[i])) this.write(names[i], values[i]);
    this.endRow();
    return undefined;
  }

  /** Closes the current row: every column not written in it gets a null. */
  endRow(): void {
    const n = ++this.rows;
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) if (cols[i].length < n) cols[i].padTo(n);
  }

  /** Undoes a partially written row (a record that failed to decode half way). */
  abortRow(): void {
    this.epoch++;
    for (const c of this.columns) c.truncate(this.rows);
  }

  truncate(n: number): void {
    if (n >= this.rows) return;
    this.epoch++;
    for (const c of this.columns) c.truncate(n);
    this.rows = n;
  }

  /** No rows, columns kept with their types forgotten: each batch's types are inferred afresh, as a read of it would. */
  clear(): void {
    this.epoch++;
    for (const c of this.columns) c.clear();
    this.rows = 0;
    this.warnings.length = 0;
    this.warned.clear();
  }

  /** A column set rebuilt from columns of equal length (received from a worker thread). */
  static fromColumns(columns: Column[], rows: number, warnings: string[] = []): ColumnSet {
    const set = new ColumnSet(undefined, 16);
    for (const c of columns) {
      set.columns.push(c);
      set.byName.set(c.name, c);
    }
    set.rows = rows;
    for (const w of warnings) set.warn(w);
    return set;
  }

  schema(): Schema {
    return this.columns.map((c) => ({ name: c.name, type: c.type }));
  }
}

/**
 * Column arrays of a set for the scoring rows (rows.ts): numbers (NaN for null) for numeric
 * columns, the values for string and boolean columns, undefined for a column the set lacks.
 */
export function rowColumns(set: ColumnSet, names: readonly string[]): Record<string, ArrayLike<unknown> | undefined> {
  const out: Record<string, ArrayLike<unknown> | undefined> = {};
  for (const name of names) {
    const c = set.get(name);
    if (c === undefined) out[name] = undefined;
    else if (c.type === 'string') out[name] = c.strings();
    else if (c.type === 'bool') out[name] = Array.from({ length: c.length }, (_, i) => c.get(i));
    else out[name] = c.numbers();
  }
  return out;
}

/** Row objects (nested ones flattened) as column arrays, by the same rules as a read; throws on a record that cannot be a row. */
export function recordColumns(records: readonly object[], names?: readonly string[]): { columns: Record<string, ArrayLike<unknown> | undefined>; rows: number; names: string[] } {
  const set = new ColumnSet(undefined, Math.max(16, records.length));
  const keep = names ? new Set(names) : undefined;
  records.forEach((r, i) => {
    const failed = set.addValue(r, keep && ((name) => keep.has(name)));
    if (failed) throw new KafkalabError(`Row ${i} cannot be read: ${failed}`, { code: 'BAD_INPUT' });
  });
  const all = set.columns.map((c) => c.name);
  return { columns: rowColumns(set, names ?? all), rows: set.rows, names: all };
}
