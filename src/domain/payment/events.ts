import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { Currency, Id, PositiveMoney, Reason } from '../shared';

// Facts reported by the payment provider, recorded per order (`payment-<orderId>`).
export const PaymentAuthorized = defineEvent(
  'PaymentAuthorized',
  z.object({ authorizationId: Id, amount: PositiveMoney, currency: Currency }),
);
export const AuthorizationVoided = defineEvent('AuthorizationVoided', z.object({ authorizationId: Id, reason: Reason }));
export const PaymentCaptured = defineEvent(
  'PaymentCaptured',
  z.object({ authorizationId: Id, captureId: Id, amount: PositiveMoney }),
);
export const PaymentRefunded = defineEvent(
  'PaymentRefunded',
  z.object({ refundId: Id, amount: PositiveMoney, reason: Reason }),
);

export const paymentEvents = [PaymentAuthorized, AuthorizationVoided, PaymentCaptured, PaymentRefunded];

export type PaymentAuthorized = EventOf<typeof PaymentAuthorized>;
export type PaymentCaptured = EventOf<typeof PaymentCaptured>;
export type PaymentRefunded = EventOf<typeof PaymentRefunded>;
export type PaymentEvent = PaymentAuthorized | EventOf<typeof AuthorizationVoided> | PaymentCaptured | PaymentRefunded;
