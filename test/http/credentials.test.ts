import type { Server } from 'node:http';
import type express from 'express';
import { loadConfig, type Config } from '../../src/config';
import { accessRuleOf, type AccessRule } from '../../src/http/auth';
import { createHttpApp } from '../../src/http/server';
import { createLogger } from '../../src/log';
import { ADMIN_TOKEN, CLIENT_TOKEN, credential, orderBody, startTestApp, type Caller, type TestApp } from '../support/app';
import { countWrites } from '../support/writes';

/**
 * Which credential each route needs. This table is the specification (the
 * README's "HTTP API" table says the same): every route the server has must
 * be in it, so a new route without a rule fails here.
 */
const RULES: Record<string, AccessRule | 'open'> = {
  'GET /health': 'open',
  'GET /openapi.json': 'open',
  'GET /sagas/types': 'open',
  'POST /sagas/:type': 'client',
  'GET /sagas/:id/streams': 'reader',
  'POST /sagas/:id/signals/:name': 'client',
  'POST /customers/:customerId/forget': 'operator',
  'POST /orders': 'client',
  'POST /orders/:id/return': 'client',
  'GET /sagas/:id': 'reader',
  'GET /sagas': 'reader',
  'POST /sagas/:id/approve': 'operator',
  'POST /sagas/:id/reject': 'operator',
  'POST /sagas/:id/cancel': 'operator',
  'POST /sagas/:id/retry': 'operator',
  'POST /sagas/:id/resolve': 'operator',
  'POST /sagas/:id/fork': 'operator',
  'GET /streams/:streamId': 'reader',
  'GET /events': 'reader',
  'GET /aggregates/:type/:id': 'reader',
  'POST /inventory/:sku/stock': 'operator',
  'GET /orders/:id': 'reader',
  'GET /orders': 'reader',
  // Stock per SKU: no personal data.
  'GET /inventory': 'open',
  'GET /projections': 'open',
  'GET /consumers': 'open',
  'GET /consumers/:name/dead-letters': 'reader',
  'POST /consumers/:name/dead-letters/:position/replay': 'operator',
  'POST /consumers/:name/rebuild': 'operator',
  // Parked events, with their data.
  'GET /projections/:name/dead-letters': 'reader',
  'POST /projections/:name/dead-letters/:position/replay': 'operator',
  'POST /projections/:name/rebuild': 'operator',
  'GET /metrics': 'open',
  'GET /fleet': 'open',
  'GET /problems': 'open',
  'GET /problems/:kind': 'open',
};

const SAMPLE_PARAMS: Record<string, string> = { customerId: 'cust-cred', id: 'cred-x', streamId: 'order-cred-x', type: 'order', sku: 'sku-cred', name: 'stock-levels', position: '1', kind: 'not-found' };
const BODIES: Record<string, unknown> = {
  'POST /orders': orderBody({ items: [{ sku: 'sku-cred', quantity: 1, unitPrice: 100 }] }),
  'POST /orders/:id/return': { reason: 'too big' },
  'POST /sagas/:id/resolve': { actor: 'op', reason: 'done by hand' },
  'POST /sagas/:id/fork': { fromStep: 'placeOrder', actor: 'op' },
  'POST /inventory/:sku/stock': { quantity: 1 },
};

const REFUSALS = [401, 403, 429];

interface RouteInfo {
  route: string;
  rule: AccessRule | 'open';
}

/** Every route of the express app with the access rule among its handlers (none: open). */
function routesOf(app: express.Express): RouteInfo[] {
  const found: RouteInfo[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const rule = layer.route.stack.map((l) => accessRuleOf(l.handle)).find(Boolean) ?? 'open';
        for (const method of Object.keys(layer.route.methods)) found.push({ route: `${method.toUpperCase()} ${layer.route.path}`, rule });
      } else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  walk((app.router as unknown as { stack: Layer[] }).stack);
  return found;
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('credentials');
});
afterAll(() => app.close());

/** The HTTP layer of the running service with another configuration (DBOS runs once per process, so no second service). */
function httpAppWith(config: Partial<Config>): express.Express {
  const { store, handler, engine, metrics, consumers, fleet } = app;
  return createHttpApp({ config: { ...app.config, ...config }, store, handler, engine, pool: app.db.pool, log: createLogger('silent'), metrics, consumers, fleet, privacy: app.privacy });
}

