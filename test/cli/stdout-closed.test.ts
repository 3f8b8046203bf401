import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/server-process';
import { ADMIN_TOKEN, CLIENT_TOKEN, credential, orderBody } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** `npm start | jq …`, and jq exits: the service must not die of EPIPE on its next log line. */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('stdout');
});
afterAll(() => db.drop());

test('the service keeps running when the reader of its output goes away', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), ADMIN_TOKEN, CLIENT_TOKEN, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (const end = Date.now() + 60_000; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); ) {
      if (Date.now() > end || child.exitCode !== null) throw new Error('the server did not come up');
      await new Promise((r) => setTimeout(r, 200));
    }
    // The reader goes away: both pipes are closed on our side.
    child.stdout!.destroy();
    child.stderr!.destroy();
    // Work that logs plenty (a saga's steps), then the service must still answer.
    await fetch(`${url}/inventory/sku-out/stock`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ quantity: 5 }) });
    const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...credential() }, body: JSON.stringify(orderBody({ items: [{ sku: 'sku-out', quantity: 1, unitPrice: 100 }] })) });
    expect(res.status).toBe(202);
    const { sagaId } = (await res.json()) as { sagaId: string };
    let status = '';
    for (const end = Date.now() + 20_000; status !== 'COMPLETED' && Date.now() < end; ) {
      status = ((await fetch(`${url}/sagas/${sagaId}`, { headers: credential() }).then((r) => r.json())) as { status: string }).status;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('COMPLETED');
    expect(child.exitCode).toBeNull();
  } finally {
    child.kill('SIGKILL');
  }
}, 90_000);
