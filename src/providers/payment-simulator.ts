/**
 * PaymentSimulator: a payment gateway that keeps its books in Postgres
 * (payment_* tables, migrations/002_providers.sql).
 *
 * Idempotency
 *   Every call carries an idempotency key (scoped per operation). The first
 *   outcome, success or business error, is recorded; a repeat with the same
 *   key returns that result or re-throws that error without a second effect,
 *   even after a restart. Concurrent calls with one key produce one effect.
 *   Transient failures are not recorded: a retry with the same key may succeed.
 *   Reusing a key for a different request fails with IDEMPOTENCY_KEY_REUSED.
 *   Malformed requests fail with INVALID_REQUEST and record nothing.
 *
 * Card tokens (any other token is a good card)
 *   tok_declined    authorize fails: CARD_DECLINED (business).
 *   tok_flaky       authorize fails transiently (GATEWAY_TIMEOUT) on the first
 *                   2 attempts for an idempotency key, succeeds on the 3rd.
 *                   Attempts are counted in payment_authorize_attempts, so the
 *                   count survives restarts.
 *   tok_unvoidable  authorize succeeds, but every void of the authorization
 *                   fails transiently (ISSUER_UNAVAILABLE) until the switch
 *                   issuer_recovered is on. A compensation keeps failing until
 *                   an operator flips the switch and retries.
 *
 * Switches (simulator_switches, see switches.ts)
 *   outage_after_capture  capture takes effect and is recorded, then the call
 *                   throws CONNECTION_RESET_AFTER_CAPTURE (transient). While
 *                   the switch is on, every successful capture answer is lost
 *                   this way, repeats included; once it is off, a repeat with
 *                   the same key returns the recorded capture.
 *   issuer_recovered  see tok_unvoidable.
 *
 * Business rules
 *   void     unknown authorization: AUTHORIZATION_NOT_FOUND; captured
 *            authorization: AUTHORIZATION_CAPTURED (refund the capture
 *            instead); already voided, even with a new key: success with the
 *            original voidId (an undo is idempotent).
 *   capture  unknown authorization: AUTHORIZATION_NOT_FOUND; voided:
 *            AUTHORIZATION_VOIDED; already captured under another key:
 *            ALREADY_CAPTURED; amount above the authorized amount:
 *            AMOUNT_EXCEEDS_AUTHORIZATION. One capture per authorization,
 *            partial amounts allowed.
 *   refund   unknown capture: CAPTURE_NOT_FOUND; refunds of a capture may be
 *            partial and repeated, but together never exceed it:
 *            REFUND_EXCEEDS_CAPTURE.
 *
 * Ids are random (auth_/void_/cap_/re_ + UUID); they are recorded, so a
 * repeated call returns the same id.
 */
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from '../db/pool';
import { businessError, PaymentErrorCodes as Codes, transientError } from './errors';
import { parseRequest } from './parse-request';
import {
  AuthorizeRequest,
  CaptureRequest,
  RefundRequest,
  SimulatorTokens,
  VoidRequest,
  type AuthorizeResult,
  type CaptureResult,
  type PaymentGateway,
  type RefundResult,
  type VoidResult,
} from './payment-gateway';
import { performOnce } from './perform-once';
import { isSwitchOn } from './switches';

/** tok_flaky fails this many attempts per idempotency key before it succeeds. */
export const FLAKY_FAILURES_BEFORE_SUCCESS = 2;

const declined = (message: string) => businessError('payment', Codes.CARD_DECLINED, message);
const paymentError = (code: string, message: string) => businessError('payment', code, message);
const newId = (prefix: string) => `${prefix}_${randomUUID()}`;

interface LockedAuthorization {
  amount: number;
  token: string;
  voidId: string | undefined;
  captureId: string | undefined;
}

export class PaymentSimulator implements PaymentGateway {
  constructor(private readonly pool: Pool) {}

  async authorize(input: AuthorizeRequest): Promise<AuthorizeResult> {
    const r = parseRequest('payment', AuthorizeRequest, input);
    return performOnce(this.pool, this.call('authorize', r), async (db) => {
      if (r.token === SimulatorTokens.DECLINED) throw declined(`card declined for order ${r.orderId}`);
      if (r.token === SimulatorTokens.FLAKY) {
        const attempt = await countAuthorizeAttempt(db, r.idempotencyKey);
        if (attempt <= FLAKY_FAILURES_BEFORE_SUCCESS) {
          throw transientError('payment', Codes.GATEWAY_TIMEOUT, `gateway timed out (attempt ${attempt})`);
        }
      }
      const authorizationId = newId('auth');
      await db.query(
        `INSERT INTO payment_authorizations (authorization_id, order_id, amount, currency, token)
         VALUES ($1, $2, $3, $4, $5)`,
        [authorizationId, r.orderId, r.amount, r.currency, r.token],
      );
      return { authorizationId };
    });
  }

