import { z } from 'zod';
import { ReservationKind } from '../../providers/travel';
import { Currency, Id, PositiveMoney, Reason } from '../shared';

export const RequestTrip = z.object({ type: z.literal('RequestTrip'), travellerId: Id, amount: PositiveMoney, currency: Currency });
export const RecordTripItem = z.object({
  type: z.literal('RecordTripItem'),
  kind: ReservationKind,
  reservationId: Id,
  confirmation: z.string().min(1),
});
export const ReleaseTripItem = z.object({ type: z.literal('ReleaseTripItem'), kind: ReservationKind, reason: Reason });
export const RecordCharge = z.object({ type: z.literal('RecordCharge'), authorizationId: Id, captureId: Id, amount: PositiveMoney });
export const RecordItinerary = z.object({ type: z.literal('RecordItinerary'), itineraryId: Id, reference: z.string().min(1) });
export const CancelTrip = z.object({ type: z.literal('CancelTrip'), reason: Reason });

export const TripCommand = z.discriminatedUnion('type', [RequestTrip, RecordTripItem, ReleaseTripItem, RecordCharge, RecordItinerary, CancelTrip]);

export type RequestTrip = z.infer<typeof RequestTrip>;
export type RecordTripItem = z.infer<typeof RecordTripItem>;
export type RecordCharge = z.infer<typeof RecordCharge>;
export type RecordItinerary = z.infer<typeof RecordItinerary>;
export type TripCommand = z.infer<typeof TripCommand>;
