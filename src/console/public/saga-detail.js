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
  const steps = h('section', { class: 'steps', id: 'steps' });

  container.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/sagas' }, '← all sagas'), ' ', state),
    header,
    operator.el,
    steps,
    h('div', { class: 'detail-columns' }, timeline.el, aggregates.el),
    events,
  );

  const poller = poll(
    async () => {
      const next = /** @type {SagaDetail} */ (await getJson(`/sagas/${encodeURIComponent(sagaId)}`));
      // The input also changes without a new event: once its customer is forgotten it reads "[forgotten]".
      const moved =
        !saga || next.version !== saga.version || next.workflow?.status !== saga.workflow?.status || JSON.stringify(next.input) !== JSON.stringify(saga.input);
      saga = next;
      state.textContent = `live · updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
      state.classList.remove('error');
      operator.update(saga);
      if (!moved) return;
      renderHeader(header, saga);
      renderSteps(steps, saga);
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
  if (s.parent) facts.push(['Started by', h('span', null, h('a', { href: sagaLink(s.parent.sagaId), class: 'mono', 'data-parent': s.parent.sagaId }, s.parent.sagaId), ` (step ${s.parent.step})`)]);
  if (s.children?.length) {
    facts.push(['Child sagas', h('span', null, s.children.map((c) => h('span', { class: 'child-link' }, h('a', { href: sagaLink(c.sagaId), class: 'mono', 'data-child': c.sagaId }, c.sagaId), ` (${c.type}, step ${c.step}) `)))]);
  }
  if (s.waiting) facts.push(['Waiting for', `${s.waiting.signal ? `signal ${s.waiting.signal}` : 'a timer'} until ${dateTime(s.waiting.until)}`]);
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

/** @param {string} id */
const sagaLink = (id) => `#/sagas/${encodeURIComponent(id)}`;

/**
 * The input it started with, and its steps in order; steps of one parallel
 * group (StepView.group) side by side, a step that ran a child saga linked to it.
 * @param {HTMLElement} el
 * @param {SagaDetail} s
 */
function renderSteps(el, s) {
  /** @type {(import('./types.js').StepView[])[]} */
  const rows = [];
  for (const step of s.steps ?? []) {
    const last = rows.at(-1);
    if (step.group !== undefined && last?.[0].group === step.group) last.push(step);
    else rows.push([step]);
  }
  const card = (/** @type {import('./types.js').StepView} */ step) =>
    h('div', { class: `step-card step-${step.status}`, 'data-step': step.name },
      h('div', { class: 'card-title' }, `${step.status === 'succeeded' ? '✓' : step.status === 'stopped' ? '–' : '✗'} ${step.name}${step.pivot ? ' · pivot' : ''}`),
      h('div', { class: 'facts' }, h('span', null, `${step.attempts}×`), h('span', null, duration(step.durationMs)), step.error && h('span', { class: 'error' }, `${step.error.code}: ${step.error.message}`)),
      step.child && h('div', { class: 'facts' }, h('a', { href: sagaLink(step.child), 'data-child': step.child }, `child saga ${step.child}`)),
    );
  fill(el,
    h('h2', null, 'Input and steps'),
    jsonDetails('input', s.input ?? {}, true),
    rows.length
      ? h('div', { class: 'step-rows' }, rows.map((row) =>
          row[0].group !== undefined
            ? h('div', { class: 'step-group', 'data-group': row[0].group }, h('span', { class: 'muted' }, `parallel: ${row[0].group}`), h('div', { class: 'step-branches' }, row.map(card)))
            : card(row[0])))
      : h('p', { class: 'muted' }, 'No step has finished yet.'),
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
