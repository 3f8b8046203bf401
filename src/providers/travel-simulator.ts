/**
 * TravelSimulator: a travel supplier that keeps its books in Postgres
 * (travel_* tables, migrations/020_travel_providers.sql).
 *
 * Idempotency
 *   As the payment simulator's (perform-once.ts): the first outcome of a key,
 *   a result or a business error, is recorded and every repeat returns it
 *   without a second reservation, across restarts and concurrent callers.
 *   Reusing a key for a different request fails with IDEMPOTENCY_KEY_REUSED;
 *   malformed requests fail with INVALID_REQUEST and record nothing.
 *
 * Scripted locations (TravelScenarios): a flight's destination, a hotel's
 * city or a car's pick-up
 *   XXX  refused: SOLD_OUT (business), recorded under the key.
 *   XFL  the first FLAKY_TRAVEL_FAILURES calls per key fail with
 *        SUPPLIER_TIMEOUT (transient), the next one reserves.
 *   XSL  the call is counted on arrival, then answered after `slowMs`.
 *   Calls are counted in travel_calls before anything else, so the count
 *   survives restarts and a test sees a slow call arrive.
 *
 * Switch itinerary_outage: issueItinerary fails with ITINERARY_SERVICE_DOWN
 * (transient) while it is on.
 *
 * Business rules
 *   cancel          unknown reservation: RESERVATION_NOT_FOUND. Cancelling a
 *                   cancelled reservation, even with a new key, succeeds and
 *                   changes nothing (an undo is idempotent).
 *   issueItinerary  every reservation must be the trip's and not cancelled:
 *                   RESERVATION_NOT_ACTIVE.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../db/pool';
import { businessError, transientError, TravelErrorCodes as Codes } from './errors';
import { parseRequest } from './parse-request';
import { performOnce } from './perform-once';
import { isSwitchOn } from './switches';
import {
  CancelReservationRequest,
  IssueItineraryRequest,
  ReserveCarRequest,
  ReserveFlightRequest,
  ReserveHotelRequest,
  TravelScenarios,
  type CancelReservationResult,
  type Itinerary,
  type Reservation,
  type ReservationKind,
  type TravelSupplier,
} from './travel';

/** Calls per key that fail at a flaky location before one succeeds. */
export const FLAKY_TRAVEL_FAILURES = 2;
const SLOW_CALL_MS = 2_000;
const CONFIRMATION_PREFIX: Record<ReservationKind, string> = { flight: 'FL', hotel: 'HT', car: 'CR' };
/** The supplier's own numbering (after a prefix): six digits from one sequence. */
const NEXT_NUMBER = "lpad(nextval('travel_confirmation_numbers')::text, 6, '0')";

interface TripCall {
  idempotencyKey: string;
  tripId: string;
}

export class TravelSimulator implements TravelSupplier {
  constructor(
    private readonly pool: Pool,
    private readonly options: { slowMs?: number } = {},
  ) {}

  async reserveFlight(input: ReserveFlightRequest): Promise<Reservation> {
    const r = parseRequest('travel', ReserveFlightRequest, input);
    return this.reserve('flight', r, r.flight.to, r.flight);
  }

  async reserveHotel(input: ReserveHotelRequest): Promise<Reservation> {
    const r = parseRequest('travel', ReserveHotelRequest, input);
    return this.reserve('hotel', r, r.hotel.city, r.hotel);
  }

  async reserveCar(input: ReserveCarRequest): Promise<Reservation> {
    const r = parseRequest('travel', ReserveCarRequest, input);
    return this.reserve('car', r, r.car.pickUp, r.car);
  }

  async cancel(input: CancelReservationRequest): Promise<CancelReservationResult> {
    const r = parseRequest('travel', CancelReservationRequest, input);
    return performOnce(this.pool, this.call('cancel', r), async (db) => {
      // Locked, so an itinerary being issued over it either sees the cancellation or finishes first.
      const found = await db.query('SELECT 1 FROM travel_reservations WHERE reservation_id = $1 FOR UPDATE', [r.reservationId]);
      if (!found.rowCount) throw businessError('travel', Codes.RESERVATION_NOT_FOUND, `no reservation ${r.reservationId}`);
      await db.query('INSERT INTO travel_cancellations (reservation_id) VALUES ($1) ON CONFLICT DO NOTHING', [r.reservationId]);
      return { cancelled: true as const };
    });
  }

