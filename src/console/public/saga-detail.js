// @ts-check
import { aggregatesView } from './aggregates.js';
import { ApiError } from './api.js';
import { copyButton, dateTime, duration, fill, h, jsonDetails, statusBadge, time } from './dom.js';
import { operatorPanel } from './operator.js';
import { poll } from './poll.js';
import { timelineView } from './timeline.js';
import { getJson } from './token.js';

/** @typedef {import('./types.js').SagaDetail} SagaDetail */

const LIVE_MS = 500;
/** A finished saga rarely changes (a fork, a late operator note): look less often. */
const SETTLED_MS = 5000;
const SETTLED = ['COMPLETED', 'COMPENSATED'];

/** @type {import('./app.js').Page} */
export function mountSagaDetail(container, { id }) {
  const sagaId = /** @type {string} */ (id);
  /** @type {SagaDetail | undefined} */
  let saga;
  const header = h('section', { class: 'saga-header', id: 'saga-header' });
  const state = h('span', { class: 'muted refresh-state' });
  const aggregates = aggregatesView();
  const timeline = timelineView({ onSelect: (event) => aggregates.showAsOf(event) });
  const operator = operatorPanel(sagaId, { onActed: () => poller.now() });
  const events = h('section', { class: 'events', id: 'events' });

  container.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/sagas' }, '← all sagas'), ' ', state),
    header,
    operator.el,
    h('div', { class: 'detail-columns' }, timeline.el, aggregates.el),
    events,
  );

  const poller = poll(
    async () => {
      const next = /** @type {SagaDetail} */ (await getJson(`/sagas/${encodeURIComponent(sagaId)}`));
      const moved = !saga || next.version !== saga.version || next.workflow?.status !== saga.workflow?.status;
      saga = next;
      state.textContent = `live · updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      state.classList.remove('error');
      operator.update(saga);
      if (!moved) return;
      renderHeader(header, saga);
      timeline.render(saga.events);
      aggregates.update(saga);
      renderEvents(events, saga);
    },
    () => (saga && SETTLED.includes(saga.status) ? SETTLED_MS : LIVE_MS),
    (err) => {
      const gone = err instanceof ApiError && err.status === 404;
      state.textContent = gone ? `saga ${sagaId} not found` : `refresh failed: ${/** @type {Error} */ (err).message}`;
      state.classList.add('error');
    },
  );
  return poller.stop;
}

/**
 * @param {HTMLElement} el
 * @param {SagaDetail} s
 */
function renderHeader(el, s) {
  const took = s.endedAt ? duration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : `${duration(Date.now() - Date.parse(s.startedAt))} so far`;
  /** @type {[string, unknown][]} */
  const facts = [
    ['Type', s.type],
    ['Business key', h('span', { class: 'mono' }, s.businessKey)],
    ['Started', dateTime(s.startedAt)],
    ['Ended', s.endedAt ? dateTime(s.endedAt) : '—'],
    ['Took', took],
    ['Past the pivot', s.pivot ? `yes: ${s.pivot.step} entered ${dateTime(s.pivot.enteredAt)}, only forward from here` : 'no'],
    ['DBOS workflow', s.workflow ? `${s.workflow.status} on ${s.workflow.executorId ?? '?'} (v${s.workflow.applicationVersion ?? '?'})` : '—'],
    ['Events', String(s.version)],
  ];
  if (s.awaitingApprovalUntil) facts.push(['Approval due by', dateTime(s.awaitingApprovalUntil)]);
  if (s.cancelRequested) facts.push(['Cancel', 'requested']);
  if (s.compensationReason) facts.push(['Compensating because', s.compensationReason]);
  if (s.failure) facts.push(['Failed step', `${s.failure.step}: ${s.failure.error.code}: ${s.failure.error.message}`]);
  fill(el,
    h('h1', null, 'Saga ', h('span', { class: 'mono', title: s.sagaId }, s.sagaId), copyButton(s.sagaId, 'saga id'), ' ', statusBadge(s.status)),
    h('dl', { class: 'facts-grid' }, facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, /** @type {any} */ (v))])),
    compensationSummary(s),
  );
}

/** The undo plan: every registered compensation and where it stands. @param {SagaDetail} s */
function compensationSummary(s) {
  if (!s.compensations.length) return null;
  // "registered" means it has not run: standing by while the saga may still fail, not needed once it completed.
  const label = (/** @type {string} */ status) => (status !== 'registered' ? status : s.status === 'COMPLETED' ? 'not needed' : 'standing by');
  return h('p', { class: 'undo-plan' }, 'Undo plan: ',
    s.compensations.map((c) => h('span', { class: `chip comp-${c.status}`, title: c.error ? `${c.error.code}: ${c.error.message}` : '' },
      `${c.name} · ${label(c.status)}${c.nothingToUndo ? ' (nothing to undo)' : ''}${c.attempts ? ` · ${c.attempts}×` : ''}`)),
  );
}

/**
 * @param {HTMLElement} el
 * @param {SagaDetail} s
 */
function renderEvents(el, s) {
  fill(el,
    h('h2', null, `Events (${s.events.length})`),
    h('table', { class: 'events-table' },
      h('thead', null, h('tr', null, ['#', 'Time', 'Type', 'Data', 'Metadata'].map((t) => h('th', null, t)))),
      h('tbody', null, s.events.map((e) => h('tr', { 'data-type': e.type },
        h('td', null, String(e.position)),
        h('td', { class: 'mono' }, time(e.recordedAt)),
        h('td', null, h('code', null, e.type)),
        h('td', null, jsonDetails(summarize(e.data), e.data)),
        h('td', null, jsonDetails(`global #${e.globalPosition}`, e.metadata)),
      ))),
    ),
  );
}

/** A one-line preview of an event's data. @param {Record<string, any>} data */
function summarize(data) {
  const text = Object.entries(data)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return text.length > 90 ? `${text.slice(0, 89)}…` : text || 'data';
}
