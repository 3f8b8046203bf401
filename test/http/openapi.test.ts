import Ajv2020 from 'ajv/dist/2020';
import type { Express } from 'express';
import { routeSpecsOf } from '../../src/http/openapi';
import { ADMIN_TOKEN, credential, http, orderBody, startTestApp, type TestApp } from '../support/app';

/**
 * The contract: every route registered on the express app is in the OpenAPI
 * document, and answers as it says: each documented operation is called
 * (with good and bad input), its status is one the document lists, and a
 * JSON answer validates against the documented schema (ajv, JSON Schema
 * 2020-12, on the document as served, not on the zod source).
 */
let app: TestApp;
let doc: any;
let ids: { sagaId: string; orderId: string; returnable: string };
const SKU = 'sku-contract';

type Call = { method: string; path: string; body?: unknown; headers?: Record<string, string>; token?: boolean | 'client' };
type Operation = { path: string; method: string; op: any };

beforeAll(async () => {
  app = await startTestApp('openapi');
  await http(app, 'POST', `/inventory/${SKU}/stock`, { body: { quantity: 10 }, token: true });
  const started = await http(app, 'POST', '/sagas/order-fulfillment', {
    body: orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] }),
    headers: { 'idempotency-key': 'contract-1' },
  });
  expect(started.status).toBe(202);
  await app.engine.waitFor('contract-1', ['COMPLETED']);
  const other = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] }) });
  await app.engine.waitFor(other.body.sagaId, ['COMPLETED']);
  ids = { sagaId: 'contract-1', orderId: started.body.businessKey, returnable: other.body.orderId };
  doc = (await http(app, 'GET', '/openapi.json')).body;
});
afterAll(() => app.close());

const operations = (): Operation[] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

/** Requests for each documented operation, good ones and refused ones; a saga type registered later gets its schema's example. */
function callsFor({ path, method }: Operation): Call[] {
  const { sagaId, orderId, returnable } = ids;
  const key = `${method.toUpperCase()} ${path}`;
  const start = /^\/sagas\/([^{}/]+)$/.exec(path);
  if (method === 'post' && start && path !== '/sagas/types') {
    const example = doc.paths[path].post.requestBody.content['application/json'].schema.examples?.[0];
    return [
      { method, path, body: example ?? {} },
      { method, path, body: { ...(example ?? {}), nonsense: undefined, '': 1 }, headers: { 'idempotency-key': 'not valid!' } },
    ];
  }
  const table: Record<string, Call[]> = {
    'GET /health': [{ method, path }],
    'GET /openapi.json': [{ method, path }],
    'GET /sagas/types': [{ method, path }],
    'POST /orders': [
      { method, path, body: orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] }), headers: { 'idempotency-key': 'contract-order' } },
      { method, path, body: orderBody({ customerId: 'someone-else' }), headers: { 'idempotency-key': 'contract-order' } },
      { method, path, body: { ...orderBody(), orderId: 'mine' } },
      { method, path, body: '{"broken' },
    ],
    'POST /orders/{id}/return': [
      { method, path: `/orders/${returnable}/return`, body: { reason: 'too big' } },
      { method, path: '/orders/none/return', body: { reason: 'x' } },
      { method, path: `/orders/${orderId}/return`, body: {} },
    ],
    'GET /sagas/{id}': [{ method, path: `/sagas/${sagaId}` }, { method, path: '/sagas/nobody' }],
    'GET /sagas/{id}/streams': [{ method, path: `/sagas/${sagaId}/streams` }],
    'GET /sagas': [{ method, path: '/sagas?type=order-fulfillment&limit=5' }, { method, path: '/sagas?status=DONE' }],
    'POST /sagas/{id}/approve': [{ method, path: `/sagas/${sagaId}/approve`, token: true }, { method, path: `/sagas/${sagaId}/approve` }],
    'POST /sagas/{id}/reject': [{ method, path: '/sagas/nobody/reject', token: true, body: {} }],
    'POST /sagas/{id}/cancel': [{ method, path: `/sagas/${sagaId}/cancel`, token: true, body: { actor: 'x'.repeat(101) } }],
    'POST /sagas/{id}/retry': [{ method, path: `/sagas/${sagaId}/retry`, token: true }],
    'POST /sagas/{id}/resolve': [{ method, path: `/sagas/${sagaId}/resolve`, token: true, body: {} }],
    'POST /customers/{customerId}/forget': [
      { method, path: '/customers/nobody-we-know/forget', token: true, body: { actor: 'dpo', reason: 'erasure request' } },
      { method, path: '/customers/cust-1/forget', token: true, body: {} },
    ],
    'POST /sagas/{id}/signals/{name}': [
      { method, path: `/sagas/${sagaId}/signals/go`, token: true, body: { payload: { any: 'json' } } },
      { method, path: '/sagas/nobody/signals/go', token: true, body: {} },
      { method, path: `/sagas/${sagaId}/signals/a%20b`, token: true, body: {} },
    ],
    'POST /sagas/{id}/fork': [
      { method, path: `/sagas/${sagaId}/fork`, token: true, body: { fromStep: 'capturePayment' }, headers: { 'idempotency-key': 'contract-fork' } },
      { method, path: `/sagas/${sagaId}/fork`, token: true, body: { fromStep: 'noSuchStep' } },
    ],
    'GET /streams/{streamId}': [{ method, path: `/streams/order-${orderId}` }, { method, path: '/streams/none-1' }],
    'GET /events': [{ method, path: '/events?limit=3' }, { method, path: '/events?after=12' }],
    'GET /aggregates/{type}/{id}': [{ method, path: `/aggregates/order/${orderId}?version=1` }, { method, path: '/aggregates/customer/x' }],
    'POST /inventory/{sku}/stock': [{ method, path: `/inventory/${SKU}/stock`, token: true, body: { quantity: 1 } }, { method, path: `/inventory/${SKU}/stock`, body: { quantity: 1 } }],
    'GET /orders/{id}': [{ method, path: `/orders/${orderId}` }, { method, path: '/orders/none' }],
    'GET /orders': [{ method, path: '/orders?limit=2' }],
    'GET /inventory': [{ method, path: '/inventory' }],
    'GET /projections': [{ method, path }],
    'GET /consumers': [{ method, path }],
    'GET /consumers/{name}/dead-letters': [{ method, path: '/consumers/order-returns/dead-letters?all=true' }, { method, path: '/consumers/none/dead-letters' }],
    'POST /consumers/{name}/dead-letters/{position}/replay': [{ method, path: '/consumers/order-returns/dead-letters/1/replay', token: true }],
    'POST /consumers/{name}/rebuild': [{ method, path: '/consumers/saga-overview/rebuild', token: true }, { method, path: '/consumers/none/rebuild', token: true }],
    'GET /projections/{name}/dead-letters': [{ method, path: '/projections/saga-overview/dead-letters?all=true' }, { method, path: '/projections/none/dead-letters' }],
    'POST /projections/{name}/dead-letters/{position}/replay': [{ method, path: '/projections/saga-overview/dead-letters/1/replay', token: true }],
    'POST /projections/{name}/rebuild': [{ method, path: '/projections/stock-levels/rebuild', token: true }],
    'GET /metrics': [{ method, path }],
    'GET /fleet': [{ method, path }],
    'GET /problems': [{ method, path }],
    'GET /problems/{kind}': [{ method, path: '/problems/conflict' }, { method, path: '/problems/none' }],
  };
  return table[key] ?? [];
}

