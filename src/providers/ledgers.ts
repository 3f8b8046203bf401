import type { Pool } from '../db/pool';
import type { ReservationKind } from './travel';

/**
 * Read-only views of the simulators' books, for tests and invariant checks
 * ("every authorization of a compensated saga is voided or refunded", "one
 * booking per order"). Only effects count: declined or failed calls leave no
 * trace here.
 */
export interface MoneyTally {
  count: number;
  /** Sum in minor units. */
  amount: number;
}

export interface PaymentLedgerEntry {
  orderId: string;
  authorizations: MoneyTally;
  /** Voided authorizations, with the amount they had authorized. */
  voids: MoneyTally;
  captures: MoneyTally;
  refunds: MoneyTally;
  /** Authorizations neither voided nor captured: money still held on the card. */
  openAuthorizations: number;
}

export interface CarrierLedgerEntry {
  orderId: string;
  bookings: number;
  cancellations: number;
  /** Bookings not cancelled: parcels that will ship. */
  activeBookings: number;
}

interface PaymentRow {
  order_id: string;
  authorizations: number;
  authorized: number;
  voids: number;
  voided: number;
  captures: number;
  captured: number;
  refunds: number;
  refunded: number;
  open_authorizations: number;
}

// Voids and captures are unique per authorization, so these joins never fan out;
// refunds (many per capture) are aggregated before joining.
const PAYMENT_LEDGER_SQL = `
  SELECT a.order_id,
         count(*)::int                                                     AS authorizations,
         sum(a.amount)::bigint                                             AS authorized,
         count(v.void_id)::int                                             AS voids,
         coalesce(sum(a.amount) FILTER (WHERE v.void_id IS NOT NULL), 0)::bigint AS voided,
         count(c.capture_id)::int                                          AS captures,
         coalesce(sum(c.amount), 0)::bigint                                AS captured,
         coalesce(sum(r.refunds), 0)::int                                  AS refunds,
         coalesce(sum(r.refunded), 0)::bigint                              AS refunded,
         count(*) FILTER (WHERE v.void_id IS NULL AND c.capture_id IS NULL)::int AS open_authorizations
    FROM payment_authorizations a
    LEFT JOIN payment_voids v ON v.authorization_id = a.authorization_id
    LEFT JOIN payment_captures c ON c.authorization_id = a.authorization_id
    LEFT JOIN (SELECT capture_id, count(*) AS refunds, sum(amount) AS refunded
                 FROM payment_refunds GROUP BY capture_id) r ON r.capture_id = c.capture_id
   WHERE $1::text IS NULL OR a.order_id = $1
   GROUP BY a.order_id`;

const CARRIER_LEDGER_SQL = `
  SELECT b.order_id,
         count(*)::int            AS bookings,
         count(c.booking_id)::int AS cancellations
    FROM carrier_bookings b
    LEFT JOIN carrier_cancellations c ON c.booking_id = b.booking_id
   WHERE $1::text IS NULL OR b.order_id = $1
   GROUP BY b.order_id`;

function toPaymentEntry(row: PaymentRow): PaymentLedgerEntry {
  return {
    orderId: row.order_id,
    authorizations: { count: row.authorizations, amount: row.authorized },
    voids: { count: row.voids, amount: row.voided },
    captures: { count: row.captures, amount: row.captured },
    refunds: { count: row.refunds, amount: row.refunded },
    openAuthorizations: row.open_authorizations,
  };
}

const emptyTally = (): MoneyTally => ({ count: 0, amount: 0 });

/** Every order the gateway has seen an authorization for, keyed by order id. */
export async function paymentLedger(pool: Pool): Promise<Record<string, PaymentLedgerEntry>> {
  const { rows } = await pool.query<PaymentRow>(PAYMENT_LEDGER_SQL, [null]);
  return Object.fromEntries(rows.map((row) => [row.order_id, toPaymentEntry(row)]));
}

