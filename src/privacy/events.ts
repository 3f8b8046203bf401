import { z } from 'zod';
import { defineEvent } from '../eventstore/registry';

/**
 * An operator forgot a customer (GDPR erasure): their data key was deleted in
 * the same transaction, so everything sealed with it is unreadable from then
 * on. Stream `customer-<id>`.
 */
export const CustomerForgotten = defineEvent(
  'CustomerForgotten',
  z.object({ customerId: z.string().min(1), actor: z.string().min(1), reason: z.string().min(1) }),
);

export const privacyEvents = [CustomerForgotten];

export const customerStreamId = (customerId: string) => `customer-${customerId}`;