async function send(call: Call) {
  const res = await fetch(app.url + call.path, {
    method: call.method.toUpperCase(),
    headers: { 'content-type': 'application/json', ...credential(call.token ?? 'client'), ...call.headers },
    body: call.body === undefined ? undefined : typeof call.body === 'string' ? call.body : JSON.stringify(call.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

/** Inline `#/components/schemas/…` references, so each schema stands alone for ajv. */
function resolve(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolve);
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (ref?.startsWith('#/components/schemas/')) return resolve(doc.components.schemas[ref.slice('#/components/schemas/'.length)]);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolve(v)]));
}

test('every route registered on the app is documented, and every documented operation exists', () => {
  const express = app.server!.listeners('request')[0] as unknown as Express;
  const routes = routeSpecsOf(express.router);
  const documented = new Set(operations().map((o) => `${o.method} ${o.path}`));
  const types = app.engine.definitions().map((d) => d.type);
  expect(types).toEqual(expect.arrayContaining(['order-fulfillment', 'order-return']));
  for (const { path, methods, spec } of routes) {
    expect([path, spec !== undefined]).toEqual([path, true]);
    for (const method of methods) {
      const paths = path === '/sagas/:type' ? types.map((t) => `/sagas/${t}`) : [path.replace(/:(\w+)/g, '{$1}')];
      for (const p of paths) expect([`${method} ${p}`, documented.has(`${method} ${p}`)]).toEqual([`${method} ${p}`, true]);
    }
  }
  expect(doc.openapi).toBe('3.1.0');
});

test('every documented operation answers as documented: status listed, body valid against its schema', async () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const untested: string[] = [];
  const seen = new Set<string>();
  for (const operation of operations()) {
    const calls = callsFor(operation);
    if (!calls.length) untested.push(`${operation.method} ${operation.path}`);
    for (const call of calls) {
      const res = await send(call);
      const label = `${call.method} ${call.path} → ${res.status}`;
      const documented = operation.op.responses[String(res.status)];
      expect([label, documented !== undefined]).toEqual([label, true]);
      seen.add(`${operation.method} ${operation.path} ${res.status}`);
      const type = (res.headers.get('content-type') ?? '').split(';')[0];
      const media = documented.content?.[type];
      expect([label, type, media !== undefined]).toEqual([label, type, true]);
      if (!type.endsWith('json')) continue;
      const validate = ajv.compile(resolve(media.schema) as object);
      const valid = validate(res.body);
      expect([label, valid ? [] : validate.errors]).toEqual([label, []]);
    }
  }
  expect(untested).toEqual([]);
  // The table reaches successes, not only refusals, of the main operations.
  for (const ok of ['post /sagas/order-fulfillment 202', 'post /orders 202', 'post /orders 409', 'get /sagas/{id} 200', 'post /sagas/{id}/fork 202', 'post /orders/{id}/return 202']) {
    expect([ok, seen.has(ok)]).toEqual([ok, true]);
  }
}, 60_000);

test('GET /sagas/types lists each registered type with its input JSON Schema, as sent (defaults, generated fields marked)', async () => {
  const { body } = await http(app, 'GET', '/sagas/types');
  const order = body.types.find((t: { type: string }) => t.type === 'order-fulfillment');
  expect(order.inputSchema).toMatchObject({
    type: 'object',
    required: expect.arrayContaining(['customerId', 'currency', 'items', 'payment', 'shippingAddress']),
    properties: { orderId: { readOnly: true }, items: { type: 'array', minItems: 1 } },
  });
  expect(order.inputSchema.required).not.toContain('orderId');
  expect(order.inputSchema.examples[0]).toMatchObject({ currency: 'EUR' });
});
