import type pg from 'pg';
import { createRegistry } from '../src/app';
import { inventoryDecider, inventoryStreamId, views } from '../src/domain';
import { EventStore, loadAggregate } from '../src/eventstore';
import { carrierLedger, paymentLedger } from '../src/providers';

/**
 * The promises a saga run must keep, checked against the outside world's
 * books (the payment gateway's and the carrier's own tables) and the event
 * store, not against what the sagas say about themselves. Shared by the
 * crash and fleet demos and the fleet tests.
 */
export interface PlacedOrder {
  sagaId: string;
  orderId: string;
  sku: string;
  quantity: number;
  /** The saga must end compensated (a declined card, a refused address), not completed. */
  compensates: boolean;
}

export type Check = [name: string, ok: boolean, detail?: unknown];

/**
 * How the saga ended, from its own stream; undefined while it runs. The latest
 * end counts: a completed child saga is compensated when its parent is.
 */
export async function sagaEnd(db: pg.Pool, sagaId: string): Promise<'COMPLETED' | 'COMPENSATED' | undefined> {
  const { rows } = await db.query<{ type: string }>(
    `SELECT type FROM events WHERE stream_id = $1 AND type IN ('SagaCompleted', 'SagaCompensated') ORDER BY stream_position DESC LIMIT 1`,
    [`saga-${sagaId}`],
  );
  return rows[0] ? (rows[0].type === 'SagaCompleted' ? 'COMPLETED' : 'COMPENSATED') : undefined;
}

/** Wait until every saga ended; resolves with how long that took. */
export async function waitForEnds(db: pg.Pool, placed: PlacedOrder[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (const p of placed) {
    while (!(await sagaEnd(db, p.sagaId))) {
      if (Date.now() - started > timeoutMs) throw new Error(`saga ${p.sagaId} did not end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return Date.now() - started;
}

export async function checkInvariants(db: pg.Pool, placed: PlacedOrder[], initialStock: Record<string, number>): Promise<Check[]> {
  const ends = await Promise.all(placed.map((p) => sagaEnd(db, p.sagaId)));
  const wrongEnds = placed.filter((p, i) => ends[i] !== (p.compensates ? 'COMPENSATED' : 'COMPLETED')).map((p, i) => [p.sagaId, ends[i]]);

  const { rows: sagaDupes } = await db.query(
    `SELECT stream_id, type, coalesce(data->>'compensation', data->>'step') AS what, count(*)::int FROM events
      WHERE stream_type = 'saga' AND type IN ('SagaStarted', 'StepSucceeded', 'CompensationSucceeded', 'PivotEntered',
            'SagaCompensating', 'SagaCompleted', 'SagaCompensated')
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );
  const { rows: domainDupes } = await db.query(
    `SELECT stream_id, type, data, count(*)::int FROM events WHERE stream_type <> 'saga' AND type <> 'StockAdded'
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );

  const store = new EventStore(db, createRegistry());
  const stock: [string, boolean, unknown][] = [];
  for (const [sku, initial] of Object.entries(initialStock)) {
    const sold = placed.filter((p) => p.sku === sku && !p.compensates).reduce((n, p) => n + p.quantity, 0);
    const state = views.inventory((await loadAggregate(store, undefined, inventoryDecider, inventoryStreamId(sku))).state) as { onHand: number; reserved: number };
    stock.push([sku, state.onHand === initial - sold && state.reserved === 0, { initial, sold, ...state }]);
  }

  const payments = await paymentLedger(db);
  const bookings = await carrierLedger(db);
  const money = placed
    .map((p) => {
      const ledger = payments[p.orderId];
      const books = {
        captures: ledger?.captures.count ?? 0,
        voids: ledger?.voids.count ?? 0,
        refunds: ledger?.refunds.count ?? 0,
        openAuthorizations: ledger?.openAuthorizations ?? 0,
        bookings: bookings[p.orderId]?.activeBookings ?? 0,
      };
      const ok = p.compensates
        ? books.captures === 0 && books.openAuthorizations === 0 && books.bookings === 0
        : books.captures === 1 && books.voids === 0 && books.refunds === 0 && books.bookings === 1;
      return { sagaId: p.sagaId, compensates: p.compensates, ok, ...books };
    })
    .filter((m) => !m.ok);

  return [
    ['every saga ended as expected (completed, or compensated after a decline or refusal)', wrongEnds.length === 0, wrongEnds],
    ['no saga step, undo or transition recorded twice', sagaDupes.length === 0, sagaDupes],
    ['no domain fact recorded twice', domainDupes.length === 0, domainDupes],
    ['stock conserved: on hand = initial − sold, nothing left reserved', stock.every(([, ok]) => ok), stock.filter(([, ok]) => !ok)],
    ['the gateway and the carrier: one capture and one booking per completed order; nothing captured, authorized or booked for a compensated one', money.length === 0, money],
  ];
}
