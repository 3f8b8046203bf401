import { createHash, randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { latestCorrelatedPosition } from '../../consumers';
import type { EventStore } from '../../eventstore';
import type { SagaDefinition } from '../../saga/definition';
import type { SagaEngine } from '../../saga/engine';
import { SAGA_STATUSES } from '../../saga/state';
import { jsonSchema } from '../openapi';
import { HttpProblem, invalid } from '../problem';
import { preferredWaitMs } from '../read-your-writes';
import { route } from '../route';
import type { Access } from '../auth';

export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'up to 128 letters, digits, ".", "_", ":" or "-"')
  .refine((key) => key !== 'types', 'reserved: GET /sagas/types lists the saga types')
  .optional()
  .describe('Becomes the saga id: the same key and body return the same saga; the same key with another body is refused (409).');
const StartHeaders = z.object({ 'Idempotency-Key': IdempotencyKey, Prefer: z.string().max(200).optional().describe('wait=<seconds>: wait that long at most for the saga\'s first event, so `position` covers it') });
const TypeParams = z.object({ type: z.string().min(1).max(100).describe('A registered saga type (GET /sagas/types)') });

export const SagaStarted = z.object({
  sagaId: z.string(),
  type: z.string(),
  businessKey: z.string(),
  status: z.enum(SAGA_STATUSES),
  /** For read-your-writes (`?after=`): the saga's newest event so far, 0 before its first step commits. */
  position: z.number().int().min(0),
});
const OrderStarted = SagaStarted.extend({ orderId: z.string() });
const SagaTypes = z.object({
  types: z.array(z.object({ type: z.string(), inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of the body POST /sagas/<type> takes') })),
});

/** Canonical JSON (sorted keys), so a retried body hashes the same whatever its key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Top-level input fields the saga's schema marks `readOnly` (generated at the edge, e.g. an order id): a client may not choose them. */
function readOnlyFields(definition: SagaDefinition): string[] {
  const schema = jsonSchema(definition.input, 'input') as { properties?: Record<string, { readOnly?: boolean }> };
  return Object.entries(schema.properties ?? {})
    .filter(([, p]) => p.readOnly)
    .map(([name]) => name);
}

interface StartRequest {
  saga_type: string;
  request_hash: string;
  input: unknown;
}

const findRequest = async (pool: Pool, sagaId: string) =>
  (await pool.query<StartRequest>('SELECT saga_type, request_hash, input FROM saga_requests WHERE saga_id = $1', [sagaId])).rows[0];

/**
 * Record the request under its saga id, or find the one recorded first. The
 * stored input (with whatever the schema generated, e.g. an order id, and its
 * personal data protected: the saga's `protect`, which may write a vault) is
 * what the saga starts with, so a retry starts the same saga on the same input.
 */
async function recordRequest(
  pool: Pool,
  engine: SagaEngine,
  def: SagaDefinition,
  sagaId: string,
  input: unknown,
  fingerprint: () => Promise<string>,
): Promise<StartRequest & { hash: string }> {
  const first = await findRequest(pool, sagaId);
  if (first) return { ...first, hash: await fingerprint() };
  // Protected first: that makes the customer's key a keyed fingerprint needs.
  const stored = await engine.protect(def.type, input);
  const hash = await fingerprint();
  const inserted = await pool.query(
    `INSERT INTO saga_requests (saga_id, saga_type, business_key, request_hash, input) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [sagaId, def.type, def.businessKey(stored), hash, JSON.stringify(stored)],
  );
  if (inserted.rowCount) return { saga_type: def.type, request_hash: hash, input: stored, hash };
  // A concurrent first request with this key won (what this one protected stays unused).
  return { ...(await findRequest(pool, sagaId)), hash };
}

/**
 * Start any registered saga by type. The body is the saga's input, validated
 * by the saga's own schema. The Idempotency-Key becomes the saga id: the
 * same key and body return the same saga (and complete a start a crash
 * interrupted); the same key with another body, or for another type, is refused.
 */
export function startRoutes(deps: { engine: SagaEngine; store: EventStore; pool: Pool; access: Access }): Router {
  const router = Router();
  const definition = (type: string): SagaDefinition => {
    const found = deps.engine.definitions().find((d) => d.type === type);
    if (!found) throw new HttpProblem('not-found', `no saga type ${type}`, { types: deps.engine.definitions().map((d) => d.type) });
    return found;
  };

  async function start(def: SagaDefinition, key: string | undefined, raw: unknown, input: unknown, req: Request, res: Response) {
    const sent = raw && typeof raw === 'object' ? Object.keys(raw) : [];
    const generated = readOnlyFields(def).filter((f) => sent.includes(f));
    if (generated.length) throw invalid(generated.map((field) => ({ field, message: 'generated by the server: do not send it' })));
    const request = canonical(raw);
    const fingerprint = async () => (await def.fingerprint?.(input, request)) ?? createHash('sha256').update(request).digest('hex');
    const sagaId = key ?? randomUUID();
    const recorded = await recordRequest(deps.pool, deps.engine, def, sagaId, input, fingerprint);
    if (recorded.request_hash !== recorded.hash || recorded.saga_type !== def.type) {
      throw new HttpProblem('idempotency-key-reused', `Idempotency-Key ${sagaId} was used for a different request`, {
        errors: [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
      });
    }
    // Starting an existing saga id is a no-op in DBOS; it also completes a
    // start that a crash interrupted after the request was recorded.
    await deps.engine.start(def.type, sagaId, recorded.input, { stored: true });
    const view = await deps.engine.view(sagaId);
    // Read-your-writes (`?after=`): the saga's newest event so far (its steps run
    // asynchronously, so 0 until the first one commits, unless `Prefer: wait=<s>`).
    const position = await latestCorrelatedPosition(deps.store, sagaId, preferredWaitMs(req));
    res.status(202).location(`/sagas/${encodeURIComponent(sagaId)}`);
    return { sagaId, type: def.type, businessKey: def.businessKey(recorded.input), status: view?.status ?? ('RUNNING' as const), position, input: recorded.input };
  }

  const accepted = (body: z.ZodType) => ({
    202: { description: 'Started (or, for a repeated Idempotency-Key and body, already started)', body, headers: { Location: 'The saga: /sagas/<sagaId>' } },
  });

  route(
    router,
    {
      method: 'get',
      path: '/sagas/types',
      tag: 'sagas',
      summary: 'The saga types that can be started, with the JSON Schema of their input',
      responses: { 200: { description: 'Registered types, in registration order', body: SagaTypes } },
    },
    (_input, _req, res) => {
      res.json({ types: deps.engine.definitions().map((d) => ({ type: d.type, inputSchema: jsonSchema(d.input, 'input') })) });
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/sagas/:type',
      auth: deps.access.client,
      tag: 'sagas',
      summary: 'Start a saga of a registered type; the body is its input',
      params: TypeParams,
      headers: StartHeaders,
      body: ({ type }) => definition(type).input,
      expand: () => deps.engine.definitions().map((d) => ({ params: { type: d.type }, summary: `Start a ${d.type} saga` })),
      responses: accepted(SagaStarted),
      problems: ['not-found', 'idempotency-key-reused'],
    },
    async ({ params, headers, body }, req, res) => {
      const { input: _, ...started } = await start(definition(params.type), headers['Idempotency-Key'], req.body, body, req, res);
      res.json(started);
    },
  );

  // The order API as it was: an alias of POST /sagas/order-fulfillment that also names the order.
  route(
    router,
    {
      method: 'post',
      path: '/orders',
      auth: deps.access.client,
      tag: 'orders',
      summary: 'Place an order: starts an order-fulfillment saga (POST /sagas/order-fulfillment)',
      headers: StartHeaders,
      body: () => definition('order-fulfillment').input,
      responses: accepted(OrderStarted),
      problems: ['idempotency-key-reused'],
    },
    async ({ headers, body }, req, res) => {
      const { input, ...started } = await start(definition('order-fulfillment'), headers['Idempotency-Key'], req.body, body, req, res);
      res.json({ orderId: (input as { orderId: string }).orderId, ...started });
    },
  );

  return router;
}