/** One order's payment books; all zeros when the gateway never authorized anything for it. */
export async function paymentLedgerOf(pool: Pool, orderId: string): Promise<PaymentLedgerEntry> {
  const { rows } = await pool.query<PaymentRow>(PAYMENT_LEDGER_SQL, [orderId]);
  if (rows[0]) return toPaymentEntry(rows[0]);
  return {
    orderId,
    authorizations: emptyTally(),
    voids: emptyTally(),
    captures: emptyTally(),
    refunds: emptyTally(),
    openAuthorizations: 0,
  };
}

function toCarrierEntry(row: { order_id: string; bookings: number; cancellations: number }): CarrierLedgerEntry {
  return {
    orderId: row.order_id,
    bookings: row.bookings,
    cancellations: row.cancellations,
    activeBookings: row.bookings - row.cancellations,
  };
}

/** Every order the carrier has booked, keyed by order id. */
export async function carrierLedger(pool: Pool): Promise<Record<string, CarrierLedgerEntry>> {
  const { rows } = await pool.query(CARRIER_LEDGER_SQL, [null]);
  return Object.fromEntries(rows.map((row) => [row.order_id, toCarrierEntry(row)]));
}

/** One order's bookings; all zeros when the carrier never booked it. */
export async function carrierLedgerOf(pool: Pool, orderId: string): Promise<CarrierLedgerEntry> {
  const { rows } = await pool.query(CARRIER_LEDGER_SQL, [orderId]);
  return rows[0] ? toCarrierEntry(rows[0]) : { orderId, bookings: 0, cancellations: 0, activeBookings: 0 };
}

/** How many authorize attempts the gateway has seen for a tok_flaky key (0 if none). */
export async function authorizeAttempts(pool: Pool, idempotencyKey: string): Promise<number> {
  const { rows } = await pool.query<{ attempts: number }>(
    'SELECT attempts FROM payment_authorize_attempts WHERE idempotency_key = $1',
    [idempotencyKey],
  );
  return rows[0]?.attempts ?? 0;
}

export interface TravelLedgerEntry {
  tripId: string;
  /** Reservations the supplier made for the trip, by kind. */
  reserved: Record<ReservationKind, number>;
  /** Of those, cancelled. */
  cancelled: Record<ReservationKind, number>;
  itineraries: number;
}

const byKind = (): Record<ReservationKind, number> => ({ flight: 0, hotel: 0, car: 0 });

/** One trip's reservations, cancellations and itineraries; all zeros when the supplier never saw it. */
export async function travelLedgerOf(pool: Pool, tripId: string): Promise<TravelLedgerEntry> {
  const entry: TravelLedgerEntry = { tripId, reserved: byKind(), cancelled: byKind(), itineraries: 0 };
  const reservations = await pool.query<{ kind: ReservationKind; reserved: number; cancelled: number }>(
    `SELECT r.kind, count(*)::int AS reserved, count(c.reservation_id)::int AS cancelled
       FROM travel_reservations r LEFT JOIN travel_cancellations c USING (reservation_id)
      WHERE r.trip_id = $1 GROUP BY r.kind`,
    [tripId],
  );
  for (const row of reservations.rows) {
    entry.reserved[row.kind] = row.reserved;
    entry.cancelled[row.kind] = row.cancelled;
  }
  const itineraries = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM travel_itineraries WHERE trip_id = $1', [tripId]);
  entry.itineraries = itineraries.rows[0].n;
  return entry;
}

/** Calls the travel supplier received for a trip, by operation (reserve-flight, issueItinerary, …), failed ones included. */
export async function travelCallsOf(pool: Pool, tripId: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ operation: string; calls: number }>(
    'SELECT operation, sum(calls)::int AS calls FROM travel_calls WHERE trip_id = $1 GROUP BY operation',
    [tripId],
  );
  return Object.fromEntries(rows.map((row) => [row.operation, row.calls]));
}
