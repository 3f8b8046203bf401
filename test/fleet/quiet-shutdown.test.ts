import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/server-process';
import { ADMIN_TOKEN, CLIENT_TOKEN, credential, orderBody } from '../support/app';
import { createTestDatabase } from '../support/db';

/**
 * A normal shutdown is quiet. SIGTERM to `npm start` while sagas are in the
 * middle of their steps and outlast the grace period: they stop at their last
 * checkpoint (the next process resumes them), and the output has no line at
 * error level and nothing about a connection cut under a client still using
 * it ("Unexpected error … terminating connection"), with the embedded
 * PostgreSQL (which the process stops last) and with DATABASE_URL.
 */
const ROOT = path.resolve(__dirname, '../..');
const SKU = 'sku-quiet';

async function shutDownMidSaga(env: NodeJS.ProcessEnv): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), ADMIN_TOKEN, CLIENT_TOKEN, LOG_LEVEL: 'info', SAGA_STEP_DELAY_MS: '150', SHUTDOWN_GRACE_MS: '300' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (d) => (output += d));
  npm.stderr.on('data', (d) => (output += d));
  const closed = new Promise<void>((resolve) => npm.on('close', () => resolve()));
  const api = async (method: string, route: string, body?: unknown, headers: Record<string, string> = credential()) => {
    const res = await fetch(url + route, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  try {
    for (const end = Date.now() + 60_000; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); ) {
      if (Date.now() > end) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await api('POST', `/inventory/${SKU}/stock`, { quantity: 100 }, credential(true))).status).toBe(200);
    const sagaIds: string[] = [];
    for (let i = 0; i < 10; i++) sagaIds.push((await api('POST', '/orders', orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] }))).body.sagaId);
    // Caught in the middle: a saga has taken steps and has more to take (each waits 150 ms; there are ten).
    for (const end = Date.now() + 20_000; ; ) {
      const saga = (await api('GET', `/sagas/${sagaIds[sagaIds.length - 1]}`)).body;
      if (saga.status === 'RUNNING' && saga.steps.length >= 1) break;
      if (Date.now() > end) throw new Error(`no saga in flight: ${JSON.stringify(saga)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    npm.kill('SIGTERM');
    await closed;
    return output;
  } finally {
    npm.kill('SIGKILL');
  }
}

/** Lines at error level or worse (pino: 50+) and lines about connections cut under a client. */
function noise(output: string): string[] {
  return output.split('\n').filter((line) => {
    const level = /^\{.*"level":(\d+)/.exec(line)?.[1];
    return (level !== undefined && Number(level) >= 50) || /Unexpected error|terminating connection/i.test(line);
  });
}

test('with the embedded PostgreSQL: SIGTERM mid-saga is quiet', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'quiet-shutdown-'));
  chmodSync(dir, 0o755); // reachable by the postgres user when the test runs as root
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_PG_PORT: String(await freePort()), EMBEDDED_PG_DATA_DIR: path.join(dir, 'pg') };
    delete env.DATABASE_URL;
    const output = await shutDownMidSaga(env);
    // The scenario happened: sagas were still running when the grace period ended.
    expect(output).toMatch(/Shutting down while \d+ workflows? (is|are) still running/);
    expect(noise(output)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('with DATABASE_URL: SIGTERM mid-saga is quiet', async () => {
  const db = await createTestDatabase('quiet_shutdown');
  try {
    const output = await shutDownMidSaga({ ...process.env, DATABASE_URL: db.url });
    expect(output).toMatch(/Shutting down while \d+ workflows? (is|are) still running/);
    expect(noise(output)).toEqual([]);
  } finally {
    await db.drop();
  }
}, 120_000);
