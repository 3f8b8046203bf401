import { z } from 'zod';
import { accessRuleOf } from './auth';
import { PROBLEM_TYPES, type ProblemKind } from './problem-types';
import { specOf, type RouteSpec } from './route';

/** RFC 9457 problem details as this API sends them (problem.ts); some kinds add members (`code`, `projection`, …). */
export const Problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/**
 * zod → JSON Schema (draft 2020-12, which OpenAPI 3.1 uses as is). Requests
 * are described as they are sent (`io: 'input'`: before defaults and
 * transforms), responses as they are produced.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** Every route that reads a body may meet these before its handler runs (body.ts, request-errors.ts). */
const BODY_PROBLEMS: ProblemKind[] = ['invalid-request', 'malformed-body', 'payload-too-large', 'unsupported-media-type'];
const AUTH_PROBLEMS: ProblemKind[] = ['unauthorized', 'too-many-requests'];

/** The problems a route may answer with: its own, plus those of its shape (input, body, token) and 500. */
export function problemsOf(spec: RouteSpec): ProblemKind[] {
  const kinds = new Set<ProblemKind>(spec.problems ?? []);
  if (spec.params || spec.query || spec.headers) kinds.add('invalid-request');
  if (spec.body) for (const k of BODY_PROBLEMS) kinds.add(k);
  if (spec.auth) for (const k of AUTH_PROBLEMS) kinds.add(k);
  // A client's token on an operator route: valid, not enough.
  if (spec.auth && accessRuleOf(spec.auth) === 'operator') kinds.add('forbidden');
  kinds.add('internal-error');
  return [...kinds];
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

function parameters(spec: RouteSpec): object[] {
  const list: object[] = [];
  const add = (where: 'path' | 'query' | 'header', schema: z.ZodType | undefined) => {
    if (!schema) return;
    const s = jsonSchema(schema, 'input') as { properties?: Record<string, { description?: string }>; required?: string[] };
    for (const [name, property] of Object.entries(s.properties ?? {})) {
      const required = where === 'path' || (s.required ?? []).includes(name);
      list.push({ name, in: where, required, ...(property.description ? { description: property.description } : {}), schema: property });
    }
  };
  add('path', spec.params);
  add('query', spec.query);
  add('header', spec.headers);
  return list;
}

function responses(spec: RouteSpec): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const content = r.type ? { [r.type]: { schema: { type: 'string' } } } : r.body ? { 'application/json': { schema: jsonSchema(r.body, 'output') } } : undefined;
    const headers = r.headers && Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
    out[status] = { description: r.description, ...(headers ? { headers } : {}), ...(content ? { content } : {}) };
  }
  // Problems sharing a status (400: invalid request or malformed body) share one entry.
  const byStatus = new Map<number, ProblemKind[]>();
  for (const kind of problemsOf(spec)) byStatus.set(PROBLEM_TYPES[kind].status, [...(byStatus.get(PROBLEM_TYPES[kind].status) ?? []), kind]);
  for (const [status, kinds] of byStatus) {
    out[status] ??= {
      description: kinds.map((k) => `${PROBLEM_TYPES[k].title}: ${PROBLEM_TYPES[k].description}`).join(' / '),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return out;
}

function operations(spec: RouteSpec): { path: string; operation: object }[] {
  const base = (summary: string, body: z.ZodType | undefined, params: object[]) => ({
    operationId: `${spec.method} ${spec.path}${summary === spec.summary ? '' : ` ${summary}`}`,
    summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(body, 'input') } } } } : {}),
    ...(spec.auth ? { security: [{ bearer: [] }] } : {}),
    responses: responses(spec),
  });
  const params = parameters(spec);
  if (!spec.expand) {
    const body = typeof spec.body === 'function' ? spec.body({}) : spec.body;
    return [{ path: openApiPath(spec.path), operation: base(spec.summary, body, params) }];
  }
  // One operation per value of the path parameter, each with its own body.
  return spec.expand().map(({ params: values, summary }) => {
    const path = spec.path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? `{${name}}`);
    const body = typeof spec.body === 'function' ? spec.body(values) : spec.body;
    const rest = params.filter((p) => !((p as { in: string; name: string }).in === 'path' && (p as { name: string }).name in values));
    return { path, operation: base(summary, body, rest) };
  });
}

/** The specs of every route registered on an express app, in registration order. */
export function routeSpecsOf(router: { stack?: unknown[] }): { path: string; methods: string[]; spec?: RouteSpec }[] {
  const found: { path: string; methods: string[]; spec?: RouteSpec }[] = [];
  const walk = (stack: unknown[]) => {
    for (const layer of stack as { route?: { path?: unknown; methods?: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) {
      if (layer.route && typeof layer.route.path === 'string') {
        const methods = Object.keys(layer.route.methods ?? {}).filter((m) => m !== '_all');
        found.push({ path: layer.route.path, methods, spec: specOf(layer.route) });
      } else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  walk(router.stack ?? []);
  return found;
}

/**
 * The OpenAPI 3.1 document of an express app whose routes were declared with
 * route(): generated per request from the live route table, so a saga type
 * registered on the engine appears with its input schema.
 */
export function openApiDocument(router: { stack?: unknown[] }, info: { version: string }): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const { spec } of routeSpecsOf(router)) {
    if (!spec) continue;
    for (const { path, operation } of operations(spec)) (paths[path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Saga orchestrator',
      version: info.version,
      description: 'Durable, event-sourced sagas on DBOS and PostgreSQL. Errors are RFC 9457 problem+json; each problem `type` resolves under /problems.',
    },
    paths,
    components: {
      schemas: { Problem: jsonSchema(Problem, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The operator token (ADMIN_TOKEN).' } },
    },
  };
}
