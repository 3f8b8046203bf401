import { z } from 'zod';
import type { Pool, PoolClient } from '../db/pool';

/**
 * Fault-injection switches, kept in Postgres so every process (and a test
 * driving a child process) sees the same value. A switch never set is off.
 *
 * - outage_after_capture: capture takes effect, then the caller gets a
 *   transient CONNECTION_RESET_AFTER_CAPTURE (an outage right after the point
 *   of no return).
 * - issuer_recovered: voids of tok_unvoidable authorizations start to succeed.
 * - itinerary_outage: the travel simulator cannot issue itineraries (a
 *   transient ITINERARY_SERVICE_DOWN, after the traveller was charged).
 */
export const SwitchName = z.enum(['outage_after_capture', 'issuer_recovered', 'itinerary_outage']);
export type SwitchName = z.infer<typeof SwitchName>;

export const SWITCH_NAMES: readonly SwitchName[] = SwitchName.options;

export type Switches = Record<SwitchName, boolean>;

type Queryable = Pool | PoolClient;

export async function setSwitch(pool: Queryable, name: SwitchName, enabled: boolean): Promise<void> {
  const valid = SwitchName.parse(name); // callers from HTTP or a CLI may pass any string
  await pool.query(
    `INSERT INTO simulator_switches (name, enabled) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
    [valid, enabled],
  );
}

export async function getSwitches(pool: Queryable): Promise<Switches> {
  const { rows } = await pool.query<{ name: string; enabled: boolean }>('SELECT name, enabled FROM simulator_switches');
  const switches = Object.fromEntries(SWITCH_NAMES.map((n) => [n, false])) as Switches;
  for (const row of rows) {
    const known = SwitchName.safeParse(row.name);
    if (known.success) switches[known.data] = row.enabled;
  }
  return switches;
}

export async function isSwitchOn(pool: Queryable, name: SwitchName): Promise<boolean> {
  const { rows } = await pool.query<{ enabled: boolean }>('SELECT enabled FROM simulator_switches WHERE name = $1', [
    name,
  ]);
  return rows[0]?.enabled ?? false;
}
