import { CarrierSimulator, carrierLedgerOf, createSimulators, type Carrier } from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { bookRequest, rejectionOf, uniqueKey } from './fixtures';

let db: TestDatabase;
let carrier: Carrier;

beforeAll(async () => {
  db = await createTestDatabase('carrier');
  carrier = createSimulators(db.pool).carrier;
});
afterAll(() => db.drop());

const gb = bookRequest().address;

describe('book', () => {
  test('returns a SimShip booking with a TRK tracking number', async () => {
    const booking = await carrier.book(bookRequest());
    expect(booking).toEqual({
      bookingId: expect.stringMatching(/^bk_/),
      carrier: 'SimShip',
      trackingNumber: expect.stringMatching(/^TRK\d{10}$/),
    });
    const other = await carrier.book(bookRequest());
    expect(other.trackingNumber).not.toBe(booking.trackingNumber);
  });

  test('a repeated key returns the same booking, also from a new instance, and books once', async () => {
    const request = bookRequest();
    const first = await carrier.book(request);
    expect(await carrier.book(request)).toEqual(first);
    expect(await new CarrierSimulator(db.pool).book(request)).toEqual(first);
    expect((await carrierLedgerOf(db.pool, request.orderId)).bookings).toBe(1);
  });

  test('the same key raced from many clients books once', async () => {
    const request = bookRequest();
    const results = await Promise.all(Array.from({ length: 10 }, () => new CarrierSimulator(db.pool).book(request)));
    expect(new Set(results.map((r) => r.bookingId)).size).toBe(1);
    expect((await carrierLedgerOf(db.pool, request.orderId)).bookings).toBe(1);
  });

  test('country XX: ADDRESS_UNSERVICEABLE, recorded and repeated, nothing booked', async () => {
    const request = bookRequest({ address: { ...gb, country: 'XX' } });
    for (let i = 0; i < 2; i++) {
      await expect(carrier.book(request)).rejects.toMatchObject({
        name: 'ProviderError',
        code: 'ADDRESS_UNSERVICEABLE',
        transient: false,
        provider: 'carrier',
      });
    }
    expect((await carrierLedgerOf(db.pool, request.orderId)).bookings).toBe(0);
  });

  test('a malformed request: INVALID_REQUEST', async () => {
    await expect(carrier.book(bookRequest({ items: [] }))).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('cancel', () => {
  test('of an unknown booking: BOOKING_NOT_FOUND', async () => {
    const err = await rejectionOf(carrier.cancel({ idempotencyKey: uniqueKey('cancel'), bookingId: 'bk_nope' }));
    expect(err).toMatchObject({ code: 'BOOKING_NOT_FOUND', transient: false, provider: 'carrier' });
  });

  test('cancelling twice, with the same or a new key, is fine and cancels once', async () => {
    const request = bookRequest();
    const { bookingId } = await carrier.book(request);
    const cancel = { idempotencyKey: uniqueKey('cancel'), bookingId };
    expect(await carrier.cancel(cancel)).toEqual({ cancelled: true });
    expect(await carrier.cancel(cancel)).toEqual({ cancelled: true });
    expect(await carrier.cancel({ idempotencyKey: uniqueKey('cancel'), bookingId })).toEqual({ cancelled: true });
    expect(await carrierLedgerOf(db.pool, request.orderId)).toEqual({
      orderId: request.orderId,
      bookings: 1,
      cancellations: 1,
      activeBookings: 0,
    });
  });
});
