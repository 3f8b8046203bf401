import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Currency, Id, PositiveMoney } from '../../domain/shared';
import { CardToken } from '../../providers/payment-gateway';
import { CarChoice, FlightChoice, HotelChoice } from '../../providers/travel';

/**
 * What a travel booking starts from, built from the supplier's and the
 * gateway's own schemas. The trip id is made when the input is parsed, so the
 * input the saga stores (and every replay reads) carries it.
 */
export const TravelBookingInput = z.object({
  tripId: Id.default(() => randomUUID()),
  travellerId: Id,
  flight: FlightChoice,
  hotel: HotelChoice,
  car: CarChoice,
  /** The trip's price in minor units, charged once everything is held. */
  amount: PositiveMoney,
  currency: Currency,
  payment: z.object({ token: CardToken }),
});
export type TravelBookingInput = z.infer<typeof TravelBookingInput>;
