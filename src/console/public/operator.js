// @ts-check
import { ApiError } from './api.js';
import { fill, h, statusBadge, time } from './dom.js';
import { authorized } from './token.js';

/**
 * Operator actions on one saga. Buttons are enabled for the statuses the
 * engine accepts them in (mirrors ACTION_ALLOWED in src/saga/engine.ts; the
 * server still decides and its refusal is shown). Each action's result or
 * error is added to the log under the buttons. The server answers with the
 * status the saga had when it accepted the action (the saga acts on it
 * afterwards), so the newest entry then follows the saga: "now <status>" once
 * the status differs from that one, from the detail page's polls.
 */

/** @typedef {import('./types.js').SagaDetail} SagaDetail */

/** @type {Record<string, { label: string, allowed: (s: SagaDetail) => boolean, needsReason?: boolean, hint: string }>} */
const ACTIONS = {
  approve: { label: 'Approve', allowed: (s) => s.status === 'AWAITING_APPROVAL', hint: 'only while awaiting approval' },
  reject: { label: 'Reject', allowed: (s) => s.status === 'AWAITING_APPROVAL', hint: 'only while awaiting approval' },
  cancel: {
    label: 'Cancel',
    allowed: (s) => (s.status === 'RUNNING' || s.status === 'AWAITING_APPROVAL') && !s.pivoted,
    hint: 'only while running and before the pivot',
  },
  retry: { label: 'Retry', allowed: (s) => s.status === 'FAILED' || s.status === 'COMPENSATION_STUCK', hint: 'only when FAILED or COMPENSATION STUCK' },
  resolve: { label: 'Resolve', allowed: (s) => s.status === 'COMPENSATION_STUCK', needsReason: true, hint: 'only when COMPENSATION STUCK; needs a reason' },
};

/**
 * @param {string} sagaId
 * @param {{ onActed: () => void }} options
 */
