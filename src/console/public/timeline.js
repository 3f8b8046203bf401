// @ts-check
import { duration, fill, h, json, time } from './dom.js';

/**
 * The saga's story in two lanes: forward steps on the left, the compensation
 * trail on the right, saga-wide moments (start, approval, compensating, end)
 * across both. One row per event of the saga's stream, in order; clicking a
 * row shows the related aggregates as they were right after that event.
 */

/** @typedef {import('./types.js').SagaEvent} SagaEvent */
/** @typedef {{ lane: 'forward' | 'compensation' | 'saga', tone: string, title: string, facts?: (string | false | undefined)[], detail?: unknown, links?: [string, string][] }} Entry */

/**
 * @param {{ onSelect: (event: SagaEvent | undefined) => void }} options
 */
export function timelineView({ onSelect }) {
  /** @type {number | undefined} */
  let selected;
  const body = h('div', { class: 'timeline-body' });
  const el = h('section', { class: 'timeline', id: 'timeline' },
    h('h2', null, 'Timeline'),
    h('div', { class: 'timeline-head' }, h('span', null, 'time'), h('span', { class: 'lane-forward' }, 'Forward steps'), h('span', { class: 'lane-compensation' }, 'Compensation trail')),
    body,
  );

  /** @param {SagaEvent[]} events */
  function render(events) {
    fill(body, events.map((event) => {
      const entry = describe(event);
      const card = h('div', { class: `card tone-${entry.tone}` },
        h('div', { class: 'card-title' }, entry.title),
        entry.facts?.some(Boolean) && h('div', { class: 'facts' }, entry.facts.filter(Boolean).map((f) => h('span', null, f))),
        entry.links && h('div', { class: 'facts' }, entry.links.map(([text, id]) => h('a', { href: `#/sagas/${encodeURIComponent(id)}` }, text))),
        event.metadata?.inheritedFrom && h('div', { class: 'facts' }, h('span', { class: 'inherited' }, `inherited from ${event.metadata.inheritedFrom}`)),
        entry.detail !== undefined && h('details', null, h('summary', null, 'data'), json(entry.detail)),
      );
      const row = h('div', {
        class: `row lane-${entry.lane}${event.position === selected ? ' selected' : ''}`,
        'data-type': event.type,
        'data-position': event.position,
        title: 'Show the aggregates as of this event',
        onclick: (/** @type {MouseEvent} */ e) => {
          if (/** @type {HTMLElement} */ (e.target).closest('details')) return;
          select(event.position === selected ? undefined : event, events);
        },
      }, h('span', { class: 'when' }, time(event.recordedAt)), card);
      return row;
    }));
  }

  /** @param {SagaEvent | undefined} event @param {SagaEvent[]} events */
  function select(event, events) {
    selected = event?.position;
    render(events);
    onSelect(event);
  }

  return { el, render };
}

/**
 * @param {SagaEvent} e
 * @returns {Entry}
 */
function describe(e) {
  const d = e.data;
  const took = (/** @type {any} */ x) => [`${x.attempts} attempt${x.attempts === 1 ? '' : 's'}`, duration(x.durationMs), `started ${time(x.startedAt)}`];
  const error = (/** @type {any} */ x) => `${x.code}${x.transient ? ' (transient)' : ''}: ${x.message}`;
  switch (e.type) {
    case 'StepSucceeded':
      return { lane: 'forward', tone: 'ok', title: `✓ ${d.step}${d.pivot ? ' · pivot' : ''}`, facts: took(d), detail: d.output };
    case 'PivotEntered':
      return { lane: 'forward', tone: 'warn', title: `→ ${d.step} · pivot entered: only forward from here` };
    case 'StepFailed':
      return { lane: 'forward', tone: 'bad', title: `✗ ${d.step}`, facts: [error(d.error), ...took(d)] };
    case 'ForwardRecoveryFailed':
      return { lane: 'forward', tone: 'bad', title: `✗ ${d.step}: still failing after ${d.rounds} rounds, waiting for an operator`, facts: [error(d.error)] };
    case 'CompensationRegistered':
      return { lane: 'compensation', tone: 'quiet', title: `undo registered: ${d.compensation} (for ${d.step})` };
    case 'CompensationSucceeded':
      return { lane: 'compensation', tone: 'undo', title: `↺ ${d.compensation}${d.nothingToUndo ? ' · nothing to undo' : ''}`, facts: [`undoes ${d.step}`, ...took(d)] };
    case 'CompensationFailed':
      return { lane: 'compensation', tone: 'bad', title: `✗ ${d.compensation} (round ${d.round})`, facts: [error(d.error), ...took(d)] };
    case 'CompensationStuck':
      return { lane: 'compensation', tone: 'bad', title: `⚠ ${d.compensation} stuck after ${d.rounds} rounds`, facts: [error(d.error)] };
    case 'CompensationResolved':
      return { lane: 'compensation', tone: 'warn', title: `${d.compensation} resolved by hand by ${d.actor}`, facts: [d.reason] };
    case 'SagaStarted':
      return { lane: 'saga', tone: 'info', title: `Saga started: ${d.sagaType} for ${d.businessKey}`, facts: [`deadline ${new Date(d.deadline).toLocaleString()}`], detail: d.input };
    case 'SagaAwaitingApproval':
      return { lane: 'saga', tone: 'warn', title: `Awaiting approval: ${d.reason}`, facts: [`times out ${new Date(d.timeoutAt).toLocaleString()}`] };
    case 'SagaApproved':
      return { lane: 'saga', tone: 'ok', title: `Approved by ${d.actor}`, facts: [d.reason] };
    case 'SagaCompensating':
      return { lane: 'saga', tone: 'undo', title: `Compensating (${d.cause.replaceAll('_', ' ')}): ${d.reason}` };
    case 'OperatorActionRequested':
      return { lane: 'saga', tone: 'info', title: `Operator ${d.actor} asked to ${d.action}`, facts: [d.reason] };
    case 'OperatorRetried':
      return { lane: 'saga', tone: 'info', title: `Retrying ${d.step} for ${d.actor}`, facts: [d.reason] };
    case 'SagaCompleted':
      return { lane: 'saga', tone: 'ok', title: 'Saga completed', detail: d.output };
    case 'SagaCompensated':
      return { lane: 'saga', tone: 'undo', title: `Saga compensated: ${d.reason}`, facts: [d.resolvedManually?.length && `resolved by hand: ${d.resolvedManually.join(', ')}`] };
    case 'SagaForked':
      return { lane: 'saga', tone: 'info', title: `Fork from DBOS step ${d.fromStep} by ${d.actor}`, links: [[`original ${d.from}`, d.from], [`fork ${d.to}`, d.to]] };
    default:
      return { lane: 'saga', tone: 'quiet', title: e.type, detail: d };
  }
}
