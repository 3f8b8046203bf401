import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/server-process';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { WORKFLOW_VERSION } from '../../src/release';

/** DBOS's own CLI reads dbos-config.yaml: with DATABASE_URL set it needs no other flags. */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('dbos_cli');
});
afterAll(() => app.close());

const dbos = async (...args: string[]) => {
  const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/dbos'), args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: app.testDb.url },
  });
  return JSON.parse(stdout);
};

test('npx dbos workflow list | get | steps show our sagas', async () => {
  await http(app, 'POST', '/inventory/sku-cli/stock', { body: { quantity: 3 }, token: true });
  const res = await http(app, 'POST', '/orders', {
    body: orderBody({ items: [{ sku: 'sku-cli', quantity: 1, unitPrice: 100 }] }),
    headers: { 'idempotency-key': 'cli-saga' },
  });
  await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);

  const list = (await dbos('workflow', 'list')) as { workflowID: string; workflowName: string; status: string }[];
  expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ workflowID: 'cli-saga', workflowName: 'saga.order-fulfillment', status: 'SUCCESS' })]));
  expect(await dbos('workflow', 'get', 'cli-saga')).toMatchObject({ workflowID: 'cli-saga', applicationVersion: WORKFLOW_VERSION });
  const steps = (await dbos('workflow', 'steps', 'cli-saga')) as { name: string }[];
  // A step with a provider call is two DBOS steps (the call, then the transaction); the pivot is entered first.
  expect(steps.map((s) => s.name)).toEqual([
    'placeOrder', 'reserveStock', 'authorizePayment.call', 'authorizePayment', 'bookShipment.call', 'bookShipment',
    'capturePayment.enter', 'capturePayment.call', 'capturePayment', 'confirmOrder',
  ]);
});

test('npm run dbos: the same CLI through the project, and an unknown workflow is said so instead of `undefined`', async () => {
  const npm = (...args: string[]) =>
    run('npm', ['run', '--silent', 'dbos', '--', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: app.testDb.url } });
  const { stdout } = await npm('workflow', 'list');
  expect(Array.isArray(JSON.parse(stdout))).toBe(true);
  await expect(npm('workflow', 'get', 'no-such-saga')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no workflow no-such-saga') });
  // No DATABASE_URL: the embedded server's URL; when nothing runs there, a message at once, not a hang.
  const env: NodeJS.ProcessEnv = { ...process.env, EMBEDDED_PG_PORT: String(await freePort()) };
  delete env.DATABASE_URL;
  await expect(run('npm', ['run', '--silent', 'dbos', '--', 'workflow', 'list'], { cwd: ROOT, env })).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/cannot reach postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/saga: start the service/),
  });
});
