import { DBOS } from '@dbos-inc/dbos-sdk';
import { http, startTestApp, type TestApp } from '../../support/app';
import { createLogger } from '../../../src/log';
import type { SagaStatus } from '../../../src/saga/state';
import { until } from '../../support/until';
import { toySagas, ToyWorld, type Op } from './toys';

/**
 * The engine's behaviours on toy sagas (test/saga/kit/toys.ts), on the real
 * engine, DBOS and Postgres. Retries back off from 200 ms so that a sibling's
 * failure reaches a retrying branch before its second attempt.
 */
let app: TestApp;
let world: ToyWorld;
let n = 0;
const ENDED: SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'FAILED', 'COMPENSATION_STUCK'];

beforeAll(async () => {
  app = await startTestApp('toy-engine', { stepRetryBaseMs: 200, stepMaxAttempts: 4 }, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), { sagas: toySagas });
  world = new ToyWorld(app.db.pool);
  await world.install();
});
afterAll(() => app.close());

async function start(script: Op[], options: { deadlineSeconds?: number } = {}): Promise<string> {
  const id = `toy-${++n}`;
  await app.engine.start('toy', id, { id, script }, options);
  return id;
}

async function run(script: Op[], statuses: SagaStatus[] = ENDED) {
  const id = await start(script);
  const view = await app.engine.waitFor(id, statuses);
  return { id, view, effects: await world.effects(id), events: await app.store.readStream(`saga-${id}`) };
}

describe('sequential steps', () => {
  test('run in order, each effect once; the saga completes with its output', async () => {
    const { view, effects } = await run([{ step: 'a' }, { step: 'b' }, { step: 'c' }]);
    expect(view.status).toBe('COMPLETED');
    expect(effects).toEqual(['a', 'b', 'c']);
    expect(view.steps.map((s) => [s.name, s.status])).toEqual([['a', 'succeeded'], ['b', 'succeeded'], ['c', 'succeeded']]);
  });

  test('a business failure compensates the steps before it, latest first; its own undo finds nothing to undo', async () => {
    const { id, view, effects } = await run([{ step: 'a' }, { step: 'b' }, { step: 'c', fail: 'business' }, { step: 'd' }]);
    expect(view.status).toBe('COMPENSATED');
    expect(effects).toEqual(['a', 'b', 'undo-b', 'undo-a']);
    expect(await world.calls(id)).toEqual([`${id}:a`, `${id}:b`, `${id}:c`, `${id}:undo-c`, `${id}:undo-b`, `${id}:undo-a`]);
    expect(view.compensations.find((c) => c.step === 'c')).toMatchObject({ status: 'succeeded', nothingToUndo: true });
  });

  test('a transient failure is retried until it works; one that persists compensates', async () => {
    const flaky = await run([{ step: 'a', fail: 'flaky' }]);
    expect(flaky.view.status).toBe('COMPLETED');
    expect(flaky.view.steps[0].attempts).toBe(3);
    const down = await run([{ step: 'a' }, { step: 'b', fail: 'transient' }]);
    expect(down.view.status).toBe('COMPENSATED');
    expect(down.view.steps[1]).toMatchObject({ name: 'b', status: 'failed', attempts: 4 });
    expect(down.effects).toEqual(['a', 'undo-a']);
  });

  test('past the pivot a failure only goes forward: FAILED for an operator, and a cancel is refused', async () => {
    const { id, view, effects } = await run([{ step: 'a' }, { step: 'p', pivot: true }, { step: 'b', fail: 'transient' }], ['FAILED']);
    expect(view.failure?.step).toBe('b');
    expect(effects).toEqual(['a', 'p']);
    const cancel = await http(app, 'POST', `/sagas/${id}/cancel`, { token: true, body: { actor: 'op' } });
    expect(cancel.status).toBe(409);
  });

  test('an undo that keeps failing parks the saga as COMPENSATION_STUCK; resolve finishes it', async () => {
    const { id } = await run([{ step: 'a', undo: 'fails' }, { step: 'b', fail: 'business' }], ['COMPENSATION_STUCK']);
    await http(app, 'POST', `/sagas/${id}/resolve`, { token: true, body: { actor: 'op', reason: 'undone by hand' } });
    const view = await app.engine.waitFor(id, ['COMPENSATED']);
    expect(view.compensations.find((c) => c.step === 'a')).toMatchObject({ status: 'resolved' });
  });
});

