// @ts-check
import { queryString } from './api.js';
import { copyButton, dateTime, duration, fill, h, shortId, statusBadge } from './dom.js';
import { startSagaPanel } from './start-saga.js';
import { poll } from './poll.js';
import { getJson } from './token.js';

/** Mirrors SAGA_STATUSES in src/saga/state.ts. */
const STATUSES = ['RUNNING', 'AWAITING_APPROVAL', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'COMPENSATION_STUCK', 'FAILED'];
const REFRESH_MS = 2000;
/** The list shows the newest PAGE sagas; "load more" raises the limit by PAGE up to the API's maximum (GET /sagas takes limit ≤ 500). */
const PAGE = 200;
const MAX_LIMIT = 500;

/**
 * @typedef {object} SagaSummary
 * @property {string} sagaId
 * @property {string} type
 * @property {string} businessKey
 * @property {string} status
 * @property {string} startedAt
 * @property {string} updatedAt
 * @property {string} [endedAt]
 * @property {string} [compensationReason]
 * @property {{ step: string, error: { code: string, message: string } }} [failure]
 * @property {string} [awaitingApprovalUntil]
 * @property {string | null} [currentStep] where it is, when the list comes from the saga-overview read model
 */

/** @type {import('./app.js').Page} */
export function mountSagaList(container, { query }) {
  const filters = {
    status: query.get('status') ?? '',
    type: query.get('type') ?? '',
    businessKey: query.get('businessKey') ?? '',
  };
  let live = query.get('live') !== 'off';
  let limit = PAGE;
  const rows = h('tbody');
  const more = h('button', { type: 'button', id: 'load-more', hidden: true, onclick: () => {
    limit = Math.min(MAX_LIMIT, limit + PAGE);
    poller.now();
  } }, 'Load more');
  const moreNote = h('span', { class: 'muted' });
  const state = h('span', { class: 'muted refresh-state' });
  const types = h('datalist', { id: 'saga-types' });
  getJson('/sagas/types').then(
    (/** @type {{ types: { type: string }[] }} */ r) => r.types.forEach((t) => addType(t.type)),
    () => {},
  );
  /** @param {string} type */
  const addType = (type) => {
    if (!types.querySelector(`option[value="${CSS.escape(type)}"]`)) types.append(h('option', { value: type }));
  };

  // The filters live in the address, so a filtered list can be bookmarked or
  // shared; replaceState does not fire hashchange, so the page stays mounted.
  const sync = () => {
    history.replaceState(null, '', `#/sagas${queryString({ ...filters, live: live ? undefined : 'off' })}`);
    poller.now();
  };
  /** @param {string} name @param {string} value */
  const setFilter = (name, value) => {
    filters[/** @type {keyof typeof filters} */ (name)] = value.trim();
    sync();
  };
  /** @param {string} name @param {HTMLElement} input */
  const field = (name, input) => {
    input.addEventListener('change', (e) => setFilter(name, /** @type {HTMLInputElement} */ (e.target).value));
    return h('label', null, name === 'businessKey' ? 'Business key' : name[0].toUpperCase() + name.slice(1), input);
  };

  container.append(
    h('h1', null, 'Sagas'),
    startSagaPanel(),
    h('form', {
      class: 'find-saga',
      id: 'find-saga',
      onsubmit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        const id = String(new FormData(/** @type {HTMLFormElement} */ (e.target)).get('sagaId') ?? '').trim();
        if (id) location.hash = `#/sagas/${encodeURIComponent(id)}`;
      },
    },
      h('label', null, 'Saga id', h('input', { name: 'sagaId', type: 'search', placeholder: 'paste a saga id to open it', required: true })),
      h('button', { type: 'submit' }, 'Open'),
    ),
    h(
      'form',
      {
        class: 'filters',
        // Enter in a field applies every field at once.
        onsubmit: (/** @type {SubmitEvent} */ e) => {
          e.preventDefault();
          const form = new FormData(/** @type {HTMLFormElement} */ (e.target));
          for (const name of /** @type {(keyof typeof filters)[]} */ (['status', 'type', 'businessKey'])) filters[name] = String(form.get(name) ?? '').trim();
          sync();
        },
      },
      field('status', h('select', { name: 'status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, s)))),
      field('type', h('input', { name: 'type', list: 'saga-types', value: filters.type, placeholder: 'any' })),
      field('businessKey', h('input', { name: 'businessKey', value: filters.businessKey, placeholder: 'any', size: 38 })),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'live', checked: live, onchange: (/** @type {Event} */ e) => {
        live = /** @type {HTMLInputElement} */ (e.target).checked;
        sync();
      } }), 'live refresh'),
      state,
      types,
    ),
    h('div', { class: 'table-scroll' },
      h('table', { class: 'sagas' },
        h('thead', null, h('tr', null, ['Saga', 'Type', 'Business key', 'Status', 'Step', 'Started', 'Took', 'Note'].map((t) => h('th', null, t)))),
        rows,
      ),
    ),
    h('p', { class: 'more' }, more, moreNote),
  );

  const poller = poll(
    async () => {
      const { sagas } = /** @type {{ sagas: SagaSummary[] }} */ (await getJson(`/sagas${queryString({ ...filters, limit })}`));
      fill(rows, sagas.length ? sagas.map(row) : h('tr', null, h('td', { colspan: 8, class: 'muted empty' }, 'No sagas match.')));
      for (const type of new Set(sagas.map((s) => s.type))) addType(type);
      const full = sagas.length >= limit;
      more.hidden = !full || limit >= MAX_LIMIT;
      moreNote.textContent = full ? (limit >= MAX_LIMIT ? `the newest ${MAX_LIMIT} shown, the most the API returns: narrow the filters to reach older ones` : `the newest ${limit} shown`) : '';
      state.textContent = `${sagas.length} shown · updated ${new Date().toLocaleTimeString([], { hour12: false })}${live ? '' : ' · paused'}`;
      state.classList.remove('error');
    },
    () => (live ? REFRESH_MS : 60 * 60 * 1000),
    (err) => {
      state.textContent = `refresh failed: ${/** @type {Error} */ (err).message}`;
      state.classList.add('error');
    },
  );
  return poller.stop;
}

/** @param {SagaSummary} s */
function row(s) {
  const link = `#/sagas/${encodeURIComponent(s.sagaId)}`;
  const took = s.endedAt ? duration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : '';
  const note = s.failure
    ? `${s.failure.step}: ${s.failure.error.code}`
    : s.compensationReason ?? (s.awaitingApprovalUntil ? `approval due by ${dateTime(s.awaitingApprovalUntil)}` : '');
  return h('tr', { 'data-saga-id': s.sagaId, 'data-status': s.status },
    h('td', { class: 'saga-id' }, h('a', { href: link, title: s.sagaId, class: 'mono' }, shortId(s.sagaId)), copyButton(s.sagaId, 'saga id')),
    h('td', null, s.type),
    h('td', { class: 'mono' }, s.businessKey),
    h('td', null, statusBadge(s.status)),
    h('td', null, s.currentStep ?? ''),
    h('td', null, dateTime(s.startedAt)),
    h('td', null, took),
    h('td', { class: 'note' }, note),
  );
}
