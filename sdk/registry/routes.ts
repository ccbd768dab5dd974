/**
 * Confluent's Schema Registry REST API, one line per endpoint: method, path, and what it answers.
 * Paths and query parameters are Confluent's; answers are the JSON it gives (or, for
 * `.../schema`, the bare schema text).
 */
import * as E from './errors';
import { RegistryService } from './service';
import { SCHEMA_TYPES, schemaFields, type RegisteredSchema, type SchemaRequest } from './types';

export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  service: RegistryService;
}

/** A handler's answer: JSON, or `{ raw }` for a body sent as it is. */
export type RouteResult = unknown | { raw: string };

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: RegExp;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

const flag = (q: URLSearchParams, name: string) => q.get(name) === 'true';
const SEG = '([^/]+)';
const route = (method: Route['method'], path: string, handle: Route['handle']): Route => ({ method, path: new RegExp(`^${path.replace(/\{\w+\}/g, SEG)}/?$`), handle });

function schemaId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) throw E.schemaNotFound();
  return id;
}

function full(s: RegisteredSchema): Record<string, unknown> {
  return { subject: s.subject, version: s.version, id: s.id, ...schemaFields(s) };
}

function body(ctx: RouteContext): SchemaRequest {
  return (ctx.body ?? {}) as SchemaRequest;
}

function level(ctx: RouteContext): unknown {
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  return b.compatibility ?? b.compatibilityLevel;
}

export const ROUTES: Route[] = [
  route('GET', '', () => ({})),
  route('GET', '/schemas/types', () => [...SCHEMA_TYPES].sort()),
  route('GET', '/schemas', ({ query, service }) =>
    service.schemas({ prefix: query.get('subjectPrefix') ?? undefined, deleted: flag(query, 'deleted'), latestOnly: flag(query, 'latestOnly') }).map(full),
  ),
  route('GET', '/schemas/ids/{id}', ({ params, query, service }) => {
    const s = service.schemaById(schemaId(params[0]), query.get('subject') ?? undefined);
    return schemaFields(s);
  }),
  route('GET', '/schemas/ids/{id}/schema', ({ params, query, service }) => ({ raw: service.schemaById(schemaId(params[0]), query.get('subject') ?? undefined).schema })),
  route('GET', '/schemas/ids/{id}/subjects', ({ params, query, service }) => [...new Set(service.subjectVersionsOfId(schemaId(params[0]), flag(query, 'deleted')).map((s) => s.subject))]),
  route('GET', '/schemas/ids/{id}/versions', ({ params, query, service }) => service.subjectVersionsOfId(schemaId(params[0]), flag(query, 'deleted'))),

  route('GET', '/subjects', ({ query, service }) =>
    service.subjects({ deleted: flag(query, 'deleted'), deletedOnly: flag(query, 'deletedOnly'), prefix: query.get('subjectPrefix') ?? undefined }),
  ),
  route('POST', '/subjects/{subject}', (ctx) => full(ctx.service.lookup(ctx.params[0], body(ctx), flag(ctx.query, 'deleted')))),
  route('DELETE', '/subjects/{subject}', ({ params, query, service }) => service.deleteSubject(params[0], flag(query, 'permanent'))),
  route('GET', '/subjects/{subject}/versions', ({ params, query, service }) => service.versionNumbers(params[0], flag(query, 'deleted'), flag(query, 'deletedOnly'))),
  route('POST', '/subjects/{subject}/versions', async (ctx) => ({ id: (await ctx.service.register(ctx.params[0], body(ctx))).id })),
  route('GET', '/subjects/{subject}/versions/{version}', ({ params, query, service }) => full(service.version(params[0], params[1], flag(query, 'deleted')))),
  route('GET', '/subjects/{subject}/versions/{version}/schema', ({ params, query, service }) => ({ raw: service.version(params[0], params[1], flag(query, 'deleted')).schema })),
  route('GET', '/subjects/{subject}/versions/{version}/referencedby', ({ params, service }) => service.referencedBy(params[0], params[1])),
  route('DELETE', '/subjects/{subject}/versions/{version}', ({ params, query, service }) => service.deleteVersion(params[0], params[1], flag(query, 'permanent'))),

  route('POST', '/compatibility/subjects/{subject}/versions', (ctx) => compatibilityAnswer(ctx, undefined)),
  route('POST', '/compatibility/subjects/{subject}/versions/{version}', (ctx) => compatibilityAnswer(ctx, ctx.params[1])),

  route('GET', '/config', ({ service }) => ({ compatibilityLevel: service.compatibilityOf(null) })),
  route('PUT', '/config', async (ctx) => ({ compatibility: await ctx.service.setCompatibility(null, level(ctx)) })),
  route('DELETE', '/config', async ({ service }) => ({ compatibilityLevel: await service.deleteCompatibility(null) })),
  route('GET', '/config/{subject}', ({ params, query, service }) => {
    const own = service.state.compatibility.get(params[0]);
    if (own === undefined && !flag(query, 'defaultToGlobal')) throw E.subjectCompatibilityNotConfigured(params[0]);
    return { compatibilityLevel: own ?? service.compatibilityOf(null) };
  }),
  route('PUT', '/config/{subject}', async (ctx) => ({ compatibility: await ctx.service.setCompatibility(ctx.params[0], level(ctx)) })),
  route('DELETE', '/config/{subject}', async ({ params, service }) => ({ compatibilityLevel: await service.deleteCompatibility(params[0]) })),

  route('GET', '/mode', ({ service }) => ({ mode: service.modeOf(null) })),
  route('PUT', '/mode', async (ctx) => ({ mode: await ctx.service.setMode(null, (ctx.body as { mode?: unknown } | undefined)?.mode, flag(ctx.query, 'force')) })),
  route('GET', '/mode/{subject}', ({ params, query, service }) => {
    const own = service.state.modes.get(params[0]);
    if (own === undefined && !flag(query, 'defaultToGlobal')) throw E.subjectModeNotConfigured(params[0]);
    return { mode: own ?? service.modeOf(null) };
  }),
  route('PUT', '/mode/{subject}', async (ctx) => ({ mode: await ctx.service.setMode(ctx.params[0], (ctx.body as { mode?: unknown } | undefined)?.mode, flag(ctx.query, 'force')) })),
  route('DELETE', '/mode/{subject}', async ({ params, service }) => ({ mode: await service.deleteMode(params[0]) })),

  route('GET', '/contexts', () => ['.']),
];

function compatibilityAnswer(ctx: RouteContext, version: string | undefined): Record<string, unknown> {
  const problems = ctx.service.checkCompatibility(ctx.params[0], body(ctx), version);
  const answer: Record<string, unknown> = { is_compatible: problems.length === 0 };
  if (flag(ctx.query, 'verbose')) answer.messages = problems;
  return answer;
}

/** The route for a method and path, with its decoded path parameters; 404/405 as Confluent's registry answers them. */
export function findRoute(method: string, pathname: string): { route: Route; params: string[] } {
  let pathMatched = false;
  for (const r of ROUTES) {
    const m = r.path.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params: m.slice(1).map((p) => decodeURIComponent(p)) };
  }
  throw pathMatched ? E.httpError(405, 'HTTP 405 Method Not Allowed') : E.httpError(404, 'HTTP 404 Not Found');
}
