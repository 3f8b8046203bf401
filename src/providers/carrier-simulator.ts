/**
 * CarrierSimulator: a shipping carrier that keeps its books in Postgres
 * (carrier_* tables, migrations/002_providers.sql).
 *
 * Idempotency
 *   Same rules as the payment simulator: the first outcome of a key (success
 *   or business error) is recorded and every repeat returns it without a
 *   second booking or cancellation, across restarts and concurrent callers.
 *   Reusing a key for a different request fails with IDEMPOTENCY_KEY_REUSED;
 *   malformed requests fail with INVALID_REQUEST and record nothing.
 *
 * Behaviour
 *   book    address country XX: ADDRESS_UNSERVICEABLE (business). Otherwise a
 *           booking with carrier "SimShip" and a tracking number from the
 *           carrier's own sequence (TRK + 10 digits, e.g. TRK0000000042).
 *   cancel  unknown booking: BOOKING_NOT_FOUND (business). Cancelling a
 *           cancelled booking, even with a new key, succeeds and changes
 *           nothing (an undo is idempotent).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '../db/pool';
import {
  BookRequest,
  CancelBookingRequest,
  UNSERVICEABLE_COUNTRY,
  type BookResult,
  type CancelBookingResult,
  type Carrier,
} from './carrier';
import { businessError, CarrierErrorCodes as Codes } from './errors';
import { parseRequest } from './parse-request';
import { performOnce } from './perform-once';

export const SIMULATED_CARRIER_NAME = 'SimShip';

export class CarrierSimulator implements Carrier {
  constructor(private readonly pool: Pool) {}

  async book(input: BookRequest): Promise<BookResult> {
    const r = parseRequest('carrier', BookRequest, input);
    return performOnce(this.pool, this.call('book', r), async (db) => {
      if (r.address.country === UNSERVICEABLE_COUNTRY) {
        throw businessError('carrier', Codes.ADDRESS_UNSERVICEABLE, `no service to country ${r.address.country}`);
      }
      const bookingId = `bk_${randomUUID()}`;
      const { rows } = await db.query<{ tracking_number: string }>(
        `INSERT INTO carrier_bookings (booking_id, order_id, carrier, address, items)
         VALUES ($1, $2, $3, $4, $5) RETURNING tracking_number`,
        [bookingId, r.orderId, SIMULATED_CARRIER_NAME, JSON.stringify(r.address), JSON.stringify(r.items)],
      );
      return { bookingId, carrier: SIMULATED_CARRIER_NAME, trackingNumber: rows[0].tracking_number };
    });
  }

  async cancel(input: CancelBookingRequest): Promise<CancelBookingResult> {
    const r = parseRequest('carrier', CancelBookingRequest, input);
    return performOnce(this.pool, this.call('cancel', r), async (db) => {
      const booking = await db.query('SELECT 1 FROM carrier_bookings WHERE booking_id = $1', [r.bookingId]);
      if (!booking.rowCount) throw businessError('carrier', Codes.BOOKING_NOT_FOUND, `no booking ${r.bookingId}`);
      // A second cancellation (another key) finds the row and leaves it as it is.
      await db.query('INSERT INTO carrier_cancellations (booking_id) VALUES ($1) ON CONFLICT DO NOTHING', [
        r.bookingId,
      ]);
      return { cancelled: true as const };
    });
  }

  private call(operation: string, request: { idempotencyKey: string }) {
    return { provider: 'carrier' as const, operation, idempotencyKey: request.idempotencyKey, request };
  }
}