export function operatorPanel(sagaId, { onActed }) {
  const actor = h('input', { name: 'actor', value: sessionStorage.getItem('saga-console.actor') ?? 'operator', size: 12, required: true });
  const reason = h('input', { name: 'reason', placeholder: 'why (recorded in the saga’s events)', size: 40 });
  const forkStep = h('select', { name: 'fromStep', title: 'Step to re-run from' });
  const log = h('ol', { class: 'action-log', id: 'action-log' });
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  for (const [action, spec] of Object.entries(ACTIONS)) {
    buttons[action] = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', 'data-action': action, onclick: () => act(action) }, spec.label));
  }
  buttons.fork = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', 'data-action': 'fork', onclick: () => act('fork') }, 'Fork'));
  buttons.forget = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', 'data-action': 'forget', class: 'danger', onclick: () => forget() }, 'Forget customer'));

  const value = (/** @type {HTMLElement} */ el) => /** @type {HTMLInputElement} */ (el).value.trim();

  /** @param {string} action */
  async function act(action) {
    const who = value(actor) || 'operator';
    sessionStorage.setItem('saga-console.actor', who);
    const why = value(reason) || undefined;
    if (ACTIONS[action]?.needsReason && !why) return entry('error', action, ['give a reason first: it is recorded with the resolution']);
    const body = action === 'fork' ? { fromStep: value(forkStep), actor: who, reason: why } : { actor: who, reason: why };
    const button = buttons[action];
    button.disabled = true;
    following = undefined;
    try {
      const res = await authorized('POST', `/sagas/${encodeURIComponent(sagaId)}/${action}`, { body });
      if (action === 'fork') {
        const forked = res?.sagaId && res.sagaId !== sagaId ? res.sagaId : undefined;
        entry('ok', action, ['accepted', forked && h('a', { href: `#/sagas/${encodeURIComponent(forked)}` }, ` → new saga ${forked}`)]);
      } else {
        const now = h('span', { class: 'now' }, 'waiting for the saga to act on it…');
        entry('ok', action, [`accepted while ${String(res?.status ?? '?').replaceAll('_', ' ')}; now `, now]);
        following = { before: res?.status, el: now };
      }
      onActed();
    } catch (err) {
      entry('error', action, [explain(action, err)]);
    } finally {
      button.disabled = false;
      if (current) update(current);
    }
  }

  /**
   * GDPR erasure of the saga's customer (POST /customers/:id/forget): their
   * data key is deleted, so their personal data reads "[forgotten]" from then
   * on, here and everywhere. It cannot be undone: asks first, needs a reason.
   */
  async function forget() {
    const customerId = current?.input?.customerId;
    if (typeof customerId !== 'string') return;
    const who = value(actor) || 'operator';
    const why = value(reason);
    if (!why) return entry('error', 'forget', ['give a reason first: it is recorded with the erasure']);
    if (!window.confirm(`Forget customer ${customerId}? Their personal data becomes unreadable everywhere, for good.`)) return;
    buttons.forget.disabled = true;
    try {
      const res = await authorized('POST', `/customers/${encodeURIComponent(customerId)}/forget`, { body: { actor: who, reason: why } });
      entry('ok', 'forget', [`customer ${customerId} forgotten at ${time(res.forgottenAt)}`]);
      onActed();
    } catch (err) {
      entry('error', 'forget', [explain('forget', err)]);
    } finally {
      buttons.forget.disabled = false;
    }
  }

  /**
   * @param {'ok' | 'error'} kind
   * @param {string} action
   * @param {(Node | string | false | undefined)[]} what
   */
  function entry(kind, action, what) {
    log.prepend(h('li', { class: kind, 'data-action': action }, h('span', { class: 'when' }, time(new Date().toISOString())), ` ${action}: `, ...what));
  }

  /** @type {SagaDetail | undefined} */
  let current;
  /** The newest accepted action's entry, showing the saga's status after it. @type {{ before: string | undefined, el: HTMLElement } | undefined} */
  let following;
  /** @param {SagaDetail} saga */
  function update(saga) {
    current = saga;
    if (following && saga.status !== following.before && following.el.dataset.status !== saga.status) {
      fill(following.el, statusBadge(saga.status));
      following.el.dataset.status = saga.status;
    }
    for (const [action, spec] of Object.entries(ACTIONS)) {
      const ok = spec.allowed(saga);
      buttons[action].disabled = !ok;
      buttons[action].title = ok ? '' : spec.hint;
    }
    // Keep the operator's choice across refreshes: rebuild only when steps were added.
    const names = [...new Set(saga.steps.map((s) => s.name))];
    if (forkStep.childElementCount !== names.length) {
      const chosen = value(forkStep);
      fill(forkStep, names.map((n) => h('option', { value: n, selected: n === chosen }, n)));
    }
    // Only a finished saga is forked: two live workflows would race on the same aggregates.
    const forkable = (saga.status === 'COMPLETED' || saga.status === 'COMPENSATED') && names.length > 0;
    buttons.fork.disabled = !forkable;
    buttons.fork.title = forkable ? 'Re-run this saga from the chosen step as a new saga (DBOS fork)' : 'only a COMPLETED or COMPENSATED saga';
    const customerId = saga.input?.customerId;
    buttons.forget.hidden = typeof customerId !== 'string';
    buttons.forget.title = `Erase customer ${customerId}'s personal data (GDPR); needs a reason`;
  }

  const el = h('section', { class: 'operator panel', id: 'operator' },
    h('h2', null, 'Operator actions'),
    h('div', { class: 'row' },
      h('label', null, 'Actor', actor),
      h('label', { class: 'grow' }, 'Reason', reason),
    ),
    h('div', { class: 'row buttons' },
      Object.keys(ACTIONS).map((a) => buttons[a]),
      h('span', { class: 'fork' }, h('label', null, 'from step', forkStep), buttons.fork),
      buttons.forget,
    ),
    log,
  );
  return { el, update };
}

/**
 * @param {string} action
 * @param {unknown} err
 */
function explain(action, err) {
  if (!(err instanceof ApiError)) return String(err);
  if (err.routeMissing) return `not available: this server has no route for ${action} yet`;
  const fields = err.problem.errors?.map((e) => `${e.field}: ${e.message}`).join('; ');
  return `${err.message}${fields ? ` (${fields})` : ''}`;
}
