import {
  authorizeAttempts,
  createSimulators,
  FLAKY_FAILURES_BEFORE_SUCCESS,
  paymentLedgerOf,
  PaymentSimulator,
  setSwitch,
  type PaymentGateway,
} from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { authorizeRequest, rejectionOf, uniqueKey } from './fixtures';

let db: TestDatabase;
let payments: PaymentGateway;

beforeAll(async () => {
  db = await createTestDatabase('payment_faults');
  payments = createSimulators(db.pool).payments;
});
afterEach(async () => {
  await setSwitch(db.pool, 'outage_after_capture', false);
  await setSwitch(db.pool, 'issuer_recovered', false);
});
afterAll(() => db.drop());

describe('tok_declined', () => {
  test('authorize fails with CARD_DECLINED, a business error, every time, and holds no money', async () => {
    const request = authorizeRequest({ token: 'tok_declined' });
    for (let i = 0; i < 2; i++) {
      await expect(payments.authorize(request)).rejects.toMatchObject({
        name: 'ProviderError',
        code: 'CARD_DECLINED',
        transient: false,
        provider: 'payment',
      });
    }
    expect((await paymentLedgerOf(db.pool, request.orderId)).authorizations.count).toBe(0);
  });
});

describe('tok_flaky', () => {
  test('fails transiently twice per key, then succeeds; the count survives a new simulator', async () => {
    expect(FLAKY_FAILURES_BEFORE_SUCCESS).toBe(2);
    const request = authorizeRequest({ token: 'tok_flaky' });
    await expect(payments.authorize(request)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT', transient: true });
    expect(await authorizeAttempts(db.pool, request.idempotencyKey)).toBe(1);

    // "Restart": a fresh instance on the same database sees the attempt already made.
    const restarted = new PaymentSimulator(db.pool);
    await expect(restarted.authorize(request)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT', transient: true });
    const third = await restarted.authorize(request);
    expect(third.authorizationId).toMatch(/^auth_/);
    expect(await authorizeAttempts(db.pool, request.idempotencyKey)).toBe(3);

    // From now on the key is settled: same id, no further attempts, one authorization.
    expect(await payments.authorize(request)).toEqual(third);
    expect(await authorizeAttempts(db.pool, request.idempotencyKey)).toBe(3);
    expect((await paymentLedgerOf(db.pool, request.orderId)).authorizations.count).toBe(1);
  });

  test('attempts are counted per idempotency key', async () => {
    const orderId = uniqueKey('order');
    const first = authorizeRequest({ token: 'tok_flaky', orderId });
    const second = authorizeRequest({ token: 'tok_flaky', orderId });
    await expect(payments.authorize(first)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    await expect(payments.authorize(second)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect(await authorizeAttempts(db.pool, first.idempotencyKey)).toBe(1);
    expect(await authorizeAttempts(db.pool, second.idempotencyKey)).toBe(1);
  });
});

describe('tok_unvoidable', () => {
  test('authorize succeeds, voids fail transiently until issuer_recovered, then one void succeeds', async () => {
    const request = authorizeRequest({ token: 'tok_unvoidable' });
    const { authorizationId } = await payments.authorize(request);
    const voidRequest = { idempotencyKey: uniqueKey('void'), authorizationId };
    for (let i = 0; i < 3; i++) {
      await expect(payments.void(voidRequest)).rejects.toMatchObject({ code: 'ISSUER_UNAVAILABLE', transient: true });
    }
    expect((await paymentLedgerOf(db.pool, request.orderId)).openAuthorizations).toBe(1);

    await setSwitch(db.pool, 'issuer_recovered', true);
    const voided = await payments.void(voidRequest); // the same key an operator's retry would carry
    expect(voided.voidId).toMatch(/^void_/);
    expect(await payments.void(voidRequest)).toEqual(voided);
    const ledger = await paymentLedgerOf(db.pool, request.orderId);
    expect(ledger.voids).toEqual({ count: 1, amount: request.amount });
    expect(ledger.openAuthorizations).toBe(0);
  });
});

describe('switch outage_after_capture', () => {
  test('the capture happens but the answer is lost until the switch is off; then the same key returns it', async () => {
    const request = authorizeRequest({ amount: 2500 });
    const { authorizationId } = await payments.authorize(request);
    await setSwitch(db.pool, 'outage_after_capture', true);
    const capture = { idempotencyKey: uniqueKey('cap'), authorizationId, amount: 2500 };
    for (let i = 0; i < 2; i++) {
      await expect(payments.capture(capture)).rejects.toMatchObject({
        code: 'CONNECTION_RESET_AFTER_CAPTURE',
        transient: true,
      });
    }
    // Past the point of no return: the money moved exactly once.
    expect((await paymentLedgerOf(db.pool, request.orderId)).captures).toEqual({ count: 1, amount: 2500 });

    await setSwitch(db.pool, 'outage_after_capture', false);
    const captured = await payments.capture(capture);
    expect(captured.captureId).toMatch(/^cap_/);
    expect(await payments.capture(capture)).toEqual(captured);
    expect((await paymentLedgerOf(db.pool, request.orderId)).captures.count).toBe(1);
  });

  test('a capture with a new key during the outage does not capture twice', async () => {
    const { authorizationId } = await payments.authorize(authorizeRequest({ amount: 100 }));
    await setSwitch(db.pool, 'outage_after_capture', true);
    const first = { idempotencyKey: uniqueKey('cap'), authorizationId, amount: 100 };
    await expect(payments.capture(first)).rejects.toMatchObject({ code: 'CONNECTION_RESET_AFTER_CAPTURE' });
    const err = await rejectionOf(payments.capture({ ...first, idempotencyKey: uniqueKey('cap') }));
    expect(err).toMatchObject({ code: 'ALREADY_CAPTURED', transient: false });
  });

  test('business failures are answered normally during the outage', async () => {
    await setSwitch(db.pool, 'outage_after_capture', true);
    const err = await rejectionOf(
      payments.capture({ idempotencyKey: uniqueKey('cap'), authorizationId: 'auth_missing', amount: 1 }),
    );
    expect(err).toMatchObject({ code: 'AUTHORIZATION_NOT_FOUND', transient: false });
  });
});
