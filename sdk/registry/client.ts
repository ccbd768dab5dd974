/**
 * A Schema Registry client for any registry speaking Confluent's REST API (the embedded one,
 * Confluent Platform, Confluent Cloud with basic auth). Ids are immutable, so schemas by id and
 * the id of a schema registered under a subject are cached for the life of the client; "latest"
 * is asked each time. Concurrent asks for the same id share one request. Credentials are sent,
 * never logged or put in an error.
 */
import { rememberSecret } from '../util/redact';
import { KafkalabError } from '../util/errors';
import { defaultLogger, type Logger } from '../util/log';
import type { ResolvedReference } from './formats';
import type { CompatibilityLevel, SchemaReference, SchemaType } from './types';

export interface RegistryAuth {
  username: string;
  password: string;
}

/** Where a registry is: its URL, or the URL with basic-auth credentials (Confluent Cloud's API key and secret). */
export type SchemaRegistryTarget = string | { url: string; auth?: RegistryAuth };

export interface SchemaText {
  schema: string;
  schemaType?: SchemaType;
  references?: SchemaReference[];
}

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

export interface FetchedSchema {
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** An answer of the registry other than 2xx, with Confluent's error code. */
export class SchemaRegistryError extends KafkalabError {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    readonly registryMessage: string,
    what: string,
    hint?: string,
  ) {
    super(`${what}: the Schema Registry answered ${status} (error ${errorCode}): ${registryMessage}`, { code: 'SCHEMA_REGISTRY', hint, retriable: status >= 500 });
    this.name = 'SchemaRegistryError';
  }
}

const MEDIA = 'application/vnd.schemaregistry.v1+json';

export class SchemaRegistryClient {
  /** The registry's URL without credentials (safe to show). */
  readonly url: string;
  private readonly authHeader: string | undefined;
  private readonly auth: RegistryAuth | undefined;
  private readonly byId = new Map<number, Promise<FetchedSchema>>();
  private readonly registered = new Map<string, Promise<number>>();

  constructor(
    target: SchemaRegistryTarget,
    private readonly opts: { timeoutMs?: number; logger?: Logger } = {},
  ) {
    const { url, auth } = splitTarget(target);
    this.url = url;
    this.auth = auth;
    this.authHeader = auth ? 'Basic ' + Buffer.from(`${auth.username}:${auth.password}`).toString('base64') : undefined;
    rememberSecret(auth?.password);
    rememberSecret(this.authHeader);
  }

  /** What it takes to open another client to the same registry (a worker thread's): carries the credentials, never log it. */
  target(): { url: string; auth?: RegistryAuth } {
    return this.auth ? { url: this.url, auth: { ...this.auth } } : { url: this.url };
  }

  private get logger(): Logger {
    return this.opts.logger ?? defaultLogger('schema-registry-client');
  }

  /** One request; non-2xx answers become SchemaRegistryError, network failures say where and what to do. */
  async request<T>(method: string, path: string, body?: unknown, what = `${method} ${path}`): Promise<T> {
    let res: Response | undefined;
    // Every call of this API may be repeated (registering the same schema again gives the same id), so a
    // kept-alive connection the server closed while idle (ECONNRESET on reuse) is retried once on a new one.
    for (let attempt = 0; !res; attempt++) {
      try {
        res = await fetch(this.url + path, {
          method,
          headers: { Accept: MEDIA, ...(body === undefined ? {} : { 'Content-Type': MEDIA }), ...(this.authHeader ? { Authorization: this.authHeader } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        });
      } catch (e) {
        const code = (e as { cause?: { code?: string } }).cause?.code;
        if (attempt === 0 && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) continue;
        throw this.unreachable(e);
      }
    }
    return this.answer<T>(res, what, method, path);
  }

  private unreachable(e: unknown): KafkalabError {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).name ?? String(e);
    return new KafkalabError(`Cannot reach the Schema Registry at ${this.url} (${why})`, {
      code: 'SCHEMA_REGISTRY_UNREACHABLE',
      retriable: true,
      hint: 'check the URL (connect({ schemaRegistry }) or SCHEMA_REGISTRY_URL) and that the registry is running',
      cause: e,
    });
  }

  private async answer<T>(res: Response, what: string, method: string, path: string): Promise<T> {
    const text = await res.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // a bare schema text or a proxy's HTML page
    }
    if (!res.ok) {
      const err = json as { error_code?: number; message?: string } | undefined;
      const code = typeof err?.error_code === 'number' ? err.error_code : res.status;
      const message = typeof err?.message === 'string' ? err.message : text.slice(0, 200);
      throw new SchemaRegistryError(res.status, code, message, what, hintFor(res.status, code));
    }
    this.logger.debug('schema registry request', { method, path, status: res.status });
    return json as T;
  }

