import { z } from 'zod';

/**
 * The payment gateway as the saga sees it. Money is in integer minor units
 * (cents); every call carries an idempotency key, and a repeated key returns
 * the first outcome instead of acting twice.
 */

const idempotencyKey = z.string().min(1).max(200);
const providerId = z.string().min(1).max(200);
const minorUnits = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const AuthorizeRequest = z.object({
  idempotencyKey,
  orderId: z.string().min(1).max(200),
  amount: minorUnits,
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  token: z.string().min(1).max(200),
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
