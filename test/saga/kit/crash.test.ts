import { sagaEnd } from '../../../scripts/invariants';
import { freePort, startServer, type ServerProcess } from '../../../scripts/server-process';
import { ADMIN_TOKEN } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/db';
import { until } from '../../support/until';
import { ToyWorld, type Op } from './toys';

/**
 * SIGKILL the real server (test/saga/kit/toy-server.ts: the service with the
 * toy saga) while parallel branches or a child saga are in flight, start it
 * again with the same executor id, and check against the toy provider's own
 * tables that every saga ended where it should, each effect made once and
 * every effect of a compensated saga undone.
 */
let db: TestDatabase;
let world: ToyWorld;
let port: number;
let server: ServerProcess | undefined;

const env = () => ({
  DATABASE_URL: db.url,
  PORT: String(port),
  DBOS_EXECUTOR_ID: 'toy-crash-executor',
  ADMIN_TOKEN,
  STEP_RETRY_BASE_MS: '10',
  MAX_RECOVERY_ATTEMPTS: '1000',
});
const boot = () => startServer(env(), 'toy-crash', 'test/saga/kit/toy-server.ts');

beforeAll(async () => {
  db = await createTestDatabase('toy_crash');
  world = new ToyWorld(db.pool);
  await world.install();
  port = await freePort();
});
afterAll(async () => {
  await server?.kill();
  await db.drop();
});

async function start(id: string, script: Op[]): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/sagas/toy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, 'idempotency-key': id },
    body: JSON.stringify({ id, script }),
  });
  expect(res.status).toBe(202);
}

/** How the saga ended, once it has (from its stream: the server may be down). */
const ended = (sagaId: string) => until(`saga ${sagaId} to end`, () => sagaEnd(db.pool, sagaId), 60_000);

const calls = async (sagaId: string, action: string) => (await world.calls(sagaId)).filter((c) => c === `${sagaId}:${action}`).length;

async function stepEvents(sagaId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ type: string; step: string }>(
    `SELECT type, data->>'step' AS step FROM events WHERE stream_id = $1 AND type IN ('StepSucceeded', 'StepFailed', 'CompensationSucceeded') ORDER BY stream_position`,
    [`saga-${sagaId}`],
  );
  return rows.map((r) => `${r.type}:${r.step}`);
}

test('SIGKILL while three branches are in flight: after the restart each branch is recorded once and the saga completes', async () => {
  server = await boot();
  const id = 'crash-par-ok';
  await start(id, [{ step: 'a' }, { parallel: 'trio', branches: { x: { delayMs: 1500 }, y: { delayMs: 1500 }, z: { delayMs: 1500 } } }, { step: 'b' }]);
  await until('the three branches to be called', async () => (await calls(id, 'x')) + (await calls(id, 'y')) + (await calls(id, 'z')) === 3, 30_000);
  await server.kill();
  server = await boot();
  expect(await ended(id)).toBe('COMPLETED');
  expect((await world.effects(id)).sort()).toEqual(['a', 'b', 'x', 'y', 'z']);
  expect(await stepEvents(id)).toEqual(['StepSucceeded:a', 'StepSucceeded:x', 'StepSucceeded:y', 'StepSucceeded:z', 'StepSucceeded:b']);
});

test('SIGKILL while branches are in flight and one of them fails: after the restart the others are undone, once', async () => {
  const id = 'crash-par-fail';
  await start(id, [{ step: 'a' }, { parallel: 'trio', branches: { x: { delayMs: 200 }, y: { delayMs: 1500 }, z: { delayMs: 600, fail: 'business' } } }]);
  await until('z to be called and x done', async () => (await calls(id, 'z')) === 1 && (await world.effects(id)).includes('x'), 30_000);
  await server!.kill();
  server = await boot();
  expect(await ended(id)).toBe('COMPENSATED');
  const effects = await world.effects(id);
  // Every effect made was undone, each once (the toy provider keys effects by idempotency key).
  // y was in flight: its effect died with the process; after the restart y makes its call again.
  for (const done of effects.filter((e) => !e.startsWith('undo-'))) expect(effects).toContain(`undo-${done}`);
  expect(effects.filter((e) => e.startsWith('undo-')).sort()).toEqual(['undo-a', 'undo-x', 'undo-y']);
  expect((await stepEvents(id)).filter((e) => e.startsWith('Step'))).toEqual(['StepSucceeded:a', 'StepSucceeded:x', 'StepSucceeded:y', 'StepFailed:z']);
});

test('SIGKILL while a child saga runs, and again while the parent compensates it: both end compensated, every effect undone once', async () => {
  const id = 'crash-child';
  const childId = `${id}.kid`;
  await start(id, [{ step: 'a' }, { child: 'kid', script: [{ step: 'k1' }, { step: 'k2', delayMs: 1500 }] }, { step: 'b', delayMs: 1500, fail: 'business' }]);
  await until('the child to call k2', async () => (await calls(childId, 'k2')) === 1, 30_000);
  await server!.kill();
  server = await boot();
  await until('the parent to call b', async () => (await calls(id, 'b')) >= 1, 30_000);
  await server.kill();
  server = await boot();
  expect(await ended(id)).toBe('COMPENSATED');
  expect(await ended(childId)).toBe('COMPENSATED');
  expect(await world.effects(childId)).toEqual(['k1', 'k2', 'undo-k2', 'undo-k1']);
  expect(await world.effects(id)).toEqual(['a', 'undo-a']);
  expect(await stepEvents(childId)).toEqual(['StepSucceeded:k1', 'StepSucceeded:k2', 'CompensationSucceeded:k2', 'CompensationSucceeded:k1']);
});
