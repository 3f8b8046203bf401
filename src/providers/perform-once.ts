import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import {
  businessError,
  CommonErrorCodes,
  isBusinessProviderError,
  isTransientProviderError,
  type ProviderName,
} from './errors';

/**
 * The idempotency machinery the simulators share, modelled on how real
 * gateways treat an Idempotency-Key:
 *
 * - The first call with a key claims it by inserting a row into the provider's
 *   request table, then performs its effect in the same transaction and
 *   records the outcome there: a result or a business error.
 * - A concurrent call with the same key blocks on that row (INSERT ... ON
 *   CONFLICT waits for the claimer to commit) and then reads the recorded
 *   outcome, so one key yields exactly one effect.
 * - A transient failure releases the key (the row is deleted) so a retry can
 *   succeed, but keeps any bookkeeping `perform` did before failing (attempt
 *   counters must survive the failed attempt).
 * - A business failure undoes whatever `perform` wrote (savepoint) and records
 *   only the error, which every repeat re-throws.
 * - The same key with a different request is a caller bug: IDEMPOTENCY_KEY_REUSED.
 *
 * Keys are scoped per operation: an authorize and a void may share a key.
 */
const REQUEST_TABLES: Record<ProviderName, string> = {
  payment: 'payment_requests',
  carrier: 'carrier_requests',
  travel: 'travel_requests',
};

export interface ProviderCall {
  provider: ProviderName;
  operation: string;
  idempotencyKey: string;
  /** The validated request, compared on repeats. */
  request: object;
}

interface RecordedError {
  code: string;
  message: string;
}

type Outcome<T> = { ok: true; result: T } | { ok: false; error: Error };

export async function performOnce<T extends object>(
  pool: Pool,
  call: ProviderCall,
  perform: (db: PoolClient) => Promise<T>,
): Promise<T> {
  const table = REQUEST_TABLES[call.provider];
  const key = [call.operation, call.idempotencyKey];
  const outcome = await inTransaction(pool, async (db): Promise<Outcome<T>> => {
    const claim = await db.query(
      `INSERT INTO ${table} (operation, idempotency_key, request) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [...key, JSON.stringify(call.request)],
    );
    if (claim.rowCount === 0) return replayRecorded<T>(db, table, call);

    await db.query('SAVEPOINT perform');
    try {
      const result = await perform(db);
      await db.query(`UPDATE ${table} SET result = $3 WHERE operation = $1 AND idempotency_key = $2`, [
        ...key,
        JSON.stringify(result),
      ]);
      return { ok: true, result };
    } catch (err) {
      if (isBusinessProviderError(err)) {
        await db.query('ROLLBACK TO SAVEPOINT perform');
        const recorded: RecordedError = { code: err.code, message: err.message };
        await db.query(`UPDATE ${table} SET error = $3 WHERE operation = $1 AND idempotency_key = $2`, [
          ...key,
          JSON.stringify(recorded),
        ]);
        return { ok: false, error: err };
      }
      if (isTransientProviderError(err)) {
        await db.query(`DELETE FROM ${table} WHERE operation = $1 AND idempotency_key = $2`, key);
        return { ok: false, error: err };
      }
      throw err; // anything else is a bug or a database failure: roll everything back
    }
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.result;
}

async function replayRecorded<T>(db: PoolClient, table: string, call: ProviderCall): Promise<Outcome<T>> {
  const { rows } = await db.query<{ result: T | null; error: RecordedError | null; same_request: boolean }>(
    `SELECT result, error, request = $3::jsonb AS same_request
       FROM ${table} WHERE operation = $1 AND idempotency_key = $2`,
    [call.operation, call.idempotencyKey, JSON.stringify(call.request)],
  );
  const recorded = rows[0];
  if (!recorded.same_request) {
    const message = `idempotency key "${call.idempotencyKey}" was used before for a different ${call.operation}`;
    return { ok: false, error: businessError(call.provider, CommonErrorCodes.IDEMPOTENCY_KEY_REUSED, message) };
  }
  if (recorded.error) {
    return { ok: false, error: businessError(call.provider, recorded.error.code, recorded.error.message) };
  }
  return { ok: true, result: recorded.result as T };
}
