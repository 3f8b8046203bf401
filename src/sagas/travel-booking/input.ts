import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Currency, Id, PositiveMoney } from '../../domain/shared';
import type { Privacy } from '../../privacy/privacy';
import { CardRef } from '../../privacy/sealed';
import { CardToken } from '../../providers/payment-gateway';
import { CarChoice, FlightChoice, HotelChoice } from '../../providers/travel';

/**
 * What a travel booking starts from, built from the supplier's and the
 * gateway's own schemas. The trip id is made when the input is parsed, so the
 * input the saga stores (and every replay reads) carries it.
 */
export const TravelBookingInput = z.object({
  // Made by the server: a client may not choose it (another trip's id would make its saga undo that trip).
  tripId: Id.default(() => randomUUID()).meta({ readOnly: true }),
  travellerId: Id,
  flight: FlightChoice,
  hotel: HotelChoice,
  car: CarChoice,
  /** The trip's price in minor units, charged once everything is held. */
  amount: PositiveMoney,
  currency: Currency,
  payment: z.object({ token: CardToken }),
}).meta({
  // The console prefills its start form with the first example: it books (no scripted failure at these places).
  examples: [
    {
      travellerId: 'traveller-1',
      flight: { from: 'LHR', to: 'JFK', departOn: '2030-05-01' },
      hotel: { city: 'NYC', checkIn: '2030-05-01', checkOut: '2030-05-04' },
      car: { pickUp: 'JFK', pickUpOn: '2030-05-01', dropOffOn: '2030-05-04' },
      amount: 120_000,
      currency: 'EUR',
      payment: { token: 'tok_visa' },
    },
  ],
});
export type TravelBookingInput = z.infer<typeof TravelBookingInput>;

/**
 * The input as the saga runs on it and every store keeps it: the card in the
 * vault (under the traveller's key), only its reference here. The trip's
 * choices are not personal data.
 */
export const StoredTravelBookingInput = TravelBookingInput.extend({ payment: z.object({ cardRef: CardRef }) });
export type StoredTravelBookingInput = z.infer<typeof StoredTravelBookingInput>;

/** Vaults the card of an input; an input whose card is vaulted already is returned as it is. */
export async function vaultTravellerCard(privacy: Privacy, input: unknown): Promise<StoredTravelBookingInput> {
  const stored = StoredTravelBookingInput.safeParse(input);
  if (stored.success) return stored.data;
  const clear = TravelBookingInput.parse(input);
  return { ...clear, payment: { cardRef: await privacy.vaultCard(clear.travellerId, clear.payment.token) } };
}
