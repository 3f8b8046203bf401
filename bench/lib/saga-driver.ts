import type { ServerChild } from './child';
import { ADMIN_TOKEN, CLIENT_TOKEN } from './child';

const asClient = { authorization: `Bearer ${CLIENT_TOKEN}` };
import type { CompletionWaiter } from './completion';
import type { BenchDb } from './postgres';
import { now, summarize, type Summary } from './stats';

/**
 * Drives sagas over HTTP the way a client would: POST with an Idempotency-Key,
 * then wait for the workflow to finish (see completion.ts). The same driver
 * runs our POST /orders and the baseline's POST /start.
 */
export interface SagaTarget {
  side: 'ours' | 'baseline';
  server: ServerChild;
  waiter: CompletionWaiter;
}

export interface SagaBatch {
  label: string;
  n: number;
  concurrency: number;
  /** Every k-th saga is declined and compensates (0: none). */
  declinedEvery?: number;
}

export interface SagaBatchResult {
  ids: string[];
  seconds: number;
  perSecond: number;
  /** POST sent → workflow finished, ms. */
  latency: Summary;
  /** POST sent → 202 received, ms. */
  accept: Summary;
  notSucceeded: number;
}

/** SKUs the orders spread over, so concurrent sagas rarely contend for one inventory stream. */
export const SKUS = 64;
const ORDER_TOTAL = 250; // below the approval threshold: no saga waits for an operator

/** Happy path: 6 DBOS steps. Declined: 3 forward steps, SagaCompensating, 3 undos, SagaCompensated = 8. */
export const STEPS = { ok: 6, declined: 8 } as const;

export function orderBody(i: number, declined: boolean) {
  return {
    customerId: `bench-customer-${i % 100}`,
    currency: 'EUR',
    items: [{ sku: `bench-sku-${i % SKUS}`, quantity: 1, unitPrice: ORDER_TOTAL }],
    payment: { token: declined ? 'tok_declined' : 'tok_visa' },
    shippingAddress: { name: 'Bench', line1: '1 Load St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  };
}

export async function stockSkus(server: ServerChild, quantity = 10_000_000): Promise<void> {
  for (let k = 0; k < SKUS; k++) {
    const res = await fetch(`${server.url}/inventory/bench-sku-${k}/stock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ quantity }),
    });
    if (res.status !== 200) throw new Error(`stocking bench-sku-${k}: HTTP ${res.status} ${await res.text()}`);
  }
}

export async function startSaga(target: SagaTarget, id: string, i: number, declined: boolean): Promise<void> {
  const ours = target.side === 'ours';
  const res = await fetch(`${target.server.url}${ours ? '/orders' : '/start'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': id, ...asClient },
    body: JSON.stringify(ours ? orderBody(i, declined) : { steps: declined ? STEPS.declined : STEPS.ok }),
  });
  if (res.status !== 202) throw new Error(`${target.side} start ${id}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

export async function runSagas(target: SagaTarget, batch: SagaBatch): Promise<SagaBatchResult> {
  const ids = Array.from({ length: batch.n }, (_, i) => `${batch.label}-${i}`);
  const latencies: number[] = [];
  const accepts: number[] = [];
  let notSucceeded = 0;
  let next = 0;
  const started = now();
  let last = started;

  // `concurrency` clients, each starting its next saga when its previous one has finished.
  const client = async () => {
    for (let i = next++; i < batch.n; i = next++) {
      const declined = !!batch.declinedEvery && i % batch.declinedEvery === batch.declinedEvery - 1;
      const done = target.waiter.expect(ids[i]);
      const sent = now();
      await startSaga(target, ids[i], i, declined);
      accepts.push(now() - sent);
      const finished = await done;
      latencies.push(finished.at - sent);
      last = Math.max(last, finished.at);
      if (finished.status !== 'SUCCESS') notSucceeded++;
    }
  };
  await Promise.all(Array.from({ length: batch.concurrency }, client));
  const seconds = (last - started) / 1000;
  return { ids, seconds, perSecond: batch.n / seconds, latency: summarize(latencies), accept: summarize(accepts), notSucceeded };
}

/** How our sagas ended, from their own streams. */
export async function sagaOutcomes(db: BenchDb, ids: string[]): Promise<{ completed: number; compensated: number }> {
  const { rows } = await db.pool.query<{ type: string; n: number }>(
    `SELECT type, count(*)::int AS n FROM events WHERE stream_id = ANY($1) AND type IN ('SagaCompleted', 'SagaCompensated') GROUP BY type`,
    [ids.map((id) => `saga-${id}`)],
  );
  const n = (type: string) => rows.find((r) => r.type === type)?.n ?? 0;
  return { completed: n('SagaCompleted'), compensated: n('SagaCompensated') };
}

/** The status clients see: GET /sagas/:id for a few of them. */
export async function statusesOverHttp(server: ServerChild, ids: string[]): Promise<string[]> {
  return Promise.all(
    ids.map(async (id) => ((await (await fetch(`${server.url}/sagas/${id}`, { headers: asClient })).json()) as { status: string }).status),
  );
}
