/**
 * Failures of outside systems. One class for every provider: what a caller
 * needs is whether to retry (`transient`) and, if not, why (`code`).
 *
 * DBOS replays a step's recorded error as a plain Error that keeps `name` and
 * the own fields but not the class, so the guards below read fields and never
 * use `instanceof`.
 */
export type ProviderName = 'payment' | 'carrier' | 'travel';

export const PROVIDER_ERROR_NAME = 'ProviderError';

export class ProviderError extends Error {
  // Declared as own fields (not getters) so they survive serialization.
  readonly code: string;
  readonly transient: boolean;
  readonly provider: ProviderName;

  constructor(provider: ProviderName, code: string, message: string, options: { transient: boolean }) {
    super(message);
    this.name = PROVIDER_ERROR_NAME;
    this.provider = provider;
    this.code = code;
    this.transient = options.transient;
  }
}

/**
 * Stable codes the simulators raise. Business failures are final; the ones
 * marked transient may succeed on retry with the same idempotency key.
 */
export const PaymentErrorCodes = {
  CARD_DECLINED: 'CARD_DECLINED',
  AUTHORIZATION_NOT_FOUND: 'AUTHORIZATION_NOT_FOUND',
  AUTHORIZATION_VOIDED: 'AUTHORIZATION_VOIDED',
  AUTHORIZATION_CAPTURED: 'AUTHORIZATION_CAPTURED',
  ALREADY_CAPTURED: 'ALREADY_CAPTURED',
  AMOUNT_EXCEEDS_AUTHORIZATION: 'AMOUNT_EXCEEDS_AUTHORIZATION',
  CAPTURE_NOT_FOUND: 'CAPTURE_NOT_FOUND',
  REFUND_EXCEEDS_CAPTURE: 'REFUND_EXCEEDS_CAPTURE',
  // transient:
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
  ISSUER_UNAVAILABLE: 'ISSUER_UNAVAILABLE',
  CONNECTION_RESET_AFTER_CAPTURE: 'CONNECTION_RESET_AFTER_CAPTURE',
} as const;

export const CarrierErrorCodes = {
  ADDRESS_UNSERVICEABLE: 'ADDRESS_UNSERVICEABLE',
  BOOKING_NOT_FOUND: 'BOOKING_NOT_FOUND',
} as const;

export const TravelErrorCodes = {
  SOLD_OUT: 'SOLD_OUT',
  RESERVATION_NOT_FOUND: 'RESERVATION_NOT_FOUND',
  /** An itinerary over a reservation that is cancelled or belongs to another trip. */
  RESERVATION_NOT_ACTIVE: 'RESERVATION_NOT_ACTIVE',
  // transient:
  SUPPLIER_TIMEOUT: 'SUPPLIER_TIMEOUT',
  ITINERARY_SERVICE_DOWN: 'ITINERARY_SERVICE_DOWN',
} as const;

/** Raised by every provider. */
export const CommonErrorCodes = {
  /** The request failed validation; it never reached the provider's books. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** The idempotency key was used before with a different request: a caller bug, never retried. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
} as const;

export type ProviderErrorCode =
  | (typeof PaymentErrorCodes)[keyof typeof PaymentErrorCodes]
  | (typeof CarrierErrorCodes)[keyof typeof CarrierErrorCodes]
  | (typeof TravelErrorCodes)[keyof typeof TravelErrorCodes]
  | (typeof CommonErrorCodes)[keyof typeof CommonErrorCodes];

interface ProviderErrorFields {
  name?: unknown;
  code?: unknown;
  transient?: unknown;
}

/** True for a ProviderError, live or replayed as a plain object/Error with the same fields. */
export function isProviderError(err: unknown): err is ProviderError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ProviderErrorFields;
  return e.name === PROVIDER_ERROR_NAME && typeof e.code === 'string' && typeof e.transient === 'boolean';
}

/** A failure worth retrying: the same request may succeed later. */
export function isTransientProviderError(err: unknown): err is ProviderError {
  return isProviderError(err) && err.transient === true;
}

/** A final answer from the provider (declined, not found, ...): retrying changes nothing. */
export function isBusinessProviderError(err: unknown): err is ProviderError {
  return isProviderError(err) && err.transient === false;
}

export const businessError = (provider: ProviderName, code: string, message: string) =>
  new ProviderError(provider, code, message, { transient: false });

export const transientError = (provider: ProviderName, code: string, message: string) =>
  new ProviderError(provider, code, message, { transient: true });