  /** Registers (or finds) a schema under a subject; its id. Cached per subject and schema. */
  register(subject: string, schema: SchemaText): Promise<number> {
    const key = `${subject}\n${schema.schemaType ?? 'AVRO'}\n${JSON.stringify(schema.references ?? [])}\n${schema.schema}`;
    let id = this.registered.get(key);
    if (!id) {
      id = this.request<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, body(schema), `Registering a schema under "${subject}"`).then((r) => r.id);
      this.registered.set(key, id);
      id.catch(() => this.registered.delete(key));
    }
    return id;
  }

  /** The version of `subject` holding this schema (404 40403 when it was never registered there). */
  lookup(subject: string, schema: SchemaText): Promise<SubjectVersion> {
    return this.request<Record<string, unknown>>('POST', `/subjects/${enc(subject)}`, body(schema), `Looking up a schema under "${subject}"`).then(subjectVersion);
  }

  /** The schema of an id, cached. */
  schemaById(id: number): Promise<FetchedSchema> {
    let s = this.byId.get(id);
    if (!s) {
      s = this.request<Record<string, unknown>>('GET', `/schemas/ids/${id}`, undefined, `Fetching schema id ${id}`).then((r) => ({
        schemaType: (r.schemaType ?? 'AVRO') as SchemaType,
        schema: r.schema as string,
        references: (r.references ?? []) as SchemaReference[],
      }));
      this.byId.set(id, s);
      s.catch(() => this.byId.delete(id));
    }
    return s;
  }

  /** A subject's version ('latest' by default). */
  version(subject: string, version: number | 'latest' = 'latest'): Promise<SubjectVersion> {
    return this.request<Record<string, unknown>>('GET', `/subjects/${enc(subject)}/versions/${version}`, undefined, `Fetching ${subject} version ${version}`).then(subjectVersion);
  }

  subjects(): Promise<string[]> {
    return this.request('GET', '/subjects');
  }

  versions(subject: string): Promise<number[]> {
    return this.request('GET', `/subjects/${enc(subject)}/versions`);
  }

  /** Whether `schema` could be registered under `subject` (against `version`, or all versions the level checks). */
  async checkCompatibility(subject: string, schema: SchemaText, version?: number | 'latest'): Promise<{ compatible: boolean; messages: string[] }> {
    const path = `/compatibility/subjects/${enc(subject)}/versions${version === undefined ? '' : `/${version}`}?verbose=true`;
    const r = await this.request<{ is_compatible: boolean; messages?: string[] }>('POST', path, body(schema));
    return { compatible: r.is_compatible, messages: r.messages ?? [] };
  }

  /** The compatibility level of a subject (its own, else the global one) or, without a subject, the global one. */
  async compatibility(subject?: string): Promise<CompatibilityLevel> {
    const r = await this.request<{ compatibilityLevel: CompatibilityLevel }>('GET', subject === undefined ? '/config' : `/config/${enc(subject)}?defaultToGlobal=true`);
    return r.compatibilityLevel;
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    const r = await this.request<{ compatibility: CompatibilityLevel }>('PUT', subject === undefined ? '/config' : `/config/${enc(subject)}`, { compatibility: level });
    return r.compatibility;
  }

  /** Deletes a subject (soft; then, with permanent, for good); the versions deleted. */
  async deleteSubject(subject: string, opts: { permanent?: boolean } = {}): Promise<number[]> {
    const soft = await this.request<number[]>('DELETE', `/subjects/${enc(subject)}`).catch((e) => {
      if (opts.permanent && e instanceof SchemaRegistryError && e.errorCode === 40404) return [];
      throw e;
    });
    if (!opts.permanent) return soft;
    return this.request<number[]>('DELETE', `/subjects/${enc(subject)}?permanent=true`);
  }

  /** References and theirs, dependencies first, each once: what a format parses a schema with. */
  async resolveReferences(refs: SchemaReference[], seen = new Set<string>()): Promise<ResolvedReference[]> {
    const out: ResolvedReference[] = [];
    for (const ref of refs) {
      if (seen.has(ref.name)) continue;
      seen.add(ref.name);
      const v = await this.version(ref.subject, ref.version);
      out.push(...(await this.resolveReferences(v.references, seen)));
      out.push({ name: ref.name, schemaType: v.schemaType, schema: v.schema });
    }
    return out;
  }
}

function splitTarget(target: SchemaRegistryTarget): { url: string; auth?: RegistryAuth } {
  const raw = typeof target === 'string' ? target : target?.url;
  if (typeof raw !== 'string' || !raw.trim()) {
    throw new KafkalabError('No Schema Registry URL given', { code: 'BAD_OPTION', hint: "pass schemaRegistry: 'http://host:8081' or { url, auth: { username, password } }" });
  }
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new KafkalabError(`Schema Registry URL "${raw.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL`, { code: 'BAD_OPTION', hint: "write it as http://host:8081" });
  }
  let auth = typeof target === 'string' ? undefined : target.auth;
  if (parsed.username) {
    auth ??= { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.toString().replace(/\/+$/, ''), auth };
}

const enc = encodeURIComponent;

function body(s: SchemaText): Record<string, unknown> {
  const b: Record<string, unknown> = { schema: s.schema };
  if (s.schemaType && s.schemaType !== 'AVRO') b.schemaType = s.schemaType;
  if (s.references?.length) b.references = s.references;
  return b;
}

function subjectVersion(r: Record<string, unknown>): SubjectVersion {
  return {
    subject: r.subject as string,
    version: r.version as number,
    id: r.id as number,
    schemaType: (r.schemaType ?? 'AVRO') as SchemaType,
    schema: r.schema as string,
    references: (r.references ?? []) as SchemaReference[],
  };
}

function hintFor(status: number, code: number): string | undefined {
  if (status === 401 || status === 403) return 'check the registry credentials (schemaRegistry: { url, auth: { username, password } })';
  if (code === 409) return 'make the change compatible (e.g. give a new field a default) or change the subject\'s compatibility level';
  if (code === 40401) return 'register a schema under it first, or check the subject name (TopicNameStrategy: <topic>-value)';
  if (code === 42201) return 'fix the schema; the message says what the registry could not parse';
  return undefined;
}
