/**
 * The registry's state as the `_schemas` topic describes it, rebuilt by applying its records in
 * order. The records are Confluent's: a JSON key naming what changed and a JSON value (null, a
 * tombstone, to remove it), so a store written by Confluent's registry reads here and back:
 *
 *   {"keytype":"SCHEMA","subject":S,"version":V,"magic":1}  → {subject, version, id, schemaType?, references?, schema, deleted}
 *   {"keytype":"CONFIG","subject":S|null,"magic":0}         → {compatibilityLevel}
 *   {"keytype":"MODE","subject":S|null,"magic":0}           → {mode}
 *   {"keytype":"DELETE_SUBJECT","subject":S,"magic":0}      → {subject, version}: versions ≤ version soft-deleted
 *   {"keytype":"CLEAR_SUBJECT","subject":S,"magic":0}       → {subject}: soft-deleted versions removed
 *   {"keytype":"NOOP","magic":0}                            → ignored
 *
 * A null subject is the global setting.
 */
import { COMPATIBILITY_LEVELS, MODES, SCHEMA_TYPES, type CompatibilityLevel, type Mode, type RegisteredSchema, type SchemaReference, type SchemaType } from './types';

export interface StoreRecord {
  key: string;
  /** null: a tombstone. */
  value: string | null;
}

export type StoreKey =
  | { keytype: 'SCHEMA'; subject: string; version: number; magic: 1 }
  | { keytype: 'CONFIG' | 'MODE'; subject: string | null; magic: 0 }
  | { keytype: 'DELETE_SUBJECT' | 'CLEAR_SUBJECT'; subject: string; magic: 0 }
  | { keytype: 'NOOP'; magic: 0 };

/** A key's bytes are what compaction compares: the field order is fixed here, once. */
export function keyText(key: StoreKey): string {
  if (key.keytype === 'SCHEMA') return JSON.stringify({ keytype: key.keytype, subject: key.subject, version: key.version, magic: 1 });
  if (key.keytype === 'NOOP') return JSON.stringify({ keytype: 'NOOP', magic: 0 });
  return JSON.stringify({ keytype: key.keytype, subject: key.subject, magic: 0 });
}

export function schemaRecord(s: RegisteredSchema): StoreRecord {
  const value: Record<string, unknown> = { subject: s.subject, version: s.version, id: s.id };
  if (s.schemaType !== 'AVRO') value.schemaType = s.schemaType;
  if (s.references.length) value.references = s.references;
  value.schema = s.schema;
  value.deleted = s.deleted;
  return { key: keyText({ keytype: 'SCHEMA', subject: s.subject, version: s.version, magic: 1 }), value: JSON.stringify(value) };
}

/** The content that makes two registrations the same schema (and so the same id). */
export function contentKey(s: { schemaType: SchemaType; schema: string; references: SchemaReference[] }): string {
  return `${s.schemaType}\n${JSON.stringify(s.references.map((r) => [r.name, r.subject, r.version]))}\n${s.schema}`;
}

export class RegistryState {
  /** subject → version → schema, versions in ascending order. */
  readonly subjects = new Map<string, Map<number, RegisteredSchema>>();
  /** null: the global setting. */
  readonly compatibility = new Map<string | null, CompatibilityLevel>();
  readonly modes = new Map<string | null, Mode>();
  /** The highest id ever seen, so a hard-deleted id is not handed out again in this run. */
  maxId = 0;
  private readonly ids = new Map<number, Set<RegisteredSchema>>();
  private readonly contents = new Map<string, number>();

