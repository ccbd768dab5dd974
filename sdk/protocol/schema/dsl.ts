/**
 * The message description language: one declaration per Kafka message, from which the codec of
 * every version is derived (compile.ts) together with its TypeScript types. It mirrors the
 * spec's JSON schemas (apache/kafka clients/src/main/resources/common/message/*.json), field by
 * field, with the spec's own version notation:
 *
 *   export const HeartbeatRequest = message({ name: 'HeartbeatRequest', apiKey: 12, versions: '0-4', flexible: '4+' }, {
 *     groupId: string(),                                          // every version ('0+')
 *     generationId: int32(),
 *     memberId: string(),
 *     groupInstanceId: string('3+', { nullable: '3+', default: null }),
 *   });
 *   export type HeartbeatRequest = Out<typeof HeartbeatRequest>;  // what decode returns
 *
 * - versions: '0+', '3+', '0-7', '5', 'none'; a field outside its versions is not on the wire and
 *   decodes to its default (explicit, or 0 / '' / false / [] / empty bytes / zero uuid).
 * - nullable: the versions in which the field may be null (its type then includes null).
 * - flexible versions (message level) switch strings, bytes and arrays to their compact forms
 *   and add a tagged-field section to every struct; fields with `tag` live only there.
 * - Out<M> is what decode returns (every field present); In<M> is what encode takes: fields that
 *   have a default or a tag, or exist only in some versions, may be left out (they then encode
 *   as their default).
 */
export interface Range {
  readonly min: number;
  /** Inclusive; Infinity for 'N+'. */
  readonly max: number;
}
export const NO_VERSIONS: Range = { min: 1, max: 0 };

/** Parses the spec's notation: '3+', '0-7', '5' or 'none'. */
export function versions(spec: string): Range {
  if (spec === 'none') return NO_VERSIONS;
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Infinity };
  const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!range) throw new Error(`bad version range "${spec}": use '3+', '0-7', '5' or 'none'`);
  const min = Number(range[1]);
  const max = range[2] === undefined ? min : Number(range[2]);
  if (max < min) throw new Error(`bad version range "${spec}": the end is below the start`);
  return { min, max };
}
export function inRange(r: Range | null | undefined, version: number): boolean {
  return !!r && version >= r.min && version <= r.max;
}

export type Primitive = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';

/** A wire type. The phantom members carry the TypeScript types of decoded and encodable values. */
export interface PrimitiveType<O = unknown> {
  readonly kind: 'primitive';
  readonly name: Primitive;
  readonly __out?: O;
  readonly __in?: O;
}
export interface ArrayType {
  readonly kind: 'array';
  readonly of: AnyType;
}
export interface StructType {
  readonly kind: 'struct';
  readonly fields: Fields;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyType = PrimitiveType<any> | ArrayType | StructType;

export interface Field<O = unknown, I = O, Optional extends boolean = boolean> {
  readonly type: AnyType;
  readonly versions: Range;
  readonly nullable: Range | null;
  /** Tagged fields: the tag, present only in flexible versions within `versions`. */
  readonly tag: number | undefined;
  /** Explicit default; undefined = the type's zero value. */
  readonly default: unknown;
  readonly __out?: O;
  readonly __in?: I;
  readonly __optional?: Optional;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = Record<string, Field<any, any, boolean>>;

type Simplify<T> = { -readonly [K in keyof T]: T[K] } & {};
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, unknown, true> ? K : never }[keyof F];
type RequiredKeys<F extends Fields> = Exclude<keyof F, OptionalKeys<F>>;
type FieldOut<X> = X extends Field<infer O, unknown, boolean> ? O : never;
/** Keys whose decoded value may be undefined (tagged structs absent on the wire). */
type MaybeAbsentKeys<F extends Fields> = { [K in keyof F]: undefined extends FieldOut<F[K]> ? K : never }[keyof F];
export type OutOf<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, MaybeAbsentKeys<F>>]: FieldOut<F[K]> } & { [K in MaybeAbsentKeys<F>]?: FieldOut<F[K]> }
>;
export type InOf<F extends Fields> = Simplify<
  { [K in RequiredKeys<F>]: F[K] extends Field<unknown, infer I, boolean> ? I : never } & {
    [K in OptionalKeys<F>]?: F[K] extends Field<unknown, infer I, boolean> ? I : never;
  }
>;