  async issueItinerary(input: IssueItineraryRequest): Promise<Itinerary> {
    const r = parseRequest('travel', IssueItineraryRequest, input);
    await this.arrive('issueItinerary', r);
    if (await isSwitchOn(this.pool, 'itinerary_outage')) {
      throw transientError('travel', Codes.ITINERARY_SERVICE_DOWN, 'the itinerary service is down');
    }
    return performOnce(this.pool, this.call('issueItinerary', r), async (db) => {
      const { rows } = await db.query<{ reservation_id: string }>(
        `SELECT reservation_id FROM travel_reservations r
          WHERE reservation_id = ANY($1) AND trip_id = $2
            AND NOT EXISTS (SELECT 1 FROM travel_cancellations c WHERE c.reservation_id = r.reservation_id)
          FOR SHARE`,
        [r.reservationIds, r.tripId],
      );
      const active = new Set(rows.map((row) => row.reservation_id));
      const inactive = r.reservationIds.filter((id) => !active.has(id));
      if (inactive.length > 0) {
        throw businessError('travel', Codes.RESERVATION_NOT_ACTIVE, `not held for trip ${r.tripId}: ${inactive.join(', ')}`);
      }
      const itineraryId = `itn_${randomUUID()}`;
      const inserted = await db.query<{ reference: string }>(
        `INSERT INTO travel_itineraries (itinerary_id, trip_id, reference, reservation_ids)
         VALUES ($1, $2, 'ITN' || ${NEXT_NUMBER}, $3) RETURNING reference`,
        [itineraryId, r.tripId, r.reservationIds],
      );
      return { itineraryId, reference: inserted.rows[0].reference };
    });
  }

  private async reserve(kind: ReservationKind, r: TripCall & { travellerId: string }, location: string, details: object): Promise<Reservation> {
    const operation = `reserve-${kind}`;
    const call = await this.arrive(operation, r);
    if (location === TravelScenarios.FLAKY && call <= FLAKY_TRAVEL_FAILURES) {
      throw transientError('travel', Codes.SUPPLIER_TIMEOUT, `the ${kind} supplier timed out (call ${call})`);
    }
    if (location === TravelScenarios.SLOW) await sleep(this.options.slowMs ?? SLOW_CALL_MS);
    return performOnce(this.pool, this.call(operation, r), async (db) => {
      if (location === TravelScenarios.SOLD_OUT) throw businessError('travel', Codes.SOLD_OUT, `no ${kind} available at ${location}`);
      const reservationId = `rsv_${randomUUID()}`;
      const { rows } = await db.query<{ confirmation: string }>(
        `INSERT INTO travel_reservations (reservation_id, trip_id, traveller_id, kind, confirmation, details)
         VALUES ($1, $2, $3, $4, $5 || ${NEXT_NUMBER}, $6) RETURNING confirmation`,
        [reservationId, r.tripId, r.travellerId, kind, CONFIRMATION_PREFIX[kind], JSON.stringify(details)],
      );
      return { reservationId, kind, confirmation: rows[0].confirmation };
    });
  }

  /** Counts the call, committed before the supplier does anything, and returns its number for the key (1-based). */
  private async arrive(operation: string, r: TripCall): Promise<number> {
    const { rows } = await this.pool.query<{ calls: number }>(
      `INSERT INTO travel_calls (operation, idempotency_key, trip_id, calls) VALUES ($1, $2, $3, 1)
       ON CONFLICT (operation, idempotency_key)
       DO UPDATE SET calls = travel_calls.calls + 1, last_call_at = now()
       RETURNING calls`,
      [operation, r.idempotencyKey, r.tripId],
    );
    return rows[0].calls;
  }

  private call(operation: string, request: { idempotencyKey: string }) {
    return { provider: 'travel' as const, operation, idempotencyKey: request.idempotencyKey, request };
  }
}
