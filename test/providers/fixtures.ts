import { randomUUID } from 'node:crypto';
import type { AuthorizeRequest, BookRequest } from '../../src/providers';

/** A key no other test uses: tests share one database per file. */
export const uniqueKey = (label: string) => `${label}-${randomUUID()}`;

export const authorizeRequest = (overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  idempotencyKey: uniqueKey('auth'),
  orderId: uniqueKey('order'),
  amount: 4200,
  currency: 'EUR',
  token: 'tok_visa',
  ...overrides,
});

export const bookRequest = (overrides: Partial<BookRequest> = {}): BookRequest => ({
  idempotencyKey: uniqueKey('book'),
  orderId: uniqueKey('order'),
  address: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  items: [{ sku: 'SKU-1', quantity: 2 }],
  ...overrides,
});

/** Resolves to the rejection reason, failing the test if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err,
  );
}

/** The ids every reservation of one trip carries; a trip no other test uses. */
export const tripIds = () => ({ tripId: uniqueKey('trip'), travellerId: 'traveller-1' });

export { car, flight, hotel } from '../support/travel';
