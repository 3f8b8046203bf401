import type { Decider } from '../../eventstore/decider';
import { DomainError } from '../../eventstore/decider';
import { parseCommand, streamIdIn } from '../shared';
import { PaymentCommand, type RecordAuthorization, type RecordCapture, type RecordRefund, type RecordVoid } from './commands';
import {
  AuthorizationVoided,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentRefunded,
  type PaymentEvent,
} from './events';

type Authorization = PaymentAuthorized['data'];
type Capture = PaymentCaptured['data'];
type Refund = PaymentRefunded['data'];

/** One authorization per order, captured once and refunded once at most. */
export type PaymentState =
  | { status: 'none' }
  | { status: 'authorized'; authorization: Authorization }
  | { status: 'voided'; authorization: Authorization; voidReason: string }
  | { status: 'captured'; authorization: Authorization; capture: Capture }
  | { status: 'refunded'; authorization: Authorization; capture: Capture; refund: Refund };
export type PaymentStatus = PaymentState['status'];

export const paymentStreamId = streamIdIn('payment');

/*
 * The provider is the source of truth and these commands record what it did,
 * so the same report twice is a no-op, while a different report of a fact
 * already recorded (a second authorization, a second capture) is a real
 * anomaly — possibly money taken twice — and must surface, not be swallowed.
 */

function authorize(c: RecordAuthorization, s: PaymentState): PaymentEvent[] {
  if (s.status === 'none') {
    return [PaymentAuthorized({ authorizationId: c.authorizationId, amount: c.amount, currency: c.currency })];
  }
  const a = s.authorization;
  if (a.authorizationId === c.authorizationId && a.amount === c.amount && a.currency === c.currency) return [];
  throw new DomainError('PAYMENT_ALREADY_AUTHORIZED', `payment already authorized as ${a.authorizationId}`, {
    authorizationId: a.authorizationId,
    attempted: c.authorizationId,
  });
}

function checkAuthorization(s: { authorization: Authorization }, authorizationId: string): void {
  if (s.authorization.authorizationId !== authorizationId) {
    throw new DomainError('AUTHORIZATION_MISMATCH', `payment is authorized as ${s.authorization.authorizationId}, not ${authorizationId}`, {
      authorizationId: s.authorization.authorizationId,
      attempted: authorizationId,
    });
  }
}

function voidAuthorization(c: RecordVoid, s: PaymentState): PaymentEvent[] {
  switch (s.status) {
    // A compensation may run although the authorization never happened.
    case 'none':
    case 'voided':
      return [];
    case 'captured':
    case 'refunded':
      throw new DomainError('PAYMENT_ALREADY_CAPTURED', 'a captured payment cannot be voided: refund it', {
        captureId: s.capture.captureId,
      });
    case 'authorized':
      checkAuthorization(s, c.authorizationId);
      return [AuthorizationVoided({ authorizationId: c.authorizationId, reason: c.reason })];
  }
}

function capture(c: RecordCapture, s: PaymentState): PaymentEvent[] {
  switch (s.status) {
    case 'none':
      throw new DomainError('PAYMENT_NOT_AUTHORIZED', 'nothing to capture: no authorization recorded');
    case 'voided':
      throw new DomainError('PAYMENT_VOIDED', `authorization ${s.authorization.authorizationId} was voided`, {
        authorizationId: s.authorization.authorizationId,
      });
    case 'captured':
    case 'refunded': {
      const done = s.capture;
      if (done.captureId === c.captureId && done.authorizationId === c.authorizationId && done.amount === c.amount) return [];
      throw new DomainError('PAYMENT_ALREADY_CAPTURED', `payment already captured as ${done.captureId}`, {
        captureId: done.captureId,
        attempted: c.captureId,
      });
    }
    case 'authorized':
      checkAuthorization(s, c.authorizationId);
      if (c.amount > s.authorization.amount) {
        throw new DomainError('CAPTURE_EXCEEDS_AUTHORIZATION', `capture of ${c.amount} exceeds the authorized ${s.authorization.amount}`, {
          requested: c.amount,
          authorized: s.authorization.amount,
        });
      }
      return [PaymentCaptured({ authorizationId: c.authorizationId, captureId: c.captureId, amount: c.amount })];
  }
}

function refund(c: RecordRefund, s: PaymentState): PaymentEvent[] {
  switch (s.status) {
    case 'none':
    case 'authorized':
    case 'voided':
      throw new DomainError('PAYMENT_NOT_CAPTURED', `nothing to refund: payment is ${s.status}`, { status: s.status });
    case 'refunded':
      if (s.refund.refundId === c.refundId && s.refund.amount === c.amount) return [];
      throw new DomainError('PAYMENT_ALREADY_REFUNDED', `payment already refunded as ${s.refund.refundId}`, {
        refundId: s.refund.refundId,
        attempted: c.refundId,
      });
    case 'captured':
      if (c.amount > s.capture.amount) {
        throw new DomainError('REFUND_EXCEEDS_CAPTURE', `refund of ${c.amount} exceeds the captured ${s.capture.amount}`, {
          requested: c.amount,
          captured: s.capture.amount,
        });
      }
      return [PaymentRefunded({ refundId: c.refundId, amount: c.amount, reason: c.reason })];
  }
}

function decide(command: PaymentCommand, state: PaymentState): PaymentEvent[] {
  const c = parseCommand(PaymentCommand, command);
  switch (c.type) {
    case 'RecordAuthorization':
      return authorize(c, state);
    case 'RecordVoid':
      return voidAuthorization(c, state);
    case 'RecordCapture':
      return capture(c, state);
    case 'RecordRefund':
      return refund(c, state);
  }
}

function evolve(state: PaymentState, event: PaymentEvent): PaymentState {
  switch (event.type) {
    case 'PaymentAuthorized':
      return { status: 'authorized', authorization: event.data };
    case 'AuthorizationVoided':
      return state.status === 'authorized' ? { ...state, status: 'voided', voidReason: event.data.reason } : state;
    case 'PaymentCaptured':
      return state.status === 'authorized' ? { ...state, status: 'captured', capture: event.data } : state;
    case 'PaymentRefunded':
      return state.status === 'captured' ? { ...state, status: 'refunded', refund: event.data } : state;
    default:
      return state;
  }
}

export const paymentDecider: Decider<PaymentState, PaymentCommand, PaymentEvent> = {
  name: 'payment',
  version: 1,
  category: 'payment',
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export interface PaymentView {
  status: PaymentStatus;
  /** The amount of the latest fact: authorized or voided, captured, or refunded; 0 when none. */
  amount: number;
  currency?: string;
  authorizationId?: string;
  captureId?: string;
  refundId?: string;
}

export function paymentView(state: PaymentState): PaymentView {
  switch (state.status) {
    case 'none':
      return { status: 'none', amount: 0 };
    case 'authorized':
    case 'voided': {
      const { amount, currency, authorizationId } = state.authorization;
      return { status: state.status, amount, currency, authorizationId };
    }
    case 'captured': {
      const { currency, authorizationId } = state.authorization;
      return { status: 'captured', amount: state.capture.amount, currency, authorizationId, captureId: state.capture.captureId };
    }
    case 'refunded': {
      const { currency, authorizationId } = state.authorization;
      return {
        status: 'refunded',
        amount: state.refund.amount,
        currency,
        authorizationId,
        captureId: state.capture.captureId,
        refundId: state.refund.refundId,
      };
    }
  }
}
