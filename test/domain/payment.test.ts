import {
  AuthorizationVoided,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentRefunded,
  paymentDecider,
  paymentStreamId,
  paymentView,
  type PaymentEvent,
  type RecordAuthorization,
  type RecordCapture,
  type RecordRefund,
  type RecordVoid,
} from '../../src/domain/payment';
import { spec } from '../support/decider-spec';

const payment = spec(paymentDecider);

const authorize: RecordAuthorization = { type: 'RecordAuthorization', authorizationId: 'auth-1', amount: 1375, currency: 'EUR' };
const voidIt: RecordVoid = { type: 'RecordVoid', authorizationId: 'auth-1', reason: 'saga compensated' };
const capture: RecordCapture = { type: 'RecordCapture', authorizationId: 'auth-1', captureId: 'cap-1', amount: 1375 };
const refund: RecordRefund = { type: 'RecordRefund', refundId: 'ref-1', amount: 1375, reason: 'returned' };

const authorized = PaymentAuthorized({ authorizationId: 'auth-1', amount: 1375, currency: 'EUR' });
const voided = AuthorizationVoided({ authorizationId: 'auth-1', reason: 'saga compensated' });
const captured = PaymentCaptured({ authorizationId: 'auth-1', captureId: 'cap-1', amount: 1375 });
const refunded = PaymentRefunded({ refundId: 'ref-1', amount: 1375, reason: 'returned' });

const history: Record<string, PaymentEvent[]> = {
  none: [],
  authorized: [authorized],
  voided: [authorized, voided],
  captured: [authorized, captured],
  refunded: [authorized, captured, refunded],
};

describe('payment', () => {
  it('lives in payment-<orderId> streams', () => {
    expect(paymentStreamId('o-1')).toBe('payment-o-1');
    expect(paymentDecider.category).toBe('payment');
  });

  it('starts with nothing', () => {
    payment.given([]).andView(paymentView, { status: 'none', amount: 0 });
  });

  describe('RecordAuthorization', () => {
    it('records an authorization', () => {
      payment
        .when(authorize)
        .then([authorized])
        .andView(paymentView, { status: 'authorized', amount: 1375, currency: 'EUR', authorizationId: 'auth-1' });
    });

    it.each(['authorized', 'voided', 'captured', 'refunded'])('is a no-op when the same authorization is reported again (%s)', (s) => {
      payment.given(history[s]).when(authorize).thenNothing();
    });

    it.each([
      ['another id', { authorizationId: 'auth-2' }],
      ['another amount', { amount: 1 }],
      ['another currency', { currency: 'USD' }],
    ])('refuses a different authorization (%s)', (_name, patch) => {
      payment
        .given([authorized])
        .when({ ...authorize, ...patch })
        .thenThrows('PAYMENT_ALREADY_AUTHORIZED', { authorizationId: 'auth-1' });
    });

    it.each([0, -5, 10.5])('refuses an amount of %s', (amount) => {
      payment.when({ ...authorize, amount }).thenThrows('INVALID_COMMAND');
    });
  });

  describe('RecordVoid', () => {
    it('voids an authorized payment', () => {
      payment
        .given([authorized])
        .when(voidIt)
        .then([voided])
        .andView(paymentView, { status: 'voided', amount: 1375, currency: 'EUR', authorizationId: 'auth-1' });
    });

    it('is a no-op when nothing was authorized (nothing to undo)', () => {
      payment.when(voidIt).thenNothing();
    });

    it('is a no-op when voided twice', () => {
      payment.given(history.voided).when(voidIt).thenNothing();
    });

    it.each(['captured', 'refunded'])('refuses a %s payment', (s) => {
      payment.given(history[s]).when(voidIt).thenThrows('PAYMENT_ALREADY_CAPTURED', { captureId: 'cap-1' });
    });

    it('refuses to void another authorization than the one recorded', () => {
      payment.given([authorized]).when({ ...voidIt, authorizationId: 'auth-2' }).thenThrows('AUTHORIZATION_MISMATCH');
    });
  });

  describe('RecordCapture', () => {
    it('captures an authorized payment', () => {
      payment
        .given([authorized])
        .when(capture)
        .then([captured])
        .andView(paymentView, {
          status: 'captured',
          amount: 1375,
          currency: 'EUR',
          authorizationId: 'auth-1',
          captureId: 'cap-1',
        });
    });

    it('may capture less than authorized', () => {
      payment
        .given([authorized])
        .when({ ...capture, amount: 1000 })
        .then([PaymentCaptured({ authorizationId: 'auth-1', captureId: 'cap-1', amount: 1000 })]);
    });

    it('never captures more than authorized', () => {
      payment
        .given([authorized])
        .when({ ...capture, amount: 1376 })
        .thenThrows('CAPTURE_EXCEEDS_AUTHORIZATION', { requested: 1376, authorized: 1375 });
    });

    it('needs an authorization', () => {
      payment.when(capture).thenThrows('PAYMENT_NOT_AUTHORIZED');
    });

    it('refuses a voided authorization', () => {
      payment.given(history.voided).when(capture).thenThrows('PAYMENT_VOIDED', { authorizationId: 'auth-1' });
    });

    it('refuses to capture another authorization than the one recorded', () => {
      payment.given([authorized]).when({ ...capture, authorizationId: 'auth-2' }).thenThrows('AUTHORIZATION_MISMATCH');
    });

    it.each(['captured', 'refunded'])('is a no-op when the same capture is reported again (%s)', (s) => {
      payment.given(history[s]).when(capture).thenNothing();
    });

    it('refuses a second, different capture: money would be taken twice', () => {
      payment
        .given(history.captured)
        .when({ ...capture, captureId: 'cap-2' })
        .thenThrows('PAYMENT_ALREADY_CAPTURED', { captureId: 'cap-1', attempted: 'cap-2' });
    });
  });

  describe('RecordRefund', () => {
    it('refunds a captured payment', () => {
      payment
        .given(history.captured)
        .when(refund)
        .then([refunded])
        .andView(paymentView, {
          status: 'refunded',
          amount: 1375,
          currency: 'EUR',
          authorizationId: 'auth-1',
          captureId: 'cap-1',
          refundId: 'ref-1',
        });
    });

    it('never refunds more than captured', () => {
      payment
        .given(history.captured)
        .when({ ...refund, amount: 2000 })
        .thenThrows('REFUND_EXCEEDS_CAPTURE', { requested: 2000, captured: 1375 });
    });

    it.each(['none', 'authorized', 'voided'])('needs a captured payment, not %s', (s) => {
      payment.given(history[s]).when(refund).thenThrows('PAYMENT_NOT_CAPTURED', { status: s });
    });

    it('is a no-op when the same refund is reported again', () => {
      payment.given(history.refunded).when(refund).thenNothing();
    });

    it('refuses a second, different refund', () => {
      payment
        .given(history.refunded)
        .when({ ...refund, refundId: 'ref-2' })
        .thenThrows('PAYMENT_ALREADY_REFUNDED', { refundId: 'ref-1', attempted: 'ref-2' });
    });
  });
});
