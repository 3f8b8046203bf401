import { loadConfig } from '../../src/config';
import { ADMIN_TOKEN, http, startTestApp, type TestApp } from '../support/app';

/** What a security review meets first: where we listen, headers, CORS, 401s and guessing. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('access', { authFailuresPerMinute: 3, corsOrigins: ['https://ops.example'] });
});
afterAll(() => app.close());

test('HTTP listens on the loopback interface unless HOST says otherwise', () => {
  expect(loadConfig({}).host).toBe('127.0.0.1');
  expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  expect((app.server!.address() as { address: string }).address).toBe('127.0.0.1');
});

test('every response carries nosniff and a Referrer-Policy, errors and the console included', async () => {
  for (const path of ['/health', '/sagas', '/nowhere', '/console/', '/metrics']) {
    const res = await fetch(app.url + path);
    expect([path, res.headers.get('x-content-type-options'), res.headers.get('referrer-policy')]).toEqual([path, 'nosniff', 'no-referrer']);
  }
});

test('CORS is closed except for configured origins', async () => {
  const preflight = (origin: string) =>
    fetch(`${app.url}/sagas/x/approve`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
  expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  expect((await fetch(`${app.url}/sagas`, { headers: { origin: 'https://evil.example' } })).headers.get('access-control-allow-origin')).toBeNull();
  const allowed = await preflight('https://ops.example');
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ops.example');
});

test('a 401 says which scheme it wants; wrong tokens from one address are rate-limited with 429 and Retry-After', async () => {
  const none = await http(app, 'POST', '/sagas/x/approve', { body: {}, token: false });
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  const wrong = () => http(app, 'POST', '/sagas/x/approve', { body: {}, headers: { authorization: 'Bearer guess' } });
  for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401);
  const limited = await wrong();
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(limited.body).toMatchObject({ type: '/problems/too-many-requests', status: 429 });
  // Even the right token waits: the address is blocked, not the guess.
  const right = await http(app, 'POST', '/inventory/x/stock', { body: { quantity: 1 }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(right.status).toBe(429);
});