describe('operators and time', () => {
  test('a cancel while the saga waits ends the wait and compensates', async () => {
    const id = await start([{ step: 'a' }, { signal: 'go', timeoutSeconds: 60 }, { step: 'b' }]);
    await app.engine.waitFor(id, ['RUNNING']);
    await until('the saga to wait for go', async () => (await app.engine.view(id))?.waiting?.signal === 'go', 15_000);
    expect((await http(app, 'POST', `/sagas/${id}/cancel`, { token: true, body: { actor: 'op', reason: 'changed my mind' } })).status).toBe(202);
    const view = await app.engine.waitFor(id, ['COMPENSATED']);
    expect(view.compensationReason).toBe('cancelled by op: changed my mind');
    expect(await world.effects(id)).toEqual(['a', 'undo-a']);
  });

  test('the deadline ends a sleep and compensates', async () => {
    const id = await start([{ step: 'a' }, { sleepMs: 60_000 }, { step: 'b' }], { deadlineSeconds: 1 });
    const view = await app.engine.waitFor(id, ['COMPENSATED'], 20_000);
    expect(view.compensationReason).toMatch(/deadline/);
    expect(await world.effects(id)).toEqual(['a', 'undo-a']);
  });

  test('approval: approved goes on; the approval is on record', async () => {
    const id = await start([{ step: 'a' }, { approval: 60 }, { step: 'b' }]);
    await app.engine.waitFor(id, ['AWAITING_APPROVAL']);
    await http(app, 'POST', `/sagas/${id}/approve`, { token: true, body: { actor: 'dana' } });
    const view = await app.engine.waitFor(id, ['COMPLETED']);
    expect(view.operatorActions.map((a) => a.action)).toEqual(['approve']);
  });

  test('a signal sent before the saga waits for it is kept; its payload is the wait’s result', async () => {
    const id = await start([{ sleepMs: 500 }, { signal: 'go', timeoutSeconds: 30 }]);
    await until('the saga to wait', async () => (await app.engine.view(id))?.waiting !== undefined, 15_000);
    const sent = await http(app, 'POST', `/sagas/${id}/signals/go`, { token: true, body: { actor: 'svc', payload: { seat: '12A' } } });
    expect(sent.status).toBe(202);
    const view = await app.engine.waitFor(id, ['COMPLETED']);
    expect((await sagaOutput(id))).toEqual({ go: { seat: '12A' } });
    expect(view.waiting).toBeUndefined();
  });

  test('a signal that does not come in time: the wait answers nothing and the saga goes on', async () => {
    const id = await start([{ signal: 'go', timeoutSeconds: 0.3 }, { step: 'a' }]);
    await app.engine.waitFor(id, ['COMPLETED']);
    expect(await sagaOutput(id)).toEqual({ go: null, a: { did: 'a' } });
  });

  test('signals are refused for an unknown or ended saga, and validated', async () => {
    expect((await http(app, 'POST', '/sagas/nope/signals/go', { token: true, body: {} })).status).toBe(404);
    const { id } = await run([{ step: 'a' }]);
    expect((await http(app, 'POST', `/sagas/${id}/signals/go`, { token: true, body: {} })).status).toBe(409);
    const bad = await http(app, 'POST', `/sagas/${id}/signals/bad%20name`, { token: true, body: {} });
    expect(bad.status).toBe(400);
  });
});

describe('parallel branches', () => {
  test('run at once; their outputs come back by name, each step recorded with its group', async () => {
    const { id, view, events } = await run([{ step: 'a' }, { parallel: 'trio', branches: { x: { delayMs: 300 }, y: { delayMs: 300 }, z: { delayMs: 300 } } }, { step: 'b' }]);
    expect(view.status).toBe('COMPLETED');
    expect(await sagaOutput(id)).toMatchObject({ x: { did: 'x' }, y: { did: 'y' }, z: { did: 'z' } });
    expect(view.steps.filter((s) => s.group === 'trio').map((s) => s.name)).toEqual(['x', 'y', 'z']);
    expect(events.find((e) => e.type === 'ParallelStarted')?.data).toEqual({ group: 'trio', branches: ['x', 'y', 'z'] });
    // At once: every branch started before any finished.
    const { rows } = await app.db.pool.query<{ action: string; at: Date }>(`SELECT action, at FROM toy_calls WHERE saga_id = $1 AND action IN ('x','y','z')`, [id]);
    const firstEffect = (await app.db.pool.query<{ at: Date }>(`SELECT min(at) AS at FROM toy_effects WHERE saga_id = $1 AND action IN ('x','y','z')`, [id])).rows[0].at;
    expect(rows.every((r) => r.at < firstEffect)).toBe(true);
  });

  test('a business failure of one branch compensates the branches that succeeded, latest completion first, then the steps before', async () => {
    const { id, view } = await run([
      { step: 'a' },
      { parallel: 'trio', branches: { x: { delayMs: 100 }, y: { delayMs: 600 }, z: { delayMs: 300, fail: 'business' } } },
    ]);
    expect(view.status).toBe('COMPENSATED');
    expect(view.compensationReason).toBe('z failed: z refused');
    expect(await world.effects(id)).toEqual(['a', 'x', 'y', 'undo-y', 'undo-x', 'undo-a']);
    expect(view.steps.map((s) => [s.name, s.status, s.group])).toEqual([
      ['a', 'succeeded', undefined],
      ['x', 'succeeded', 'trio'],
      ['y', 'succeeded', 'trio'],
      ['z', 'failed', 'trio'],
    ]);
  });

  test('a branch still retrying when another fails is stopped, and undone like a failed step', async () => {
    const { id, view } = await run([{ parallel: 'pair', branches: { w: { fail: 'transient' }, z: { fail: 'business' } } }]);
    expect(view.status).toBe('COMPENSATED');
    // w's first attempt ran with z's; it made no second one.
    expect((await world.calls(id)).filter((c) => c.endsWith(':w'))).toHaveLength(1);
    expect(view.steps.find((s) => s.name === 'w')).toMatchObject({ status: 'failed', group: 'pair', attempts: 1 });
    expect(view.compensations.map((c) => c.step).sort()).toEqual(['w', 'z']);
  });
});

