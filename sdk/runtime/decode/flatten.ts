/**
 * A JavaScript value (from JSON.parse, or a row object a user holds) as the cells of one row,
 * by the rules in values.ts: nested objects flattened to `a.b`, arrays as JSON text, anything
 * that is not an object as the cell `value`. The byte scanner (json-scan.ts) yields the same
 * cells for the records it accepts; this is the path for everything else, and it has the final
 * say. Iterative, with a depth limit: a 10,000-deep record is a failure, not a stack overflow.
 */
import { DECODE_FAILURE, MAX_DEPTH, type CellValue } from './values';

export type CellSink = (name: string, value: CellValue) => void;

interface Frame {
  obj: Record<string, unknown>;
  keys: string[];
  at: number;
  prefix: string;
}

/** Emits the cells of `value` in JSON.parse's key order; returns a failure reason (cells may have been emitted). */
export function flattenValue(value: unknown, emit: CellSink): string | undefined {
  if (!isPlainObject(value)) return leaf('value', value, 1, emit);
  const stack: Frame[] = [{ obj: value, keys: Object.keys(value), at: 0, prefix: '' }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.at >= top.keys.length) {
      stack.pop();
      continue;
    }
    const k = top.keys[top.at++];
    const v = top.obj[k];
    const name = stack.length === 1 ? k : `${top.prefix}.${k}`;
    if (isPlainObject(v)) {
      if (stack.length >= MAX_DEPTH) return DECODE_FAILURE.tooDeep;
      stack.push({ obj: v, keys: Object.keys(v), at: 0, prefix: name });
      continue;
    }
    const failed = leaf(name, v, stack.length + 1, emit);
    if (failed) return failed;
  }
  return undefined;
}

/** One cell; `depth` is where an array value would sit (the top-level value is at depth 1). */
function leaf(name: string, v: unknown, depth: number, emit: CellSink): string | undefined {
  if (v === null || v === undefined) emit(name, null);
  else if (typeof v === 'number') emit(name, Number.isNaN(v) ? null : v);
  else if (typeof v === 'string' || typeof v === 'boolean') emit(name, v);
  else if (typeof v === 'bigint') emit(name, Number(v));
  else if (v instanceof Date) emit(name, v.getTime());
  else if (typeof v === 'object') {
    if (deeperThan(v, MAX_DEPTH - depth)) return DECODE_FAILURE.tooDeep;
    emit(name, JSON.stringify(v) ?? null);
  } else emit(name, null);
  return undefined;
}

/** Objects that flatten: not arrays, not Dates (a Date is a time, read as its epoch milliseconds). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** Whether containers nest more than `levels` deep below `v` (iterative: arrays of arrays of ...). */
function deeperThan(v: object, levels: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > levels) return true;
    for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

export interface Cells {
  names: string[];
  values: CellValue[];
}

/** The cells of a value, collected; or the failure reason (nothing collected then). */
export function cellsOf(value: unknown): Cells | string {
  const names: string[] = [];
  const values: CellValue[] = [];
  const failed = flattenValue(value, (name, v) => {
    names.push(name);
    values.push(v);
  });
  return failed ?? { names, values };
}
