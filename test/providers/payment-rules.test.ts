import { createSimulators, paymentLedgerOf, type PaymentGateway } from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { authorizeRequest, rejectionOf, uniqueKey } from './fixtures';

let db: TestDatabase;
let payments: PaymentGateway;

beforeAll(async () => {
  db = await createTestDatabase('payment_rules');
  payments = createSimulators(db.pool).payments;
});
afterAll(() => db.drop());

const voidOf = (authorizationId: string) => payments.void({ idempotencyKey: uniqueKey('void'), authorizationId });
const captureOf = (authorizationId: string, amount: number) =>
  payments.capture({ idempotencyKey: uniqueKey('cap'), authorizationId, amount });
const refundOf = (captureId: string, amount: number) =>
  payments.refund({ idempotencyKey: uniqueKey('re'), captureId, amount });
const codeOf = async (call: Promise<unknown>) => ((await rejectionOf(call)) as { code: string }).code;

describe('void', () => {
  test('of an unknown authorization: AUTHORIZATION_NOT_FOUND', async () => {
    expect(await codeOf(voidOf('auth_nope'))).toBe('AUTHORIZATION_NOT_FOUND');
  });

  test('of a voided authorization with a new key: success with the original void id', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest());
    const first = await voidOf(authorizationId);
    expect(await voidOf(authorizationId)).toEqual(first);
  });

  test('of a captured authorization: AUTHORIZATION_CAPTURED (refund instead)', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest({ amount: 700 }));
    await captureOf(authorizationId, 700);
    expect(await codeOf(voidOf(authorizationId))).toBe('AUTHORIZATION_CAPTURED');
  });
});

describe('capture', () => {
  test('of an unknown authorization: AUTHORIZATION_NOT_FOUND', async () => {
    expect(await codeOf(captureOf('auth_nope', 1))).toBe('AUTHORIZATION_NOT_FOUND');
  });

  test('of a voided authorization: AUTHORIZATION_VOIDED', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest());
    await voidOf(authorizationId);
    expect(await codeOf(captureOf(authorizationId, 1))).toBe('AUTHORIZATION_VOIDED');
  });

  test('above the authorized amount: AMOUNT_EXCEEDS_AUTHORIZATION; a partial capture is fine', async () => {
    const request = authorizeRequest({ amount: 1000 });
    const { authorizationId } = await payments.authorize(request);
    expect(await codeOf(captureOf(authorizationId, 1001))).toBe('AMOUNT_EXCEEDS_AUTHORIZATION');
    await captureOf(authorizationId, 600);
    expect((await paymentLedgerOf(db.pool, request.orderId)).captures).toEqual({ count: 1, amount: 600 });
  });

  test('of a captured authorization with another key: ALREADY_CAPTURED', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest({ amount: 1000 }));
    await captureOf(authorizationId, 1000);
    expect(await codeOf(captureOf(authorizationId, 1000))).toBe('ALREADY_CAPTURED');
  });
});

describe('refund', () => {
  test('of an unknown capture: CAPTURE_NOT_FOUND', async () => {
    expect(await codeOf(refundOf('cap_nope', 1))).toBe('CAPTURE_NOT_FOUND');
  });

  test('partial refunds add up to the capture and never beyond it', async () => {
    const request = authorizeRequest({ amount: 1000 });
    const { authorizationId } = await payments.authorize(request);
    const { captureId } = await captureOf(authorizationId, 800);
    await refundOf(captureId, 500);
    expect(await codeOf(refundOf(captureId, 301))).toBe('REFUND_EXCEEDS_CAPTURE');
    await refundOf(captureId, 300);
    expect((await paymentLedgerOf(db.pool, request.orderId)).refunds).toEqual({ count: 2, amount: 800 });
  });

  test('concurrent refunds with different keys cannot over-refund', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest({ amount: 1000 }));
    const { captureId } = await captureOf(authorizationId, 1000);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => refundOf(captureId, 400)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    const { rows } = await db.pool.query(
      'SELECT sum(amount)::bigint AS total FROM payment_refunds WHERE capture_id = $1',
      [captureId],
    );
    expect(rows[0].total).toBe(800);
  });
});