export interface FieldOptions<D = unknown> {
  /** Versions in which null is allowed. */
  nullable?: string;
  /** Tag number: the field is a tagged field (flexible versions only). */
  tag?: number;
  default?: D;
}
type Nullable<T, O> = O extends { nullable: string } ? T | null : T;
/** Encode may leave a field out when it has a default or a tag, or exists in only some versions. */
type IsOptional<O, V extends string> = O extends { default: unknown } ? true : O extends { tag: number } ? true : V extends '0+' ? false : true;

function primitive<T>(name: Primitive): PrimitiveType<T> {
  return { kind: 'primitive', name };
}
/** Kafka's zero UUID: "no topic id". */
export const ZERO_UUID: Buffer = Buffer.alloc(16);

export const types = {
  int8: primitive<number>('int8'),
  int16: primitive<number>('int16'),
  int32: primitive<number>('int32'),
  /** int64 as a JS number: exact up to 2^53 (offsets, timestamps, producer ids). */
  int64: primitive<number>('int64'),
  uint16: primitive<number>('uint16'),
  float64: primitive<number>('float64'),
  bool: primitive<boolean>('bool'),
  string: primitive<string>('string'),
  bytes: primitive<Buffer>('bytes'),
  /** A record set: bytes on the wire, kept as a view into the frame (never parsed here). */
  records: primitive<Buffer>('records'),
  /** 16 bytes. */
  uuid: primitive<Buffer>('uuid'),
};

function field<O, I, Opt extends boolean>(type: AnyType, spec: string, opts: FieldOptions = {}): Field<O, I, Opt> {
  return {
    type,
    versions: versions(spec),
    nullable: opts.nullable === undefined ? null : versions(opts.nullable),
    tag: opts.tag,
    default: opts.default,
  };
}
type PrimitiveField<T> = <const V extends string = '0+', const O extends FieldOptions<T | null> = Record<never, never>>(
  versions?: V,
  opts?: O,
) => Field<Nullable<T, O>, Nullable<T, O>, IsOptional<O, V>>;
function primitiveField<T>(type: PrimitiveType<T>): PrimitiveField<T> {
  return ((spec: string = '0+', opts?: FieldOptions) => field(type, spec, opts)) as PrimitiveField<T>;
}

export const int8 = primitiveField(types.int8);
export const int16 = primitiveField(types.int16);
export const int32 = primitiveField(types.int32);
export const int64 = primitiveField(types.int64);
export const uint16 = primitiveField(types.uint16);
export const float64 = primitiveField(types.float64);
export const bool = primitiveField(types.bool);
export const string = primitiveField(types.string);
export const bytes = primitiveField(types.bytes);
export const records = primitiveField(types.records);
export const uuid = primitiveField(types.uuid);

type ElemOut<E> = E extends Fields ? OutOf<E> : E extends PrimitiveType<infer O> ? O : never;
type ElemIn<E> = E extends Fields ? InOf<E> : E extends PrimitiveType<infer I> ? I : never;

function isType(v: unknown): v is AnyType {
  const kind = (v as { kind?: unknown }).kind;
  return kind === 'primitive' || kind === 'array' || kind === 'struct';
}
function structType(fields: Fields): StructType {
  return { kind: 'struct', fields };
}

/** An array of a primitive (`array(types.int32)`) or of structs (`array({ name: string(), ... })`). */
export function array<const E extends Fields | PrimitiveType, const V extends string = '0+', const O extends FieldOptions<null> = Record<never, never>>(
  of: E,
  spec: V = '0+' as V,
  opts?: O,
): Field<Nullable<ElemOut<E>[], O>, Nullable<ElemIn<E>[], O>, IsOptional<O, V>> {
  return field({ kind: 'array', of: isType(of) ? of : structType(of as Fields) }, spec, opts);
}

/**
 * A struct-valued field. Tagged struct fields are optional: undefined when absent on the wire.
 */
export function struct<const F extends Fields, const V extends string = '0+', const O extends FieldOptions<null> = Record<never, never>>(
  fields: F,
  spec: V = '0+' as V,
  opts?: O,
): Field<
  O extends { tag: number } ? OutOf<F> | undefined : Nullable<OutOf<F>, O>,
  O extends { tag: number } ? InOf<F> | undefined : Nullable<InOf<F>, O>,
  IsOptional<O, V>
> {
  return field(structType(fields), spec, opts);
}

export interface MessageSpec {
  /** The spec's name, e.g. 'ProduceRequest'. */
  name: string;
  apiKey: number;
  /** Every version this description covers (the broker may serve fewer). */
  versions: string;
  /** Flexible versions: compact types, tagged fields, request header v2 / response header v1. */
  flexible: string;
}
