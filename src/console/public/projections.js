// @ts-check
import { ApiError, getJson } from './api.js';
import { dateTime, duration, fill, h, jsonDetails, time } from './dom.js';
import { poll } from './poll.js';
import { authorized } from './token.js';

/**
 * Read models: how far behind each projection is, its parked (dead-lettered)
 * events, and a rebuild button. Served by GET /projections,
 * GET /projections/:name/dead-letters and POST /projections/:name/rebuild;
 * on a server without them the page says so instead of failing.
 */
const REFRESH_MS = 2000;

/**
 * Field names are read leniently (`lagEvents` or `lag.events`, …) so that the
 * page does not break on a small change of the API's shape.
 * @param {any} item
 * @param {string[]} paths
 */
function pick(item, paths) {
  for (const path of paths) {
    const v = path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), item);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** @param {any} body @param {string} key */
const listOf = (body, key) => (Array.isArray(body) ? body : Array.isArray(body?.[key]) ? body[key] : Array.isArray(body?.items) ? body.items : []);

/** @type {import('./app.js').Page} */
export function mountProjections(container) {
  const state = h('span', { class: 'muted refresh-state' });
  const table = h('div', { id: 'projections' });
  const parked = h('section', { class: 'parked', id: 'dead-letters' });
  const log = h('ol', { class: 'action-log', id: 'action-log' });
  container.append(h('h1', null, 'Projections ', state), table, log, parked);

  /** @param {'ok' | 'error'} kind @param {string} text */
  const entry = (kind, text) => log.prepend(h('li', { class: kind }, h('span', { class: 'when' }, time(new Date().toISOString())), ` ${text}`));

  /** @param {string} name */
  async function rebuild(name) {
    try {
      const res = await authorized('POST', `/projections/${encodeURIComponent(name)}/rebuild`, {});
      entry('ok', `rebuild ${name}: ${res?.status ?? 'started'}${res ? ` ${JSON.stringify(res)}` : ''}`);
      poller.now();
    } catch (err) {
      entry('error', `rebuild ${name}: ${err instanceof ApiError && err.routeMissing ? 'not available on this server' : /** @type {Error} */ (err).message}`);
    }
  }

  /** @param {string} name */
  async function showParked(name) {
    fill(parked, h('h2', null, `Parked events of ${name}`), h('p', { class: 'muted' }, 'loading…'));
    try {
      const items = listOf(await getJson(`/projections/${encodeURIComponent(name)}/dead-letters`), 'deadLetters');
      fill(parked, h('h2', null, `Parked events of ${name} (${items.length})`),
        items.length === 0 ? h('p', { class: 'muted' }, 'None: every event applied.') : h('table', null,
          h('thead', null, h('tr', null, ['Position', 'Event', 'Error', 'Parked', ''].map((t) => h('th', null, t)))),
          h('tbody', null, items.map((/** @type {any} */ d) => h('tr', null,
            h('td', { class: 'mono' }, String(pick(d, ['globalPosition', 'position', 'event.globalPosition']) ?? '')),
            h('td', null, String(pick(d, ['eventType', 'type', 'event.type']) ?? '')),
            h('td', { class: 'error' }, String(pick(d, ['error.message', 'error', 'lastError']) ?? '')),
            h('td', null, dateTime(pick(d, ['parkedAt', 'createdAt', 'at']))),
            h('td', null, jsonDetails('all', d)),
          )))));
    } catch (err) {
      fill(parked, h('h2', null, `Parked events of ${name}`), h('p', { class: 'error' }, unavailable(err, 'GET /projections/:name/dead-letters')));
    }
  }

  const poller = poll(
    async () => {
      const items = listOf(await getJson('/projections'), 'projections');
      state.textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      state.classList.remove('error');
      fill(table, h('table', { class: 'projections' },
        h('thead', null, h('tr', null, ['Projection', 'Checkpoint', 'Lag (events)', 'Lag (time)', 'Parked', ''].map((t) => h('th', null, t)))),
        h('tbody', null, items.map((/** @type {any} */ p) => {
          const name = String(pick(p, ['name', 'projection']));
          const parkedCount = Number(pick(p, ['parked', 'parkedCount', 'deadLetters']) ?? 0);
          const checkpoint = pick(p, ['checkpoint.position', 'checkpoint', 'position']);
          return h('tr', { 'data-projection': name },
            h('td', null, name, ' ', jsonDetails('details', p)),
            h('td', { class: 'mono' }, typeof checkpoint === 'object' ? JSON.stringify(checkpoint) : String(checkpoint ?? '')),
            h('td', null, String(pick(p, ['lagEvents', 'lag.events']) ?? '')),
            h('td', null, duration(pick(p, ['lagMs', 'lag.ms']))),
            h('td', { class: parkedCount ? 'error' : '' }, String(parkedCount)),
            h('td', null,
              h('button', { type: 'button', onclick: () => showParked(name) }, 'Parked events'), ' ',
              h('button', { type: 'button', 'data-action': 'rebuild', onclick: () => rebuild(name) }, 'Rebuild')),
          );
        }))));
    },
    () => REFRESH_MS,
    (err) => {
      if (err instanceof ApiError && err.routeMissing) {
        poller.stop();
        fill(table, h('p', { class: 'unavailable', id: 'projections-unavailable' }, unavailable(err, 'GET /projections')));
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
    ? `Not available: this server does not serve ${route} yet (projections are not deployed here).`
    : /** @type {Error} */ (err).message;
}
