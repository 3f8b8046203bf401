import {
  carrierLedger,
  carrierLedgerOf,
  createSimulators,
  getSwitches,
  paymentLedger,
  paymentLedgerOf,
  setSwitch,
  SWITCH_NAMES,
  type SwitchName,
} from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { authorizeRequest, bookRequest, uniqueKey } from './fixtures';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('provider_ledgers');
});
afterAll(() => db.drop());

describe('switches', () => {
  test('all start off, can be flipped and read back', async () => {
    expect(SWITCH_NAMES).toEqual(['outage_after_capture', 'issuer_recovered', 'itinerary_outage']);
    expect(await getSwitches(db.pool)).toEqual({ outage_after_capture: false, issuer_recovered: false, itinerary_outage: false });
    await setSwitch(db.pool, 'issuer_recovered', true);
    expect(await getSwitches(db.pool)).toEqual({ outage_after_capture: false, issuer_recovered: true, itinerary_outage: false });
    await setSwitch(db.pool, 'issuer_recovered', false);
    expect((await getSwitches(db.pool)).issuer_recovered).toBe(false);
  });

  test('an unknown name is refused', async () => {
    await expect(setSwitch(db.pool, 'free_money' as SwitchName, true)).rejects.toThrow();
    const { rowCount } = await db.pool.query("SELECT 1 FROM simulator_switches WHERE name = 'free_money'");
    expect(rowCount).toBe(0);
  });
});

describe('ledgers', () => {
  test('payment ledger counts and sums every effect per order', async () => {
    const { payments } = createSimulators(db.pool);
    const orderId = uniqueKey('order');
    const kept = await payments.authorize(authorizeRequest({ orderId, amount: 1000 }));
    const dropped = await payments.authorize(authorizeRequest({ orderId, amount: 250 }));
    await payments.authorize(authorizeRequest({ orderId, amount: 75 })); // left open
    await expect(payments.authorize(authorizeRequest({ orderId, token: 'tok_declined' }))).rejects.toThrow();
    await payments.void({ idempotencyKey: uniqueKey('void'), authorizationId: dropped.authorizationId });
    const { captureId } = await payments.capture({
      idempotencyKey: uniqueKey('cap'),
      authorizationId: kept.authorizationId,
      amount: 900,
    });
    await payments.refund({ idempotencyKey: uniqueKey('re'), captureId, amount: 100 });
    await payments.refund({ idempotencyKey: uniqueKey('re'), captureId, amount: 50 });

    const expected = {
      orderId,
      authorizations: { count: 3, amount: 1325 },
      voids: { count: 1, amount: 250 },
      captures: { count: 1, amount: 900 },
      refunds: { count: 2, amount: 150 },
      openAuthorizations: 1,
    };
    expect(await paymentLedgerOf(db.pool, orderId)).toEqual(expected);
    expect((await paymentLedger(db.pool))[orderId]).toEqual(expected);
  });

  test('an order the gateway never saw reads as zeros', async () => {
    const ledger = await paymentLedgerOf(db.pool, 'order-unknown');
    expect(ledger).toMatchObject({ authorizations: { count: 0, amount: 0 }, openAuthorizations: 0 });
    expect((await paymentLedger(db.pool))['order-unknown']).toBeUndefined();
  });

  test('carrier ledger counts bookings, cancellations and what is still active', async () => {
    const { carrier } = createSimulators(db.pool);
    const orderId = uniqueKey('order');
    const first = await carrier.book(bookRequest({ orderId }));
    await carrier.book(bookRequest({ orderId }));
    await carrier.cancel({ idempotencyKey: uniqueKey('cancel'), bookingId: first.bookingId });
    const expected = { orderId, bookings: 2, cancellations: 1, activeBookings: 1 };
    expect(await carrierLedgerOf(db.pool, orderId)).toEqual(expected);
    expect((await carrierLedger(db.pool))[orderId]).toEqual(expected);
    expect(await carrierLedgerOf(db.pool, 'order-unknown')).toEqual({
      orderId: 'order-unknown',
      bookings: 0,
      cancellations: 0,
      activeBookings: 0,
    });
  });
});
