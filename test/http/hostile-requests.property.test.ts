import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { ADMIN_TOKEN, orderBody, startTestApp, type TestApp } from '../support/app';
import { countWrites } from '../support/writes';

/**
 * Black box: generated hostile requests to every route. Each request carries
 * at least one thing its route must refuse (a path parameter that does not
 * decode or cannot be stored, a body that is not UTF-8 JSON, a field no schema
 * accepts, a bad Idempotency-Key, a missing token), plus random noise
 * elsewhere. Whatever the mix: never a 5xx, every refusal is problem+json, the
 * server stays healthy, and nothing at all is written.
 */
let app: TestApp;
beforeAll(async () => {
  // Wrong tokens are among the generated requests: a limit high enough that valid ones still reach validation.
  app = await startTestApp('hostile_prop', { authFailuresPerMinute: 10_000 });
});
afterAll(() => app.close());

type Poison = 'path' | 'transport' | 'field' | 'idempotency-key' | 'auth';
interface Route {
  method: 'GET' | 'POST';
  path: string;
  /** A body the route would accept, for POST routes that read one. */
  body?: Record<string, unknown>;
  /** Needs a credential (the operator's token passes every route). */
  token?: boolean;
  idempotencyKey?: boolean;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/sagas', token: true },
  { method: 'GET', path: '/sagas/:id', token: true },
  { method: 'GET', path: '/orders', token: true },
  { method: 'GET', path: '/orders/:id', token: true },
  { method: 'GET', path: '/inventory' },
  { method: 'GET', path: '/projections' },
  { method: 'GET', path: '/projections/:name/dead-letters', token: true },
  { method: 'GET', path: '/streams/:streamId', token: true },
  { method: 'GET', path: '/events', token: true },
  { method: 'GET', path: '/aggregates/:type/:id', token: true },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/problems/:kind' },
  { method: 'GET', path: '/console/:file' },
  { method: 'POST', path: '/orders', body: orderBody(), token: true, idempotencyKey: true },
  { method: 'POST', path: '/orders/:id/return', body: { reason: 'too big' }, token: true, idempotencyKey: true },
  ...['approve', 'reject', 'cancel', 'retry'].map((a): Route => ({ method: 'POST', path: `/sagas/:id/${a}`, body: { actor: 'op', reason: 'r' }, token: true })),
  { method: 'POST', path: '/sagas/:id/resolve', body: { actor: 'op', reason: 'done by hand' }, token: true },
  { method: 'POST', path: '/sagas/:id/fork', body: { fromStep: 'placeOrder', actor: 'op' }, token: true, idempotencyKey: true },
  { method: 'POST', path: '/inventory/:sku/stock', body: { quantity: 5 }, token: true },
  { method: 'POST', path: '/projections/:name/rebuild', token: true },
  { method: 'POST', path: '/projections/:name/dead-letters/:position/replay', token: true },
];

/** Path segments no route may accept: they do not decode, cannot be stored, or are too long. */
const poisonSegment = fc.oneof(
  fc.constantFrom('%', '%%', '%ff%fe', '%00', 'a%00b', '%E0%A4%A', '%zz', '%2', '%ED%A0%80', '%C0%80'),
  fc.string({ minLength: 0, maxLength: 5 }).map((s) => `${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}%00`),
  fc.integer({ min: 300, max: 2000 }).map((n) => 'x'.repeat(n)),
);
/** Harmless-looking segments, for the parameters that are not the poisoned one. */
const plainSegment = fc.oneof(
  fc.constantFrom('order', 'inventory', 'payment', 'order-summary', 'saga-overview', 'index.html', 'x', '0', '1'),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
);

/** Values no schema field accepts: unstorable strings, wrong types, numbers out of every range. */
const poisonValue = fc.oneof(
  fc.string().map((s) => `${s}\u0000`),
  fc.string().map((s) => `\ud800${s}`),
  fc.string().map((s) => `${s}\udfff`),
  fc.constantFrom(null, true, false, [], {}, [[[]]], -1, 0.5, 2 ** 60, -(2 ** 60), 1e300),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }).map((d) => ({ ...d, nested: '\u0000' })),
);