  async void(input: VoidRequest): Promise<VoidResult> {
    const r = parseRequest('payment', VoidRequest, input);
    return performOnce(this.pool, this.call('void', r), async (db) => {
      const auth = await lockAuthorization(db, r.authorizationId);
      if (auth.token === SimulatorTokens.UNVOIDABLE && !(await isSwitchOn(db, 'issuer_recovered'))) {
        const message = `issuer unavailable, cannot void ${r.authorizationId}`;
        throw transientError('payment', Codes.ISSUER_UNAVAILABLE, message);
      }
      if (auth.captureId) {
        throw paymentError(Codes.AUTHORIZATION_CAPTURED, `${r.authorizationId} was captured; refund it instead`);
      }
      if (auth.voidId) return { voidId: auth.voidId };
      const voidId = newId('void');
      await db.query('INSERT INTO payment_voids (void_id, authorization_id) VALUES ($1, $2)', [
        voidId,
        r.authorizationId,
      ]);
      return { voidId };
    });
  }

  async capture(input: CaptureRequest): Promise<CaptureResult> {
    const r = parseRequest('payment', CaptureRequest, input);
    const captured = await performOnce(this.pool, this.call('capture', r), async (db) => {
      const auth = await lockAuthorization(db, r.authorizationId);
      if (auth.voidId) throw paymentError(Codes.AUTHORIZATION_VOIDED, `${r.authorizationId} was voided`);
      if (auth.captureId) throw paymentError(Codes.ALREADY_CAPTURED, `${r.authorizationId} was already captured`);
      if (r.amount > auth.amount) {
        throw paymentError(
          Codes.AMOUNT_EXCEEDS_AUTHORIZATION,
          `capture of ${r.amount} exceeds the authorized ${auth.amount}`,
        );
      }
      const captureId = newId('cap');
      await db.query('INSERT INTO payment_captures (capture_id, authorization_id, amount) VALUES ($1, $2, $3)', [
        captureId,
        r.authorizationId,
        r.amount,
      ]);
      return { captureId };
    });
    // Checked after the commit on purpose: the money has moved, only the answer is lost.
    if (await isSwitchOn(this.pool, 'outage_after_capture')) {
      throw transientError('payment', Codes.CONNECTION_RESET_AFTER_CAPTURE, 'connection reset after capture');
    }
    return captured;
  }

  async refund(input: RefundRequest): Promise<RefundResult> {
    const r = parseRequest('payment', RefundRequest, input);
    return performOnce(this.pool, this.call('refund', r), async (db) => {
      const capture = await db.query<{ amount: number }>(
        'SELECT amount FROM payment_captures WHERE capture_id = $1 FOR UPDATE',
        [r.captureId],
      );
      if (!capture.rowCount) throw paymentError(Codes.CAPTURE_NOT_FOUND, `no capture ${r.captureId}`);
      const captured = capture.rows[0].amount;
      const refunded = await db.query<{ total: number }>(
        'SELECT coalesce(sum(amount), 0)::bigint AS total FROM payment_refunds WHERE capture_id = $1',
        [r.captureId],
      );
      const alreadyRefunded = refunded.rows[0].total;
      if (alreadyRefunded + r.amount > captured) {
        throw paymentError(
          Codes.REFUND_EXCEEDS_CAPTURE,
          `refund of ${r.amount} exceeds what is left of the capture (${captured - alreadyRefunded})`,
        );
      }
      const refundId = newId('re');
      await db.query('INSERT INTO payment_refunds (refund_id, capture_id, amount) VALUES ($1, $2, $3)', [
        refundId,
        r.captureId,
        r.amount,
      ]);
      return { refundId };
    });
  }

  private call(operation: string, request: { idempotencyKey: string }) {
    return { provider: 'payment' as const, operation, idempotencyKey: request.idempotencyKey, request };
  }
}

/**
 * Locks the authorization row so a void and a capture of it never interleave,
 * then reads its void and capture (after the lock, so they are current).
 */
async function lockAuthorization(db: PoolClient, authorizationId: string): Promise<LockedAuthorization> {
  const auth = await db.query<{ amount: number; token: string }>(
    'SELECT amount, token FROM payment_authorizations WHERE authorization_id = $1 FOR UPDATE',
    [authorizationId],
  );
  if (!auth.rowCount) throw paymentError(Codes.AUTHORIZATION_NOT_FOUND, `no authorization ${authorizationId}`);
  const settled = await db.query<{ void_id: string | null; capture_id: string | null }>(
    `SELECT (SELECT void_id FROM payment_voids WHERE authorization_id = $1) AS void_id,
            (SELECT capture_id FROM payment_captures WHERE authorization_id = $1) AS capture_id`,
    [authorizationId],
  );
  const { void_id, capture_id } = settled.rows[0];
  return { ...auth.rows[0], voidId: void_id ?? undefined, captureId: capture_id ?? undefined };
}

/** Counts one authorize attempt for the key and returns the attempt number (1-based). */
async function countAuthorizeAttempt(db: PoolClient, idempotencyKey: string): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>(
    `INSERT INTO payment_authorize_attempts (idempotency_key, attempts) VALUES ($1, 1)
     ON CONFLICT (idempotency_key)
     DO UPDATE SET attempts = payment_authorize_attempts.attempts + 1, last_attempt_at = now()
     RETURNING attempts`,
    [idempotencyKey],
  );
  return rows[0].attempts;
}
