import { createSimulators, paymentLedgerOf, PaymentSimulator, type PaymentGateway } from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { authorizeRequest, rejectionOf, uniqueKey } from './fixtures';

let db: TestDatabase;
let payments: PaymentGateway;

beforeAll(async () => {
  db = await createTestDatabase('payment_idempotency');
  payments = createSimulators(db.pool).payments;
});
afterAll(() => db.drop());

const count = async (sql: string, params: unknown[]) => (await db.pool.query(sql, params)).rows[0].n as number;
const authorizationsOf = (orderId: string) =>
  count('SELECT count(*)::int AS n FROM payment_authorizations WHERE order_id = $1', [orderId]);

describe('a repeated idempotency key', () => {
  test('authorize returns the same id and authorizes once, also from a new simulator instance', async () => {
    const request = authorizeRequest();
    const first = await payments.authorize(request);
    const again = await payments.authorize(request);
    const afterRestart = await new PaymentSimulator(db.pool).authorize(request);
    expect(first.authorizationId).toMatch(/^auth_/);
    expect(again).toEqual(first);
    expect(afterRestart).toEqual(first);
    expect(await authorizationsOf(request.orderId)).toBe(1);
  });

  test('void, capture and refund each return their first result and act once', async () => {
    const auth = await payments.authorize(authorizeRequest({ amount: 1000 }));
    const capture = { idempotencyKey: uniqueKey('cap'), authorizationId: auth.authorizationId, amount: 1000 };
    const captured = await payments.capture(capture);
    expect(await payments.capture(capture)).toEqual(captured);

    const refund = { idempotencyKey: uniqueKey('re'), captureId: captured.captureId, amount: 400 };
    const refunded = await payments.refund(refund);
    expect(await payments.refund(refund)).toEqual(refunded);
    const refunds = 'SELECT count(*)::int AS n FROM payment_refunds WHERE capture_id = $1';
    expect(await count(refunds, [captured.captureId])).toBe(1);

    const other = await payments.authorize(authorizeRequest());
    const voidRequest = { idempotencyKey: uniqueKey('void'), authorizationId: other.authorizationId };
    const voided = await payments.void(voidRequest);
    expect(await payments.void(voidRequest)).toEqual(voided);
    expect(voided.voidId).toMatch(/^void_/);
  });

  test('a business error is recorded and re-thrown on repeat, even after the cause is gone', async () => {
    const auth = await payments.authorize(authorizeRequest({ amount: 500 }));
    const tooMuch = { idempotencyKey: uniqueKey('cap'), authorizationId: auth.authorizationId, amount: 501 };
    await expect(payments.capture(tooMuch)).rejects.toMatchObject({ code: 'AMOUNT_EXCEEDS_AUTHORIZATION' });
    await expect(payments.capture(tooMuch)).rejects.toMatchObject({
      name: 'ProviderError',
      code: 'AMOUNT_EXCEEDS_AUTHORIZATION',
      transient: false,
      provider: 'payment',
    });
    const { rows } = await db.pool.query(
      "SELECT error->>'code' AS code FROM payment_requests WHERE operation = 'capture' AND idempotency_key = $1",
      [tooMuch.idempotencyKey],
    );
    expect(rows).toEqual([{ code: 'AMOUNT_EXCEEDS_AUTHORIZATION' }]);
  });

  test('reusing a key for a different request is refused and changes nothing', async () => {
    const request = authorizeRequest();
    const first = await payments.authorize(request);
    const err = await rejectionOf(payments.authorize({ ...request, amount: request.amount + 1 }));
    expect(err).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', transient: false });
    expect(await payments.authorize(request)).toEqual(first);
    expect(await authorizationsOf(request.orderId)).toBe(1);
  });

  test('keys are scoped per operation', async () => {
    const key = uniqueKey('shared');
    const auth = await payments.authorize(authorizeRequest({ idempotencyKey: key }));
    await expect(payments.void({ idempotencyKey: key, authorizationId: auth.authorizationId })).resolves.toHaveProperty(
      'voidId',
    );
  });
});

describe('concurrent calls with one key', () => {
  test('authorize raced from many clients authorizes once and everyone gets the same id', async () => {
    const request = authorizeRequest();
    const clients = Array.from({ length: 12 }, () => new PaymentSimulator(db.pool));
    const results = await Promise.all(clients.map((c) => c.authorize(request)));
    expect(new Set(results.map((r) => r.authorizationId)).size).toBe(1);
    expect(await authorizationsOf(request.orderId)).toBe(1);
  });

  test('capture raced with one key captures once', async () => {
    const request = authorizeRequest({ amount: 900 });
    const auth = await payments.authorize(request);
    const capture = { idempotencyKey: uniqueKey('cap'), authorizationId: auth.authorizationId, amount: 900 };
    const results = await Promise.all(Array.from({ length: 10 }, () => payments.capture(capture)));
    expect(new Set(results.map((r) => r.captureId)).size).toBe(1);
    expect((await paymentLedgerOf(db.pool, request.orderId)).captures).toEqual({ count: 1, amount: 900 });
  });

  test('voids raced with different keys leave one void and all succeed with its id', async () => {
    const auth = await payments.authorize(authorizeRequest());
    const { authorizationId } = auth;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => payments.void({ idempotencyKey: uniqueKey('void'), authorizationId })),
    );
    expect(new Set(results.map((r) => r.voidId)).size).toBe(1);
    const voids = 'SELECT count(*)::int AS n FROM payment_voids WHERE authorization_id = $1';
    expect(await count(voids, [authorizationId])).toBe(1);
  });

  test('a void racing a capture: exactly one of them wins', async () => {
    const request = authorizeRequest({ amount: 300 });
    const auth = await payments.authorize(request);
    const [voided, captured] = await Promise.allSettled([
      payments.void({ idempotencyKey: uniqueKey('void'), authorizationId: auth.authorizationId }),
      payments.capture({ idempotencyKey: uniqueKey('cap'), authorizationId: auth.authorizationId, amount: 300 }),
    ]);
    expect([voided.status, captured.status].sort()).toEqual(['fulfilled', 'rejected']);
    const loser = (voided.status === 'rejected' ? voided : captured) as PromiseRejectedResult;
    expect(['AUTHORIZATION_CAPTURED', 'AUTHORIZATION_VOIDED']).toContain(loser.reason.code);
    const ledger = await paymentLedgerOf(db.pool, request.orderId);
    expect(ledger.voids.count + ledger.captures.count).toBe(1);
  });
});

test('a malformed request is rejected before the books and does not use up its key', async () => {
  const request = authorizeRequest({ amount: -5 });
  await expect(payments.authorize(request)).rejects.toMatchObject({ code: 'INVALID_REQUEST', transient: false });
  await expect(payments.authorize({ ...request, currency: 'euro', amount: 5 })).rejects.toMatchObject({
    code: 'INVALID_REQUEST',
  });
  await expect(payments.authorize({ ...request, amount: 5 })).resolves.toHaveProperty('authorizationId');
});
