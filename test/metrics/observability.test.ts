import { setSwitch } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { captureLogs } from './log-capture';
import { parseMetrics, series } from './prometheus';

/**
 * GET /metrics and the structured logs, read from a real service running real
 * sagas: one completes, one is declined and compensates, one parks with a
 * compensation stuck, one parks past the pivot.
 */
let app: TestApp;
const logs = captureLogs();
const TYPE = { saga_type: 'order-fulfillment' };

beforeAll(async () => {
  app = await startTestApp('observability', { approvalThreshold: 100_000 }, logs.log);
  expect((await http(app, 'POST', '/inventory/sku-obs/stock', { body: { quantity: 100 }, token: true })).status).toBe(200);
});
afterAll(() => app.close());

async function scrape(): Promise<Record<string, number>> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

async function runSaga(overrides: Record<string, unknown>, until: 'COMPLETED' | 'COMPENSATED' | 'COMPENSATION_STUCK' | 'FAILED') {
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-obs', quantity: 1, unitPrice: 100 }], ...overrides }) });
  expect(res.status).toBe(202);
  await app.engine.waitFor(res.body.sagaId, [until]);
  return res.body.sagaId as string;
}

const refusedAddress = { ...orderBody().shippingAddress, country: 'XX' };
let sagas: { completed: string; declined: string; stuck: string; failed: string };
let before: Record<string, number>;
let after: Record<string, number>;

describe('GET /metrics', () => {
  beforeAll(async () => {
    before = await scrape();
    const [completed, declined, stuck] = await Promise.all([
      runSaga({}, 'COMPLETED'),
      runSaga({ payment: { token: 'tok_declined' } }, 'COMPENSATED'),
      runSaga({ payment: { token: 'tok_unvoidable' }, shippingAddress: refusedAddress }, 'COMPENSATION_STUCK'),
    ]);
    await setSwitch(app.db.pool, 'outage_after_capture', true);
    const failed = await runSaga({}, 'FAILED').finally(() => setSwitch(app.db.pool, 'outage_after_capture', false));
    sagas = { completed, declined, stuck, failed };
    after = await scrape();
  });

  // An operator ends the parked sagas, so that no workflow is left waiting when the service stops.
  afterAll(async () => {
    const act = (id: string, action: string) => http(app, 'POST', `/sagas/${id}/${action}`, { token: true, body: { actor: 'test', reason: 'test over' } });
    expect((await act(sagas.stuck, 'resolve')).status).toBe(202);
    expect((await act(sagas.failed, 'retry')).status).toBe(202);
    await Promise.all([app.engine.waitFor(sagas.stuck, ['COMPENSATED']), app.engine.waitFor(sagas.failed, ['COMPLETED'])]);
  });

  const delta = (name: string, labels: Record<string, string> = {}) => (after[series(name, labels)] ?? 0) - (before[series(name, labels)] ?? 0);

  test('counts sagas started, completed, compensated, stuck and failed, by type', () => {
    expect(delta('saga_started_total', TYPE)).toBe(4);
    expect(delta('saga_completed_total', TYPE)).toBe(1);
    expect(delta('saga_compensated_total', TYPE)).toBe(1);
    expect(delta('saga_compensation_stuck_total', TYPE)).toBe(1);
    expect(delta('saga_forward_recovery_failed_total', TYPE)).toBe(1);
  });

  test('a gauge shows the sagas parked right now, read from the saga-overview read model', async () => {
    const parked = (status: string, m: Record<string, number>) => m[series('saga_parked', { saga_type: 'order-fulfillment', status })] ?? 0;
    // The read model follows the feed: wait until it has the parked sagas.
    let now = await scrape();
    for (let i = 0; i < 50 && (parked('COMPENSATION_STUCK', now) < 1 || parked('FAILED', now) < 1); i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await scrape();
    }
    expect(parked('COMPENSATION_STUCK', now)).toBe(1);
    expect(parked('FAILED', now)).toBe(1);
    expect(parked('AWAITING_APPROVAL', now)).toBe(0);
  });

  test('times steps and compensations, by outcome', () => {
    const step = (name: string, outcome: string) => delta('saga_step_duration_seconds_count', { ...TYPE, step: name, outcome });
    const undo = (name: string, outcome: string) => delta('saga_compensation_duration_seconds_count', { ...TYPE, compensation: name, outcome });
    expect(step('placeOrder', 'succeeded')).toBe(4);
    expect(step('authorizePayment', 'failed')).toBe(1);
    expect(step('confirmOrder', 'succeeded')).toBe(1);
    expect(step('capturePayment', 'failed')).toBeGreaterThanOrEqual(1);
    expect(undo('releaseStock', 'succeeded')).toBe(1);
    expect(undo('voidAuthorization', 'failed')).toBeGreaterThanOrEqual(1);
    expect(delta('saga_step_duration_seconds_sum', { ...TYPE, step: 'placeOrder', outcome: 'succeeded' })).toBeGreaterThanOrEqual(0);
    expect(after[series('saga_step_duration_seconds_bucket', { le: '+Inf', ...TYPE, step: 'placeOrder', outcome: 'succeeded' })]).toBe(
      after[series('saga_step_duration_seconds_count', { ...TYPE, step: 'placeOrder', outcome: 'succeeded' })],
    );
  });

  test('counts each appended event exactly once', async () => {
    const sagaEvents = await Promise.all(Object.values(sagas).map(async (id) => (await http(app, 'GET', `/sagas/${id}`)).body.events.length as number));
    expect(delta('eventstore_events_appended_total', { stream_type: 'saga' })).toBe(sagaEvents.reduce((a, b) => a + b, 0));
    expect(delta('eventstore_events_appended_total', { stream_type: 'order' })).toBeGreaterThanOrEqual(4);
    expect(delta('eventstore_appends_total')).toBeGreaterThan(0);
  });

  test('reports projection lag and parked events per projection', () => {
    for (const projection of ['order-summary', 'saga-overview', 'stock-levels']) {
      expect(after[series('projection_lag_events', { projection })]).toBeGreaterThanOrEqual(0);
      expect(after[series('projection_lag_seconds', { projection })]).toBeGreaterThanOrEqual(0);
      expect(after[series('projection_parked_events', { projection })]).toBe(0);
    }
    expect(after.process_resident_memory_bytes).toBeGreaterThan(0);
  });
});

