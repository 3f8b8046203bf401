import { z } from 'zod';
import { ISO_4217_CURRENCIES } from './iso-4217';

/**
 * The payment gateway as the saga sees it. Money is in integer minor units
 * (cents); every call carries an idempotency key, and a repeated key returns
 * the first outcome instead of acting twice.
 */

const idempotencyKey = z.string().min(1).max(200);
const providerId = z.string().min(1).max(200);
const minorUnits = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** What the gateway charges in: a currency code from ISO 4217's list, not any three letters. */
const currencies: ReadonlySet<string> = new Set(ISO_4217_CURRENCIES);
export const CurrencyCode = z.string().refine((code) => currencies.has(code), 'an ISO 4217 currency code such as EUR');
/** A card token is a reference to a card the gateway holds: printable ASCII, no spaces. */
export const CardToken = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'a card token: 1 to 200 printable ASCII characters, no spaces')
  // The simulator's tokens (payment-simulator.ts): suggestions in the console's start form.
  .meta({ examples: ['tok_visa', 'tok_declined', 'tok_flaky', 'tok_unvoidable'] });

export const AuthorizeRequest = z.object({
  idempotencyKey,
  orderId: z.string().min(1).max(200),
  amount: minorUnits,
  currency: CurrencyCode,
  token: CardToken,
});
export type AuthorizeRequest = z.infer<typeof AuthorizeRequest>;

export const VoidRequest = z.object({ idempotencyKey, authorizationId: providerId });
export type VoidRequest = z.infer<typeof VoidRequest>;

export const CaptureRequest = z.object({ idempotencyKey, authorizationId: providerId, amount: minorUnits });
export type CaptureRequest = z.infer<typeof CaptureRequest>;

export const RefundRequest = z.object({ idempotencyKey, captureId: providerId, amount: minorUnits });
export type RefundRequest = z.infer<typeof RefundRequest>;

export interface AuthorizeResult {
  authorizationId: string;
}
export interface VoidResult {
  voidId: string;
}
export interface CaptureResult {
  captureId: string;
}
export interface RefundResult {
  refundId: string;
}

export interface PaymentGateway {
  authorize(r: AuthorizeRequest): Promise<AuthorizeResult>;
  void(r: VoidRequest): Promise<VoidResult>;
  capture(r: CaptureRequest): Promise<CaptureResult>;
  refund(r: RefundRequest): Promise<RefundResult>;
}

/** Card tokens with scripted behaviour in the simulator; any other token is a good card. */
export const SimulatorTokens = {
  DECLINED: 'tok_declined',
  FLAKY: 'tok_flaky',
  UNVOIDABLE: 'tok_unvoidable',
} as const;
