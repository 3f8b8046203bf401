// @ts-check
import { ApiError } from './api.js';
import { dateTime, duration, fill, h, time } from './dom.js';
import { poll } from './poll.js';
import { authorized, getJson } from './token.js';

/**
 * Every consumer of the feed (projections, process managers, the outbox): how
 * far behind it is, who holds its lease, its parked (dead-lettered) events
 * with a replay button, and a rebuild (projections) or reset (the others)
 * button. Served by GET /consumers, GET /consumers/:name/dead-letters,
 * POST /consumers/:name/dead-letters/:position/replay and
 * POST /consumers/:name/rebuild; on a server without them the page says so.
 */
const REFRESH_MS = 2000;

/**
 * One version of a consumer (mirrors ConsumerStatus in src/consumers/status.ts).
 * @typedef {object} ConsumerStatus
 * @property {string} name
 * @property {string} kind  projection | process-manager | outbox
 * @property {number} version
 * @property {string} status  live | rebuilding
 * @property {{ txid: string, position: number }} checkpoint
 * @property {{ events: number, ms: number }} lag
 * @property {number} parked
 * @property {{ owner: string | null }} [lease]
 */

/**
 * A parked event (mirrors DeadLetter in src/consumers/dead-letters.ts).
 * @typedef {object} DeadLetter
 * @property {number} position
 * @property {string} streamId
 * @property {string} type
 * @property {string} error
 * @property {number} attempts
 * @property {string} parkedAt
 */

/** @type {import('./app.js').Page} */
export function mountConsumers(container) {
  const state = h('span', { class: 'muted refresh-state' });
  const table = h('div', { id: 'consumers' });
  const parked = h('section', { class: 'parked', id: 'dead-letters' });
  const log = h('ol', { class: 'action-log', id: 'action-log' });
  container.append(h('h1', null, 'Consumers ', state), table, log, parked);

  /** @param {'ok' | 'error'} kind @param {string} text */
  const entry = (kind, text) => log.prepend(h('li', { class: kind }, h('span', { class: 'when' }, time(new Date().toISOString())), ` ${text}`));

  /** @param {string} what @param {string} method @param {string} path */
  async function operate(what, method, path) {
    try {
      const res = await authorized(method, path, { body: {} });
      entry('ok', `${what}: ${res?.status ?? 'done'}`);
      poller.now();
      return true;
    } catch (err) {
      entry('error', `${what}: ${err instanceof ApiError && err.routeMissing ? 'not available on this server' : /** @type {Error} */ (err).message}`);
      return false;
    }
  }

  /** @param {string} name */
  async function showParked(name) {
    fill(parked, h('h2', null, `Parked events of ${name}`), h('p', { class: 'muted' }, 'loading…'));
    try {
      const { deadLetters } = /** @type {{ deadLetters: DeadLetter[] }} */ (await getJson(`/consumers/${encodeURIComponent(name)}/dead-letters`));
      fill(parked, h('h2', null, `Parked events of ${name} (${deadLetters.length})`),
        deadLetters.length === 0 ? h('p', { class: 'muted' }, 'None: every event was handled.') : h('table', null,
          h('thead', null, h('tr', null, ['Position', 'Stream', 'Event', 'Error', 'Attempts', 'Parked', ''].map((t) => h('th', null, t)))),
          h('tbody', null, deadLetters.map((d) => h('tr', null,
            h('td', { class: 'mono' }, String(d.position)),
            h('td', { class: 'mono' }, d.streamId),
            h('td', null, h('code', null, d.type)),
            h('td', { class: 'error' }, d.error),
            h('td', null, String(d.attempts)),
            h('td', null, dateTime(d.parkedAt)),
            h('td', null, h('button', { type: 'button', onclick: async () => {
              if (await operate(`replay ${name} #${d.position}`, 'POST', `/consumers/${encodeURIComponent(name)}/dead-letters/${d.position}/replay`)) void showParked(name);
            } }, 'Replay')),
          )))));
    } catch (err) {
      fill(parked, h('h2', null, `Parked events of ${name}`), h('p', { class: 'error' }, unavailable(err, 'GET /consumers/:name/dead-letters')));
    }
  }

  /** @param {ConsumerStatus} p */
  const row = (p) => h('tr', { 'data-consumer': p.name, 'data-kind': p.kind, 'data-version': p.version },
    h('td', null, p.name),
    h('td', null, p.kind),
    h('td', null, `v${p.version} `, h('span', { class: `badge projection-${p.status}` }, p.status)),
    h('td', { class: 'mono' }, `${p.checkpoint.position}`),
    h('td', null, String(p.lag.events)),
    h('td', null, duration(p.lag.ms)),
    h('td', { class: p.parked ? 'error' : '' }, String(p.parked)),
    h('td', { class: 'mono' }, p.lease?.owner ?? '–'),
    h('td', null,
      h('button', { type: 'button', onclick: () => showParked(p.name) }, 'Parked events'), ' ',
      // A projection builds a new version beside the live one; the others go back to position zero in place.
      p.status === 'live' && h('button', { type: 'button', 'data-action': 'rebuild', onclick: () => operate(`${p.kind === 'projection' ? 'rebuild' : 'reset'} ${p.name}`, 'POST', `/consumers/${encodeURIComponent(p.name)}/rebuild`) }, p.kind === 'projection' ? 'Rebuild' : 'Reset')),
  );

  const poller = poll(
    async () => {
      const { consumers } = /** @type {{ consumers: ConsumerStatus[] }} */ (await getJson('/consumers'));
      state.textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      state.classList.remove('error');
      fill(table, h('table', { class: 'consumers' },
        h('thead', null, h('tr', null, ['Consumer', 'Kind', 'Version', 'Checkpoint', 'Lag (events)', 'Lag (time)', 'Parked', 'Lease owner', ''].map((t) => h('th', null, t)))),
        h('tbody', null, consumers.map(row))));
    },
    () => REFRESH_MS,
    (err) => {
      if (err instanceof ApiError && err.routeMissing) {
        poller.stop();
        fill(table, h('p', { class: 'unavailable', id: 'consumers-unavailable' }, unavailable(err, 'GET /consumers')));
        state.textContent = '';
        return;
      }
      state.textContent = `refresh failed: ${/** @type {Error} */ (err).message}`;
      state.classList.add('error');
    },
  );
  return poller.stop;
}

/** @param {unknown} err @param {string} route */
function unavailable(err, route) {
  return err instanceof ApiError && err.routeMissing
    ? `Not available: this server does not serve ${route} (consumers are not deployed here).`
    : /** @type {Error} */ (err).message;
}