  /** Applies one record of the topic; malformed records are skipped and reported to `onSkip`. */
  apply(record: StoreRecord, onSkip: (why: string) => void = () => undefined): void {
    let key: Record<string, unknown>;
    try {
      key = JSON.parse(record.key);
    } catch {
      return onSkip(`key is not JSON: ${record.key.slice(0, 80)}`);
    }
    let value: Record<string, unknown> | null = null;
    if (record.value !== null) {
      try {
        value = JSON.parse(record.value);
      } catch {
        return onSkip(`value of ${record.key} is not JSON`);
      }
    }
    const subject = typeof key.subject === 'string' ? key.subject : null;
    switch (key.keytype) {
      case 'SCHEMA':
        if (subject === null || typeof key.version !== 'number') return onSkip(`SCHEMA key without subject or version: ${record.key}`);
        if (value === null) return this.removeVersion(subject, key.version);
        return this.putVersion(subject, key.version, value, onSkip);
      case 'CONFIG': {
        const level = value && (value.compatibilityLevel ?? value.compatibility);
        if (value === null) this.compatibility.delete(subject);
        else if (COMPATIBILITY_LEVELS.includes(level as CompatibilityLevel)) this.compatibility.set(subject, level as CompatibilityLevel);
        return;
      }
      case 'MODE':
        if (value === null) this.modes.delete(subject);
        else if (MODES.includes(value.mode as Mode)) this.modes.set(subject, value.mode as Mode);
        return;
      case 'DELETE_SUBJECT': {
        const upTo = typeof value?.version === 'number' ? value.version : Infinity;
        for (const s of this.subjects.get(subject ?? '')?.values() ?? []) if (s.version <= upTo) s.deleted = true;
        return;
      }
      case 'CLEAR_SUBJECT':
        for (const s of [...(this.subjects.get(subject ?? '')?.values() ?? [])]) if (s.deleted) this.removeVersion(s.subject, s.version);
        return;
      default:
        return;
    }
  }

  private putVersion(subject: string, version: number, v: Record<string, unknown>, onSkip: (why: string) => void): void {
    const schemaType = (v.schemaType ?? 'AVRO') as SchemaType;
    if (typeof v.id !== 'number' || typeof v.schema !== 'string' || !SCHEMA_TYPES.includes(schemaType)) return onSkip(`SCHEMA value for ${subject} v${version} lacks id, schema or a known schemaType`);
    this.removeVersion(subject, version);
    const s: RegisteredSchema = {
      subject,
      version,
      id: v.id,
      schemaType,
      schema: v.schema,
      references: Array.isArray(v.references) ? (v.references as SchemaReference[]) : [],
      deleted: v.deleted === true,
    };
    let versions = this.subjects.get(subject);
    if (!versions) this.subjects.set(subject, (versions = new Map()));
    versions.set(version, s);
    if (versions.size > 1 && version < Math.max(...versions.keys())) this.subjects.set(subject, new Map([...versions].sort((a, b) => a[0] - b[0])));
    let holders = this.ids.get(s.id);
    if (!holders) this.ids.set(s.id, (holders = new Set()));
    holders.add(s);
    this.contents.set(contentKey(s), s.id);
    this.maxId = Math.max(this.maxId, s.id);
  }

  private removeVersion(subject: string, version: number): void {
    const versions = this.subjects.get(subject);
    const s = versions?.get(version);
    if (!versions || !s) return;
    versions.delete(version);
    if (!versions.size) this.subjects.delete(subject);
    const holders = this.ids.get(s.id)!;
    holders.delete(s);
    if (!holders.size) {
      this.ids.delete(s.id);
      this.contents.delete(contentKey(s));
    }
  }

  /** A subject's versions, ascending; soft-deleted ones only when asked. */
  versions(subject: string, includeDeleted = false): RegisteredSchema[] {
    return [...(this.subjects.get(subject)?.values() ?? [])].filter((s) => includeDeleted || !s.deleted);
  }

  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.keys()].filter((s) => this.versions(s, includeDeleted).length > 0).sort();
  }

  /** Every registration of an id (a schema registered under several subjects has several). */
  byId(id: number): RegisteredSchema[] {
    return [...(this.ids.get(id) ?? [])];
  }

  idOfContent(key: string): number | undefined {
    return this.contents.get(key);
  }

  /** Live registrations whose references name `subject` at `version`. */
  referencedBy(subject: string, version: number): RegisteredSchema[] {
    const out: RegisteredSchema[] = [];
    for (const versions of this.subjects.values())
      for (const s of versions.values()) if (!s.deleted && s.references.some((r) => r.subject === subject && r.version === version)) out.push(s);
    return out;
  }
}