async function listen(http: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = http.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function call(base: string, route: string, caller: Caller) {
  const [method, pattern] = route.split(' ');
  const path = pattern.replace(/:(\w+)/g, (_, name: string) => SAMPLE_PARAMS[name]);
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...credential(caller) },
    body: method === 'POST' ? JSON.stringify(BODIES[route] ?? { actor: 'op', reason: 'r' }) : undefined,
  });
  const text = await res.text();
  return { route, status: res.status, challenge: res.headers.get('www-authenticate'), body: text.startsWith('{') ? JSON.parse(text) : text };
}

test('every route has a rule, and the rules are the ones the README documents', () => {
  const routes = routesOf(httpAppWith({}));
  expect(Object.fromEntries(routes.map((r) => [r.route, r.rule]))).toEqual(RULES);
});

test('refused: no token anywhere but the open routes (401 with a Bearer challenge), a client token on operator routes (403); nothing written', async () => {
  const before = await countWrites(app.db.pool);
  for (const [route, rule] of Object.entries(RULES)) {
    const anonymous = await call(app.url, route, false);
    if (rule === 'open') {
      expect({ route, refused: REFUSALS.includes(anonymous.status) }).toEqual({ route, refused: false });
      continue;
    }
    expect({ route, status: anonymous.status, challenge: anonymous.challenge, type: anonymous.body.type }).toEqual({
      route,
      status: 401,
      challenge: expect.stringMatching(/^Bearer realm=/),
      type: '/problems/unauthorized',
    });
    if (rule === 'operator') {
      const client = await call(app.url, route, 'client');
      expect({ route, status: client.status, challenge: client.challenge, type: client.body.type }).toEqual({
        route,
        status: 403,
        challenge: expect.stringContaining('error="insufficient_scope"'),
        type: '/problems/forbidden',
      });
    }
  }
  expect(await countWrites(app.db.pool)).toEqual(before);
  // The console's files are open too: it asks for a token only when the API does.
  expect((await fetch(`${app.url}/console/`)).status).toBe(200);
});

test('accepted: the client token on client and read routes, the operator token everywhere', async () => {
  for (const [route, rule] of Object.entries(RULES)) {
    const callers: Caller[] = rule === 'operator' ? ['operator'] : ['client', 'operator'];
    for (const caller of callers) {
      const res = await call(app.url, route, caller);
      expect({ route, caller, status: res.status, refused: REFUSALS.includes(res.status) }).toEqual({ route, caller, status: res.status, refused: false });
    }
  }
  // Not only "not refused": the client really started a saga and reads it back.
  const started = await call(app.url, 'POST /orders', 'client');
  expect(started.status).toBe(202);
  const read = await fetch(`${app.url}/sagas/${started.body.sagaId}`, { headers: credential('client') });
  expect(read.status).toBe(200);
});

test('without CLIENT_TOKEN, client and read routes say so and take only the operator token; with no token at all, everything but the open routes is refused', async () => {
  const noClient = await listen(httpAppWith({ clientToken: undefined }));
  try {
    const refused = await call(noClient.url, 'POST /orders', 'client');
    expect(refused).toMatchObject({ status: 401, challenge: expect.stringMatching(/^Bearer /), body: { detail: expect.stringContaining('CLIENT_TOKEN is not configured') } });
    expect((await call(noClient.url, 'GET /sagas', false)).body.detail).toContain('CLIENT_TOKEN is not configured');
    expect((await call(noClient.url, 'GET /sagas', 'operator')).status).toBe(200);
  } finally {
    await noClient.close();
  }
  const none = await listen(httpAppWith({ clientToken: undefined, adminToken: undefined }));
  try {
    for (const [route, caller] of [['POST /orders', 'client'], ['GET /sagas/:id', 'operator'], ['POST /sagas/:id/approve', 'operator']] as const) {
      const res = await call(none.url, route, caller);
      expect({ route, status: res.status, detail: res.body.detail }).toEqual({ route, status: 401, detail: expect.stringMatching(/disabled: .*(ADMIN_TOKEN is not configured|neither CLIENT_TOKEN nor ADMIN_TOKEN is configured)/) });
    }
    expect((await call(none.url, 'GET /fleet', false)).status).toBe(200);
  } finally {
    await none.close();
  }
});

test('CLIENT_TOKEN is read from the environment and may not equal ADMIN_TOKEN', () => {
  expect(loadConfig({ CLIENT_TOKEN: CLIENT_TOKEN, ADMIN_TOKEN }).clientToken).toBe(CLIENT_TOKEN);
  expect(loadConfig({}).clientToken).toBeUndefined();
  expect(() => loadConfig({ CLIENT_TOKEN: 'same', ADMIN_TOKEN: 'same' })).toThrow(/CLIENT_TOKEN: must differ from ADMIN_TOKEN/);
});