type Transport = { headers: Record<string, string>; body: Buffer };
const transportPoison = (json: string): fc.Arbitrary<Transport> =>
  fc.oneof(
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '').map((type) => ({
      headers: (type ? { 'content-type': type } : {}) as Record<string, string>,
      body: Buffer.from(json),
    })),
    fc.constantFrom('latin1', 'iso-8859-1', 'ascii', 'utf-7', 'x-unknown').map((charset) => ({
      headers: { 'content-type': `application/json; charset=${charset}` },
      body: Buffer.from(json),
    })),
    fc.constantFrom('compress', 'x-zip', 'gzip', 'deflate', 'br', 'gzip, identity').map((encoding) => ({
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body: Buffer.from(`not ${encoding} data at all`),
    })),
    fc.string({ maxLength: 40 }).map((s) => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(`{${s}`) })),
    fc.constant({ headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })) }),
    fc.constant({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ pad: 'x'.repeat(400 * 1024) })) }),
  );

/** Replace the value at one path of a JSON value (any depth, arrays included). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }
  return [];
}
function replaceAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}

interface Generated {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const noiseQuery = fc
  .array(
    fc.tuple(
      fc.constantFrom('status', 'limit', 'after', 'waitMs', 'asOf', 'version', 'customerId', 'businessKey', 'type', 'all', 'fromVersion', 'orderId', 'x'),
      fc.oneof(fc.constantFrom('%', '%00', '-1', '0', '1e9', 'DONE', 'COMPLETED', 'true', '1:2', 'yesterday', '%ff'), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/)),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

function applicable(route: Route): Poison[] {
  const kinds: Poison[] = [];
  if (route.path.includes(':')) kinds.push('path');
  if (route.method === 'POST') kinds.push('transport');
  if (route.body) kinds.push('field');
  if (route.idempotencyKey) kinds.push('idempotency-key');
  if (route.token) kinds.push('auth');
  return kinds.length ? kinds : ['transport'];
}

const hostileRequest: fc.Arbitrary<Generated> = fc.constantFrom(...ROUTES).chain((route) =>
  fc
    .record({
      poison: fc.constantFrom(...applicable(route)),
      segments: fc.array(plainSegment, { minLength: 3, maxLength: 3 }),
      poisonedSegment: poisonSegment,
      poisonIndex: fc.nat(),
      fieldPath: route.body ? fc.constantFrom(...paths(route.body)) : fc.constant([] as (string | number)[]),
      value: poisonValue,
      transport: transportPoison(JSON.stringify(route.body ?? {})),
      badKey: fc.constantFrom('has spaces', 'x'.repeat(129), 'ü', 'a/b', '%00'),
      withToken: fc.boolean(),
      query: noiseQuery,
    })
    .map((g) => {
      let i = 0;
      const params = route.path.split('/').filter((p) => p.startsWith(':'));
      const target = params.length ? g.poisonIndex % params.length : -1;
      const path = route.path.replace(/:[a-zA-Z]+/g, () => {
        const n = i++;
        return g.poison === 'path' && n === target ? g.poisonedSegment : g.segments[n % 3];
      });
      const headers: Record<string, string> = {};
      if (route.token && (g.poison !== 'auth' ? g.withToken : false)) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
      if (route.token && g.poison === 'auth' && g.withToken) headers.authorization = 'Bearer wrong-token';
      if (route.idempotencyKey && g.poison === 'idempotency-key') headers['idempotency-key'] = g.badKey;
      let body: Buffer | undefined;
      if (route.method === 'POST') {
        if (g.poison === 'transport') {
          Object.assign(headers, g.transport.headers);
          body = g.transport.body;
        } else {
          const json = g.poison === 'field' && route.body ? replaceAt(route.body, g.fieldPath, g.value) : (route.body ?? {});
          headers['content-type'] = 'application/json';
          body = Buffer.from(JSON.stringify(json));
        }
      }
      return { method: route.method, path: path + g.query, headers, body };
    }),
);

function send(r: Generated): Promise<{ status: number; type: string | undefined; body: string }> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    // The server may answer 413 and close before the whole body is sent.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: 413, type: 'application/problem+json', body: '' }) : reject(err)));
    req.end(r.body);
  });
}

test('generated hostile requests: no 5xx, problem+json refusals, a healthy server, nothing written', async () => {
  const before = await countWrites(app.db.pool);
  await fc.assert(
    fc.asyncProperty(hostileRequest, async (r) => {
      const res = await send(r);
      if (res.status >= 500) throw new Error(`${r.method} ${r.path} → ${res.status}: ${res.body}`);
      if (r.method === 'POST') expect(res.status).toBeGreaterThanOrEqual(400);
      if (res.status >= 400) expect(res.type).toContain('application/problem+json');
    }),
    { numRuns: 400 },
  );
  expect((await fetch(`${app.url}/health`)).status).toBe(200);
  expect(await countWrites(app.db.pool)).toEqual(before);
});
