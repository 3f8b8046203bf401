import type { Pool } from '../../src/db/pool';

/** Every table a request could write to on its way to a saga or a provider. */
const WRITTEN_TABLES = [
  'events',
  'streams',
  'commands',
  'saga_requests',
  'customer_keys',
  'card_vault',
  'payment_requests',
  'payment_authorizations',
  'payment_captures',
  'carrier_requests',
  'carrier_bookings',
  'dbos.workflow_status',
];

/** Row counts per table, to compare before and after requests that must write nothing. */
export async function countWrites(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ counts: Record<string, number> }>(
    `SELECT json_build_object(${WRITTEN_TABLES.map((t) => `'${t}', (SELECT count(*) FROM ${t})`).join(', ')}) AS counts`,
  );
  return rows[0].counts;
}
