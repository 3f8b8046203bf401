import { z } from 'zod';

/**
 * The travel supplier as a saga sees it: flights, hotel rooms and rental cars
 * held for a trip, cancelled by reservation id, and an itinerary issued over
 * them. Every call carries an idempotency key; a repeat returns the first outcome.
 */

const idempotencyKey = z.string().min(1).max(200);
const reference = z.string().min(1).max(200);
/** Airports and cities by IATA code (LHR, NYC). The simulator scripts a few codes: see TravelScenarios. */
export const LocationCode = z.string().regex(/^[A-Z]{3}$/, 'an IATA code such as LHR');
const day = z.iso.date();

export const FlightChoice = z.object({ from: LocationCode, to: LocationCode, departOn: day });
export const HotelChoice = z
  .object({ city: LocationCode, checkIn: day, checkOut: day })
  .refine((h) => h.checkIn < h.checkOut, { message: 'after checkIn', path: ['checkOut'] });
export const CarChoice = z
  .object({ pickUp: LocationCode, pickUpOn: day, dropOffOn: day })
  .refine((c) => c.pickUpOn <= c.dropOffOn, { message: 'on or after pickUpOn', path: ['dropOffOn'] });
export type FlightChoice = z.infer<typeof FlightChoice>;
export type HotelChoice = z.infer<typeof HotelChoice>;
export type CarChoice = z.infer<typeof CarChoice>;

export const ReservationKind = z.enum(['flight', 'hotel', 'car']);
export type ReservationKind = z.infer<typeof ReservationKind>;

const forTrip = { idempotencyKey, tripId: reference, travellerId: reference };
export const ReserveFlightRequest = z.object({ ...forTrip, flight: FlightChoice });
export const ReserveHotelRequest = z.object({ ...forTrip, hotel: HotelChoice });
export const ReserveCarRequest = z.object({ ...forTrip, car: CarChoice });
export const CancelReservationRequest = z.object({ idempotencyKey, reservationId: reference });
export const IssueItineraryRequest = z.object({ ...forTrip, reservationIds: z.array(reference).min(1).max(10) });
export type ReserveFlightRequest = z.infer<typeof ReserveFlightRequest>;
export type ReserveHotelRequest = z.infer<typeof ReserveHotelRequest>;
export type ReserveCarRequest = z.infer<typeof ReserveCarRequest>;
export type CancelReservationRequest = z.infer<typeof CancelReservationRequest>;
export type IssueItineraryRequest = z.infer<typeof IssueItineraryRequest>;

export interface Reservation {
  reservationId: string;
  kind: ReservationKind;
  /** What the traveller quotes at the desk, e.g. FL000042. */
  confirmation: string;
}
export interface CancelReservationResult {
  cancelled: true;
}
export interface Itinerary {
  itineraryId: string;
  /** e.g. ITN000007 */
  reference: string;
}

export interface TravelSupplier {
  reserveFlight(r: ReserveFlightRequest): Promise<Reservation>;
  reserveHotel(r: ReserveHotelRequest): Promise<Reservation>;
  reserveCar(r: ReserveCarRequest): Promise<Reservation>;
  cancel(r: CancelReservationRequest): Promise<CancelReservationResult>;
  issueItinerary(r: IssueItineraryRequest): Promise<Itinerary>;
}

/**
 * Location codes with scripted behaviour in the simulator, for a flight's
 * destination, a hotel's city or a car's pick-up; any other code is served.
 */
export const TravelScenarios = {
  /** Nothing left there: the reservation is refused (SOLD_OUT, a business failure). */
  SOLD_OUT: 'XXX',
  /** The supplier times out (SUPPLIER_TIMEOUT, transient) on the first calls per key, then answers. */
  FLAKY: 'XFL',
  /** The supplier answers after a delay: a crash test kills the process while the call is in flight. */
  SLOW: 'XSL',
} as const;
