/**
 * A described message: its spec (name, API key, versions, flexible versions), its fields, and
 * the encode/decode pair derived from them, compiled lazily once per version.
 */
import type { Reader } from '../reader';
import type { Writer } from '../writer';
import { compileStruct, type Codec } from './compile';
import { inRange, versions, type Fields, type InOf, type MessageSpec, type OutOf, type Range } from './dsl';

export class Message<F extends Fields = Fields> {
  readonly name: string;
  readonly apiKey: number;
  readonly versions: Range;
  readonly flexibleVersions: Range;
  private readonly codecs: Array<Codec | undefined> = [];

  constructor(spec: MessageSpec, readonly fields: F) {
    this.name = spec.name;
    this.apiKey = spec.apiKey;
    this.versions = versions(spec.versions);
    this.flexibleVersions = versions(spec.flexible);
  }

  isFlexible(version: number): boolean {
    return inRange(this.flexibleVersions, version);
  }

  /** The first flexible version, or undefined when the message has none. */
  get firstFlexibleVersion(): number | undefined {
    return this.flexibleVersions.min <= this.flexibleVersions.max ? this.flexibleVersions.min : undefined;
  }

  private codec(version: number): Codec {
    let c = this.codecs[version];
    if (!c) {
      if (!inRange(this.versions, version)) {
        throw new Error(`${this.name} v${version} is not described (versions ${this.versions.min}-${this.versions.max})`);
      }
      c = compileStruct(this.fields, { version, flexible: this.isFlexible(version), path: this.name });
      this.codecs[version] = c;
    }
    return c;
  }

  /** Writes the body (no header) at `version`; fields outside it are left out. */
  readonly encode = (w: Writer, value: InOf<F>, version: number): void => {
    this.codec(version).write(w, value);
  };

  /** Reads the body at `version`; fields outside it get their defaults. Bytes are views into the frame. */
  readonly decode = (r: Reader, version: number): OutOf<F> => this.codec(version).read(r) as OutOf<F>;
}

export function message<const F extends Fields>(spec: MessageSpec, fields: F): Message<F> {
  return new Message(spec, fields);
}

/** What decode returns: every field present. */
export type Out<M> = M extends Message<infer F> ? OutOf<F> : never;
/** What encode takes: fields with a default or a tag may be omitted. */
export type In<M> = M extends Message<infer F> ? InOf<F> : never;
