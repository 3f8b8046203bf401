// @ts-check
import { getJson } from './token.js';
import { dateTime, fill, h } from './dom.js';
import { poll } from './poll.js';

/**
 * The fleet: every process (executor) sharing the database, its lease, the
 * sagas it runs now, and who took over a dead one. Served by GET /fleet.
 */
const REFRESH_MS = 2000;

/**
 * One executor (mirrors ExecutorRow in src/fleet/leases.ts).
 * @typedef {object} Executor
 * @property {string} executorId
 * @property {string} applicationVersion
 * @property {string} role
 * @property {string} host
 * @property {number} pid
 * @property {number | null} port
 * @property {string} status  live | draining | released | taken_over
 * @property {boolean} leaseValid
 * @property {string} heartbeatAt
 * @property {string} leaseExpiresAt
 * @property {number} runningSagas
 * @property {string | null} takenOverBy
 * @property {string | null} takenOverAt
 * @property {number} workflowsRecovered
 */

/** @type {import('./app.js').Page} */
export function mountFleet(container) {
  const state = h('span', { class: 'muted refresh-state' });
  const summary = h('p', { class: 'muted', id: 'fleet-summary' });
  const table = h('div', { id: 'fleet' });
  container.append(h('h1', null, 'Fleet ', state), summary, table);

  /** @param {Executor} e @param {string} self */
  const row = (e, self) => {
    const status = e.status === 'live' && !e.leaseValid ? 'expired' : e.status;
    return h('tr', { 'data-executor': e.executorId, 'data-status': status },
      h('td', { class: 'mono' }, e.executorId, e.executorId === self ? h('span', { class: 'muted' }, ' (this process)') : null),
      h('td', null, h('span', { class: `badge fleet-${status}` }, status.replaceAll('_', ' '))),
      h('td', null, e.role),
      h('td', { class: 'mono' }, `${e.host}:${e.port ?? '-'} pid ${e.pid}`),
      h('td', null, String(e.runningSagas)),
      h('td', null, dateTime(e.heartbeatAt)),
      h('td', null, e.takenOverBy ? `${e.takenOverBy} at ${dateTime(e.takenOverAt)} (${e.workflowsRecovered} sagas)` : '—'),
      h('td', { class: 'mono' }, e.applicationVersion),
    );
  };

  const poller = poll(
    async () => {
      const fleet = /** @type {{ self: string, leaseMs: number, takeovers: number, workflowsRecovered: number, executors: Executor[] }} */ (
        await getJson('/fleet')
      );
      state.textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      const live = fleet.executors.filter((e) => e.status === 'live' && e.leaseValid).length;
      summary.textContent = `${live} live process${live === 1 ? '' : 'es'}; a lease not renewed for ${fleet.leaseMs / 1000} s is taken over. This process took over ${fleet.takeovers} (${fleet.workflowsRecovered} sagas).`;
      fill(table, h('table', { class: 'fleet' },
        h('thead', null, h('tr', null, ['Executor', 'Lease', 'Role', 'Where', 'Sagas now', 'Last heartbeat', 'Taken over by', 'Version'].map((t) => h('th', null, t)))),
        h('tbody', null, fleet.executors.map((e) => row(e, fleet.self)))));
    },
    () => REFRESH_MS,
    (err) => {
      state.textContent = `refresh failed: ${/** @type {Error} */ (err).message}`;
    },
  );
  return poller.stop;
}