describe('child sagas', () => {
  test('a child runs as a step: the parent gets its output; both link to each other; the child ends when the parent completes', async () => {
    const { id, view } = await run([{ step: 'a' }, { child: 'kid', script: [{ step: 'k1' }, { step: 'k2' }] }, { step: 'b' }]);
    expect(view.status).toBe('COMPLETED');
    const childId = `${id}.kid`;
    expect(view.children).toEqual([{ step: 'kid', sagaId: childId, type: 'toy' }]);
    expect(view.steps.find((s) => s.name === 'kid')).toMatchObject({ status: 'succeeded', child: childId, output: { k1: { did: 'k1' }, k2: { did: 'k2' } } });
    const child = await app.engine.view(childId);
    expect(child).toMatchObject({ status: 'COMPLETED', parent: { sagaId: id, step: 'kid' }, businessKey: `${id}.kid` });
    expect(await world.effects(childId)).toEqual(['k1', 'k2']);
    await until('the child workflow to end', async () => (await DBOS.getWorkflowStatus(childId))?.status === 'SUCCESS', 15_000);
  });

  test('compensating the parent compensates its completed child, with the child’s own compensations, in the child’s stream', async () => {
    const { id, view } = await run([{ step: 'a' }, { child: 'kid', script: [{ step: 'k1' }, { step: 'k2' }] }, { step: 'b', fail: 'business' }]);
    expect(view.status).toBe('COMPENSATED');
    const childId = `${id}.kid`;
    const child = await app.engine.view(childId);
    expect(child).toMatchObject({ status: 'COMPENSATED', compensationReason: 'b failed: b refused' });
    expect(await world.effects(childId)).toEqual(['k1', 'k2', 'undo-k2', 'undo-k1']);
    expect(await world.effects(id)).toEqual(['a', 'undo-a']);
    // In order: the child was undone before the step before it.
    const { rows } = await app.db.pool.query<{ action: string }>(`SELECT action FROM toy_effects WHERE action LIKE 'undo-%' AND saga_id IN ($1, $2) ORDER BY at`, [id, childId]);
    expect(rows.map((r) => r.action)).toEqual(['undo-k2', 'undo-k1', 'undo-a']);
    expect(view.compensations.find((c) => c.step === 'kid')).toMatchObject({ status: 'succeeded', nothingToUndo: false });
  });

  test('a child that compensates fails its step: the parent compensates', async () => {
    const { id, view } = await run([{ step: 'a' }, { child: 'kid', script: [{ step: 'k1' }, { step: 'k2', fail: 'business' }] }, { step: 'b' }]);
    expect(view.status).toBe('COMPENSATED');
    expect(view.steps.find((s) => s.name === 'kid')).toMatchObject({ status: 'failed', error: { code: 'CHILD_SAGA_COMPENSATED' } });
    expect(await world.effects(`${id}.kid`)).toEqual(['k1', 'undo-k1']);
    expect(await world.effects(id)).toEqual(['a', 'undo-a']);
  });

  test('a child whose input its type refuses fails the step without starting', async () => {
    const { id, view } = await run([{ step: 'a' }, { child: 'kid', script: [{ nonsense: true }] }]);
    expect(view.status).toBe('COMPENSATED');
    expect(view.steps.find((s) => s.name === 'kid')).toMatchObject({ status: 'failed', error: { code: 'INVALID_CHILD_INPUT' } });
    expect(await app.engine.view(`${id}.kid`)).toBeUndefined();
  });

  test('cancelling a parent that waits on its child cancels the child; both compensate', async () => {
    const id = await start([{ step: 'a' }, { child: 'kid', script: [{ step: 'k1' }, { signal: 'never', timeoutSeconds: 60 }] }]);
    const childId = `${id}.kid`;
    await until('the child to wait', async () => (await app.engine.view(childId))?.waiting !== undefined, 15_000);
    expect((await http(app, 'POST', `/sagas/${id}/cancel`, { token: true, body: { actor: 'op' } })).status).toBe(202);
    expect((await app.engine.waitFor(childId, ['COMPENSATED'])).compensationReason).toMatch(/its parent .* was cancelled/);
    await app.engine.waitFor(id, ['COMPENSATED']);
    expect(await world.effects(id)).toEqual(['a', 'undo-a']);
  });
});

test('no saga workflow of these tests ended in error', async () => {
  const { rows } = await app.db.pool.query(`SELECT workflow_uuid, error FROM dbos.workflow_status WHERE status = 'ERROR'`);
  expect(rows).toEqual([]);
});

async function sagaOutput(id: string): Promise<unknown> {
  const events = await app.store.readStream(`saga-${id}`);
  return (events.find((e) => e.type === 'SagaCompleted')?.data as { output?: unknown }).output;
}
