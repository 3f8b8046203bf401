import { z } from 'zod';
import { Currency, Id, PositiveMoney, Reason } from '../shared';

export const RecordAuthorization = z.object({
  type: z.literal('RecordAuthorization'),
  authorizationId: Id,
  amount: PositiveMoney,
  currency: Currency,
});
export const RecordVoid = z.object({ type: z.literal('RecordVoid'), authorizationId: Id, reason: Reason });
export const RecordCapture = z.object({
  type: z.literal('RecordCapture'),
  authorizationId: Id,
  captureId: Id,
  amount: PositiveMoney,
});
export const RecordRefund = z.object({ type: z.literal('RecordRefund'), refundId: Id, amount: PositiveMoney, reason: Reason });

export const PaymentCommand = z.discriminatedUnion('type', [RecordAuthorization, RecordVoid, RecordCapture, RecordRefund]);

export type RecordAuthorization = z.infer<typeof RecordAuthorization>;
export type RecordVoid = z.infer<typeof RecordVoid>;
export type RecordCapture = z.infer<typeof RecordCapture>;
export type RecordRefund = z.infer<typeof RecordRefund>;
export type PaymentCommand = z.infer<typeof PaymentCommand>;
