/**
 * What the registry does, apart from HTTP: register, look up, delete, configure. State changes
 * are written to the store and take effect when the store has read them back (so several
 * registries on one `_schemas` topic agree); changes run one at a time, so ids and versions are
 * handed out once. Every failure is a RegistryError with Confluent's status and error code.
 */
import * as E from './errors';
import { formatOf, type ParsedSchema, type ResolvedReference } from './formats';
import { compatibilityProblems } from './compatibility';
import { contentKey, keyText, schemaRecord, type RegistryState, type StoreRecord } from './state';
import {
  COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, MODES, SCHEMA_TYPES,
  type CompatibilityLevel, type Mode, type RegisteredSchema, type SchemaReference, type SchemaRequest, type SchemaType,
} from './types';

const MAX_VERSION = 2 ** 31 - 1;

/** Writes records to the store; resolves once the state has applied them. */
export type Append = (records: StoreRecord[]) => Promise<void>;

export class RegistryService {
  private readonly parsed = new Map<string, ParsedSchema>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly state: RegistryState,
    private readonly append: Append,
  ) {}

  /** Runs state changes one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- reading -------------------------------------------------------------------------------

  /** 'latest', '-1' or 1..2^31-1; anything else is 42202. */
  static versionId(text: string): number | 'latest' {
    if (text === 'latest' || text === '-1') return 'latest';
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > MAX_VERSION) throw E.invalidVersion(text);
    return n;
  }

  /** One version of a subject (404 40401 / 40402 as Confluent tells them apart). */
  version(subject: string, versionText: string, includeDeleted = false): RegisteredSchema {
    const v = RegistryService.versionId(versionText);
    const versions = this.state.versions(subject, includeDeleted);
    if (!versions.length) throw E.subjectNotFound(subject);
    const found = v === 'latest' ? versions[versions.length - 1] : versions.find((s) => s.version === v);
    if (!found) throw E.versionNotFound(v === 'latest' ? versionText : v);
    return found;
  }

  versionNumbers(subject: string, includeDeleted = false, deletedOnly = false): number[] {
    const all = this.state.versions(subject, includeDeleted || deletedOnly);
    if (!all.length) throw E.subjectNotFound(subject);
    return all.filter((s) => !deletedOnly || s.deleted).map((s) => s.version);
  }

  subjects(opts: { deleted?: boolean; deletedOnly?: boolean; prefix?: string } = {}): string[] {
    const live = new Set(this.state.subjectNames(false));
    return this.state
      .subjectNames(opts.deleted || opts.deletedOnly)
      .filter((s) => (!opts.prefix || s.startsWith(opts.prefix)) && (!opts.deletedOnly || !live.has(s)));
  }

  /** The schema of an id; `subject` prefers that subject's registration. 40403 when unknown. */
  schemaById(id: number, subject?: string): RegisteredSchema {
    const all = this.state.byId(id);
    if (!all.length) throw E.schemaNotFound(id);
    return all.find((s) => s.subject === subject) ?? all.find((s) => !s.deleted) ?? all[0];
  }

  subjectVersionsOfId(id: number, includeDeleted = false): { subject: string; version: number }[] {
    const all = this.state.byId(id);
    if (!all.length) throw E.schemaNotFound(id);
    return all
      .filter((s) => includeDeleted || !s.deleted)
      .sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version)
      .map((s) => ({ subject: s.subject, version: s.version }));
  }

  referencedBy(subject: string, versionText: string): number[] {
    const s = this.version(subject, versionText, true);
    return [...new Set(this.state.referencedBy(s.subject, s.version).map((r) => r.id))].sort((a, b) => a - b);
  }

  /** Every live (or every) registration, optionally of subjects with a prefix; latest only on request. */
  schemas(opts: { prefix?: string; deleted?: boolean; latestOnly?: boolean } = {}): RegisteredSchema[] {
    const out: RegisteredSchema[] = [];
    for (const subject of this.state.subjectNames(opts.deleted)) {
      if (opts.prefix && !subject.startsWith(opts.prefix)) continue;
      const versions = this.state.versions(subject, opts.deleted);
      out.push(...(opts.latestOnly ? versions.slice(-1) : versions));
    }
    return out;
  }

  /** A registered schema parsed (cached by id: the same id is the same content). */
  parsedOf(s: { id?: number; schemaType: SchemaType; schema: string; references: SchemaReference[] }): ParsedSchema {
    const key = s.id !== undefined ? `id:${s.id}` : contentKey(s);
    let p = this.parsed.get(key);
    if (!p) {
      p = formatOf(s.schemaType).parse(s.schema, this.resolveReferences(s.references));
      this.parsed.set(key, p);
    }
    return p;
  }

  /** References and their own references, dependencies first, each once. */
  resolveReferences(refs: SchemaReference[], seen = new Set<string>()): ResolvedReference[] {
    const out: ResolvedReference[] = [];
    for (const ref of refs) {
      if (!ref || typeof ref.name !== 'string' || typeof ref.subject !== 'string' || !Number.isInteger(ref.version)) {
        throw E.invalidSchema(`Invalid schema: a reference needs name, subject and version, got ${JSON.stringify(ref)}`);
      }
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      const target = this.state.versions(ref.subject, true).find((s) => s.version === ref.version || (ref.version === -1 && s === this.state.versions(ref.subject).slice(-1)[0]));
      if (!target) throw E.invalidSchema(`Invalid schema: reference '${ref.name}' names ${ref.subject} version ${ref.version}, which does not exist`);
      out.push(...this.resolveReferences(target.references, seen));
      out.push({ name: ref.name, schemaType: target.schemaType, schema: target.schema });
    }
    return out;
  }

  private parseRequest(req: SchemaRequest): { parsed: ParsedSchema; schemaType: SchemaType; references: SchemaReference[] } {
    if (!req || typeof req.schema !== 'string' || !req.schema.trim()) throw E.invalidSchema('Invalid schema: the request has no schema (expected {"schema": "..."})');
    const schemaType = (req.schemaType ?? 'AVRO') as SchemaType;
    if (!SCHEMA_TYPES.includes(schemaType)) throw E.invalidSchema(`Invalid schema type ${req.schemaType}; valid types are ${SCHEMA_TYPES.join(', ')}`);
    const references = req.references ?? [];
    if (!Array.isArray(references)) throw E.invalidSchema('Invalid schema: references must be a list');
    const parsed = formatOf(schemaType).parse(req.schema, this.resolveReferences(references));
    return { parsed, schemaType, references: references.map((r) => ({ name: r.name, subject: r.subject, version: r.version })) };
  }

  /** POST /subjects/{subject}: the live (or, with deleted, any) version holding this schema. */
  lookup(subject: string, req: SchemaRequest, includeDeleted = false): RegisteredSchema {
    const versions = this.state.versions(subject, includeDeleted);
    if (!versions.length) throw E.subjectNotFound(subject);
    const { parsed, schemaType, references } = this.parseRequest(req);
    const key = contentKey({ schemaType, schema: parsed.canonical, references });
    const found = versions.find((s) => contentKey(s) === key);
    if (!found) throw E.schemaNotFound();
    return found;
  }

  // ---- compatibility and config ---------------------------------------------------------------

  compatibilityOf(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.state.compatibility.get(subject) : undefined) ?? this.state.compatibility.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  modeOf(subject: string | null): Mode {
    return (subject !== null ? this.state.modes.get(subject) : undefined) ?? this.state.modes.get(null) ?? 'READWRITE';
  }

  /** POST /compatibility/subjects/{subject}/versions[/{version}]: problems, empty when compatible. */
  checkCompatibility(subject: string, req: SchemaRequest, versionText?: string): string[] {
    const { parsed } = this.parseRequest(req);
    const level = this.compatibilityOf(subject);
    let previous = this.state.versions(subject);
    if (versionText !== undefined) {
      if (!previous.length) {
        RegistryService.versionId(versionText);
        throw E.subjectNotFound(subject);
      }
      previous = [this.version(subject, versionText)];
      if (level === 'NONE') return [];
      // Against one chosen version, the transitive forms mean the same as the plain ones.
      return compatibilityProblems(level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, previous.map((s) => ({ version: s.version, schema: s.schema, parsed: this.parsedOf(s) })));
    }
    return compatibilityProblems(level, parsed, previous.map((s) => ({ version: s.version, schema: s.schema, parsed: this.parsedOf(s) })));
  }

  setCompatibility(subject: string | null, level: unknown): Promise<CompatibilityLevel> {
    const upper = typeof level === 'string' ? level.toUpperCase() : '';
    if (!COMPATIBILITY_LEVELS.includes(upper as CompatibilityLevel)) return Promise.reject(E.invalidCompatibility());
    return this.serial(async () => {
      await this.append([{ key: keyText({ keytype: 'CONFIG', subject, magic: 0 }), value: JSON.stringify({ compatibilityLevel: upper }) }]);
      return upper as CompatibilityLevel;
    });
  }

  /** DELETE /config[/{subject}]: the level that was set (the global one returns to the default). */
  deleteCompatibility(subject: string | null): Promise<CompatibilityLevel> {
    return this.serial(async () => {
      const was = this.state.compatibility.get(subject);
      if (subject !== null && was === undefined) {
        if (!this.state.subjectNames(true).includes(subject)) throw E.subjectNotFound(subject);
        throw E.subjectCompatibilityNotConfigured(subject);
      }
      await this.append([{ key: keyText({ keytype: 'CONFIG', subject, magic: 0 }), value: null }]);
      return was ?? DEFAULT_COMPATIBILITY;
    });
  }

  setMode(subject: string | null, mode: unknown, force = false): Promise<Mode> {
    const upper = typeof mode === 'string' ? mode.toUpperCase() : '';
    if (!MODES.includes(upper as Mode)) return Promise.reject(E.invalidMode(String(mode)));
    return this.serial(async () => {
      // Confluent refuses IMPORT over existing schemas unless forced (ids could clash).
      if (upper === 'IMPORT' && !force && (subject === null ? this.state.subjectNames(true).length : this.state.versions(subject, true).length)) {
        throw E.operationNotPermitted(`Cannot import since found existing subjects`);
      }
      await this.append([{ key: keyText({ keytype: 'MODE', subject, magic: 0 }), value: JSON.stringify({ mode: upper }) }]);
      return upper as Mode;
    });
  }

  deleteMode(subject: string): Promise<Mode> {
    return this.serial(async () => {
      const was = this.state.modes.get(subject);
      if (was === undefined) throw E.subjectModeNotConfigured(subject);
      await this.append([{ key: keyText({ keytype: 'MODE', subject, magic: 0 }), value: null }]);
      return was;
    });
  }

  private writable(subject: string, importing: boolean): void {
    const mode = this.modeOf(subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw E.operationNotPermitted(`Subject ${subject} is in read-only mode`);
    if (importing && mode !== 'IMPORT') throw E.operationNotPermitted(`Subject ${subject} is not in import mode`);
  }

  // ---- registering and deleting ---------------------------------------------------------------

  /** POST /subjects/{subject}/versions: the schema's id (the existing one when already registered). */
  register(subject: string, req: SchemaRequest): Promise<{ id: number; version: number }> {
    return this.serial(async () => {
      if (!subject || /[\u0000-\u001f]/.test(subject)) throw E.invalidSubject(subject);
      const importing = req?.id !== undefined && req.id !== null;
      this.writable(subject, importing);
      const { parsed, schemaType, references } = this.parseRequest(req);
      const schema = parsed.canonical;
      const key = contentKey({ schemaType, schema, references });
      const all = this.state.versions(subject, true);
      const live = all.filter((s) => !s.deleted);
      const existing = live.find((s) => contentKey(s) === key);
      if (existing && !importing) return { id: existing.id, version: existing.version };

      let id: number;
      let version: number;
      if (importing) {
        id = Number(req.id);
        version = req.version === undefined || req.version === null ? (all.length ? all[all.length - 1].version + 1 : 1) : Number(req.version);
        if (!Number.isInteger(id) || id < 0) throw E.invalidSchema(`Invalid id ${req.id}`);
        if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) throw E.invalidVersion(String(req.version));
        const holder = this.state.byId(id)[0];
        if (holder && contentKey(holder) !== key) throw E.idDoesNotMatch(`Schema already registered with id ${id} instead of input id ${id}`);
        const taken = all.find((s) => s.version === version);
        if (taken && contentKey(taken) !== key) throw E.operationNotPermitted(`Overwrite new schema with id ${id} and version ${version} is not permitted.`);
      } else {
        const level = this.compatibilityOf(subject);
        const problems = compatibilityProblems(level, parsed, live.map((s) => ({ version: s.version, schema: s.schema, parsed: this.parsedOf(s) })));
        if (problems.length) throw E.incompatibleSchema(subject, problems);
        id = this.state.idOfContent(key) ?? this.state.maxId + 1;
        version = all.length ? all[all.length - 1].version + 1 : 1;
      }
      const registered: RegisteredSchema = { subject, version, id, schemaType, schema, references, deleted: false };
      await this.append([schemaRecord(registered)]);
      return { id, version };
    });
  }

  /** DELETE /subjects/{subject}/versions/{version}: soft, or (permanent) after a soft delete. */
  deleteVersion(subject: string, versionText: string, permanent: boolean): Promise<number> {
    return this.serial(async () => {
      this.writable(subject, false);
      const v = RegistryService.versionId(versionText);
      const all = this.state.versions(subject, true);
      if (!all.length) throw E.subjectNotFound(subject);
      const target = v === 'latest' ? (permanent ? all : all.filter((s) => !s.deleted)).slice(-1)[0] : all.find((s) => s.version === v);
      if (!target) throw E.versionNotFound(v === 'latest' ? versionText : v);
      if (!permanent && target.deleted) throw E.versionSoftDeleted(subject, target.version);
      if (permanent && !target.deleted) throw E.versionNotSoftDeleted(subject, target.version);
      const users = this.state.referencedBy(subject, target.version);
      if (users.length) throw E.referenceExists(`One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=${subject},version=${target.version}}.`);
      await this.append([permanent ? { key: schemaRecord(target).key, value: null } : schemaRecord({ ...target, deleted: true })]);
      return target.version;
    });
  }

  /** DELETE /subjects/{subject}: the versions deleted (soft), or removed (permanent, after a soft delete). */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.serial(async () => {
      this.writable(subject, false);
      const all = this.state.versions(subject, true);
      if (!all.length) throw E.subjectNotFound(subject);
      const live = all.filter((s) => !s.deleted);
      if (!permanent && !live.length) throw E.subjectSoftDeleted(subject);
      if (permanent && live.length) throw E.subjectNotSoftDeleted(subject);
      const targets = permanent ? all : live;
      for (const t of targets) {
        if (this.state.referencedBy(subject, t.version).some((r) => r.subject !== subject)) {
          throw E.referenceExists(`One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=${subject},version=${t.version}}.`);
        }
      }
      const records: StoreRecord[] = permanent
        ? targets.map((t) => ({ key: schemaRecord(t).key, value: null }))
        : [
            ...targets.map((t) => schemaRecord({ ...t, deleted: true })),
            { key: keyText({ keytype: 'DELETE_SUBJECT', subject, magic: 0 }), value: JSON.stringify({ subject, version: targets[targets.length - 1].version }) },
          ];
      if (permanent) {
        // The subject's own settings go with it, as in Confluent's registry.
        if (this.state.compatibility.has(subject)) records.push({ key: keyText({ keytype: 'CONFIG', subject, magic: 0 }), value: null });
        if (this.state.modes.has(subject)) records.push({ key: keyText({ keytype: 'MODE', subject, magic: 0 }), value: null });
        records.push({ key: keyText({ keytype: 'DELETE_SUBJECT', subject, magic: 0 }), value: null });
      }
      await this.append(records);
      return targets.map((t) => t.version);
    });
  }
}
