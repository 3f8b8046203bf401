import { startApp, type App, type StartOptions } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/log';
import { createTestDatabase, type TestDatabase } from './db';

export const ADMIN_TOKEN = 'test-admin-token';
export const CLIENT_TOKEN = 'test-client-token';

export interface TestApp extends App {
  url: string;
  testDb: TestDatabase;
  close(): Promise<void>;
}

/**
 * The whole service in this process (real Postgres, real DBOS), on a fresh database and a free port.
 * Give `log` to read what the service logs (silent by default; TEST_LOG_LEVEL shows it).
 */
export async function startTestApp(
  label: string,
  overrides: Partial<Config> = {},
  log: Logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  options: StartOptions = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase(label);
  const config: Config = {
    ...loadConfig({}),
    databaseUrl: testDb.url,
    port: 0,
    adminToken: ADMIN_TOKEN,
    clientToken: CLIENT_TOKEN,
    executorId: `test-${label}-${process.pid}`,
    logLevel: 'warn',
    stepRetryBaseMs: 10,
    recoveryRounds: 2,
    recoveryRoundDelayMs: 100,
    ...overrides,
  };
  const app = await startApp(config, log, options);
  const address = app.server!.address() as { port: number };
  return Object.assign(app, {
    url: `http://127.0.0.1:${address.port}`,
    testDb,
    async close() {
      await app.stop();
      await testDb.drop();
    },
  });
}

/** Who calls: a client (the default: starts sagas, reads), the operator (`true`), or nobody (`false`, no credential). */
export type Caller = 'client' | 'operator' | boolean;

/** The Authorization header a caller sends. */
export function credential(caller: Caller = 'client'): Record<string, string> {
  if (caller === false) return {};
  return { authorization: `Bearer ${caller === 'client' ? CLIENT_TOKEN : ADMIN_TOKEN}` };
}

export async function http(app: TestApp, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; token?: Caller } = {}) {
  const res = await fetch(app.url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...credential(options.token),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export const orderBody = (overrides: Record<string, unknown> = {}) => ({
  customerId: 'cust-1',
  currency: 'EUR',
  items: [{ sku: 'sku-a', quantity: 2, unitPrice: 150 }],
  payment: { token: 'tok_visa' },
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  ...overrides,
});