describe('structured logs', () => {
  test('every line that mentions a saga carries its id as sagaId', () => {
    const lines = logs.lines();
    const about = Object.values(sagas).flatMap((id) => lines.filter((l) => JSON.stringify(l).includes(id)).map((l) => [id, l] as const));
    expect(about.length).toBeGreaterThan(20);
    for (const [id, line] of about) expect({ msg: line.msg, sagaId: line.sagaId }).toEqual({ msg: line.msg, sagaId: id });
  });

  test('the step lines tell the story of each saga: steps, failures, transitions', () => {
    const of = (id: string, msg: string) => logs.lines().filter((l) => l.sagaId === id && l.msg === msg);
    expect(of(sagas.completed, 'step succeeded').map((l) => l.step)).toEqual([
      'placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment', 'capturePayment', 'confirmOrder',
    ]);
    expect(of(sagas.completed, 'step succeeded')[0]).toMatchObject({ commandId: expect.stringContaining(sagas.completed), attempts: 1, durationMs: expect.any(Number) });
    expect(of(sagas.declined, 'step failed')).toEqual([expect.objectContaining({ step: 'authorizePayment', err: expect.objectContaining({ code: 'CARD_DECLINED' }) })]);
    expect(of(sagas.declined, 'saga transition').flatMap((l) => l.events as string[])).toEqual(['SagaCompensating', 'SagaCompensated']);
    expect(of(sagas.stuck, 'saga transition').flatMap((l) => l.events as string[])).toContain('CompensationStuck');
    expect(of(sagas.failed, 'transient failure, retrying')[0]).toMatchObject({ step: 'capturePayment' });
  });
});
