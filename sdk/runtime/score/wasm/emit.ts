/**
 * A minimal WebAssembly binary writer: just what the generated training kernels need (one
 * memory, functions with i32/f32/v128 locals, loops, scalar and SIMD f32 arithmetic). Opcodes
 * are from the WebAssembly core spec and its SIMD extension (0xFD prefix, LEB128 sub-opcode).
 * Kernels are generated at run time for the network's exact sizes, so no .wasm file ships.
 */

/** The slice of the WebAssembly JS API used here (the project's lib settings carry no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** The instructions of one function body, appended in order. */
export class Code {
  readonly bytes: number[] = [];

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  private simd(sub: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(sub), ...imm);
  }

  get(local: number) { return this.op(0x20, ...uleb(local)); }
  set(local: number) { return this.op(0x21, ...uleb(local)); }
  tee(local: number) { return this.op(0x22, ...uleb(local)); }
  i32(value: number) { return this.op(0x41, ...sleb(value | 0)); }
  i32Add() { return this.op(0x6a); }
  i32LtS() { return this.op(0x48); }
  i32Eqz() { return this.op(0x45); }
  f32(value: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    return this.op(0x43, ...b);
  }
  f32Load(offset: number) { return this.op(0x2a, 2, ...uleb(offset)); }
  f32Store(offset: number) { return this.op(0x38, 2, ...uleb(offset)); }
  f32Add() { return this.op(0x92); }
  /** Alignment hint 2^2: buffers are 16-byte aligned, but the hint never changes results. */
  v128Load(offset: number) { return this.simd(0x00, 2, ...uleb(offset)); }
  v128Store(offset: number) { return this.simd(0x0b, 2, ...uleb(offset)); }
  v128Zero() { return this.simd(0x0c, ...new Array(16).fill(0)); }
  f32x4Splat() { return this.simd(0x13); }
  f32x4ExtractLane(lane: number) { return this.simd(0x1f, lane); }
  f32x4Gt() { return this.simd(0x44); }
  v128And() { return this.simd(0x4e); }
  f32x4Add() { return this.simd(0xe4); }
  f32x4Sub() { return this.simd(0xe5); }
  f32x4Mul() { return this.simd(0xe6); }
  f32x4Max() { return this.simd(0xe9); }
  block() { return this.op(0x02, 0x40); }
  loop() { return this.op(0x03, 0x40); }
  end() { return this.op(0x0b); }
  brIf(depth: number) { return this.op(0x0d, ...uleb(depth)); }
}

export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Locals after the parameters, in order. */
  locals: ValType[];
  code: Code;
}

/** A module with one exported memory (`memory`, `pages` x 64 KiB) and the given exported functions. */
export function assemble(pages: number, funcs: FuncDef[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const bodies = funcs.map((f) => {
    // Run-length encode the locals' types, as the format wants.
    const groups: number[][] = [];
    for (let i = 0; i < f.locals.length; ) {
      let j = i;
      while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
      groups.push([...uleb(j - i), f.locals[i]]);
      i = j;
    }
    const body = [...vec(groups), ...f.code.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const exports = [
    [...uleb(6), ...utf8('memory'), 0x02, 0],
    ...funcs.map((f, i) => [...uleb(Buffer.byteLength(f.name)), ...utf8(f.name), 0x00, ...uleb(i)]),
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

/** Whether this runtime runs WebAssembly SIMD (Node ≥ 16 does). */
export function simdSupported(): boolean {
  const c = new Code().v128Zero().f32x4ExtractLane(0);
  try {
    return wasm.validate(assemble(1, [{ name: 'probe', params: [], results: [F32], locals: [], code: c }]));
  } catch {
    return false;
  }
}
