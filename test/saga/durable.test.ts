import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { assertDurableApi, dbosDurable } from '../../src/saga/durable';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The engine's one-transaction step rests on an internal DBOS API
 * (runTransactionalInternalStep). These tests pin down what the engine relies
 * on, so a DBOS upgrade that changes it fails here, loudly, and not in
 * production: the work and the checkpoint commit together; a replay returns
 * the checkpoint without running the work; an error rolls the work back.
 */
let db: TestDatabase;
const ran: string[] = [];

const inTransaction = DBOS.registerWorkflow(
  async (id: string, fail: boolean) =>
    dbosDurable.transaction('write', async (client) => {
      ran.push(id);
      await client.query('INSERT INTO durable_probe (id) VALUES ($1)', [id]);
      if (fail) throw Object.assign(new Error('refused'), { code: 'REFUSED' });
      const { rows } = await client.query<{ txid: string }>('SELECT pg_current_xact_id()::text AS txid');
      return { value: { txid: rows[0].txid }, afterCommit: () => ran.push(`${id}:committed`) };
    }),
  { name: 'durable-probe' },
);

beforeAll(async () => {
  db = await createTestDatabase('durable');
  await db.pool.query('CREATE TABLE durable_probe (id text PRIMARY KEY)');
  DBOS.setConfig({ name: 'durable-probe', systemDatabaseUrl: db.url, applicationVersion: 'durable-test', logLevel: 'error' });
  await DBOS.launch();
});
afterAll(async () => {
  await DBOS.shutdown();
  await db.drop();
});

test('the pinned DBOS version still has the internal API', () => {
  expect(() => assertDurableApi()).not.toThrow();
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { dependencies: Record<string, string> };
  // An exact version: an upgrade is a deliberate change that reruns this file.
  expect(pkg.dependencies['@dbos-inc/dbos-sdk']).toMatch(/^\d+\.\d+\.\d+$/);
});

test('the work and the checkpoint commit in one transaction; a replay does not run the work again', async () => {
  const { txid } = await inTransaction('w1', false);
  expect(ran).toEqual(['w1', 'w1:committed']);
  // The checkpoint row was written by the transaction that wrote our row.
  const { rows } = await db.pool.query<{ ours: string; theirs: string }>(
    `SELECT (SELECT xmin::text FROM durable_probe WHERE id = 'w1') AS ours,
            (SELECT xmin::text FROM dbos.operation_outputs WHERE workflow_uuid = $1 AND function_name = 'write') AS theirs`,
    [(await DBOS.listWorkflows({ workflowName: 'durable-probe' }))[0].workflowID],
  );
  expect(rows[0].ours).toBe(rows[0].theirs);
  expect(BigInt(txid) % 2n ** 32n).toBe(BigInt(rows[0].ours));

  // Running the same workflow id again replays the checkpoint: the work does not run.
  const handle = await DBOS.startWorkflow(inTransaction, { workflowID: 'replay-me' })('w2', false);
  await handle.getResult();
  ran.length = 0;
  // A fork after the step copies its checkpoint: the new run replays it instead of running the work.
  const [write] = (await DBOS.listWorkflowSteps('replay-me'))!;
  const replayed = await DBOS.forkWorkflow('replay-me', write.functionID + 1, { newWorkflowID: 'replayed' });
  expect(await replayed.getResult()).toEqual(await handle.getResult());
  expect(ran).toEqual([]);
});

test('an error in the work rolls it back and is recorded as the step\'s outcome', async () => {
  ran.length = 0;
  await expect(DBOS.startWorkflow(inTransaction, { workflowID: 'fails' })('w3', true).then((h) => h.getResult())).rejects.toMatchObject({ message: 'refused' });
  expect(ran).toEqual(['w3']);
  expect((await db.pool.query("SELECT 1 FROM durable_probe WHERE id = 'w3'")).rowCount).toBe(0);
  const steps = await DBOS.listWorkflowSteps('fails');
  expect(steps?.map((s) => [s.name, (s.error as Error | undefined)?.message])).toEqual([['write', 'refused']]);
});
