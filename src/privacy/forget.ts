import { inTransaction } from '../db/pool';
import type { AppendResult, EventStore, StreamWrite } from '../eventstore';
import { CustomerForgotten, customerStreamId } from './events';

export interface ForgetRequest {
  actor: string;
  reason: string;
}

export interface Forgotten {
  customerId: string;
  forgottenAt: string;
  /** Of the CustomerForgotten event (for `?after=`); the first request's when repeated. */
  position: number;
}

/**
 * Forget a customer: append CustomerForgotten and delete their data key and
 * vaulted cards, in one transaction (the event is never without the erasure,
 * nor the erasure without its record). Idempotent: a repeat changes nothing
 * and answers as the first did. Undefined for a customer we hold no key of.
 */
export async function forgetCustomer(store: EventStore, customerId: string, request: ForgetRequest): Promise<Forgotten | undefined> {
  const streamId = customerStreamId(customerId);
  let announce: { writes: StreamWrite[]; appended: AppendResult } | undefined;
  const result = await inTransaction(store.pool, async (tx): Promise<Forgotten | undefined> => {
    const { rows } = await tx.query<{ forgotten_at: Date | null }>('SELECT forgotten_at FROM customer_keys WHERE customer_id = $1 FOR UPDATE', [
      customerId,
    ]);
    if (!rows[0]) return undefined;
    if (rows[0].forgotten_at) {
      const { rows: events } = await tx.query<{ global_position: string }>(
        `SELECT global_position FROM events WHERE stream_id = $1 AND type = 'CustomerForgotten' ORDER BY stream_position LIMIT 1`,
        [streamId],
      );
      return { customerId, forgottenAt: rows[0].forgotten_at.toISOString(), position: Number(events[0]?.global_position ?? 0) };
    }
    const writes: StreamWrite[] = [{ streamId, events: [CustomerForgotten({ customerId, ...request })] }];
    const appended = await store.appendMany(writes, { metadata: { actor: request.actor }, announceAfterCommit: true }, tx);
    announce = { writes, appended };
    const erased = await tx.query<{ forgotten_at: Date }>(
      'UPDATE customer_keys SET data_key = NULL, forgotten_at = now() WHERE customer_id = $1 RETURNING forgotten_at',
      [customerId],
    );
    await tx.query('DELETE FROM card_vault WHERE customer_id = $1', [customerId]);
    return { customerId, forgottenAt: erased.rows[0].forgotten_at.toISOString(), position: appended.lastPosition };
  });
  if (announce) store.committed(announce.writes, announce.appended);
  return result;
}
