// @ts-check
import { h } from './dom.js';
import { mountFleet } from './fleet.js';
import { mountConsumers } from './consumers.js';
import { mountSagaDetail } from './saga-detail.js';
import { mountSagaList } from './saga-list.js';
import { askToken, token } from './token.js';

/**
 * Hash routes, so the server only ever serves this one page:
 *   #/sagas?status=&type=&businessKey=   the list
 *   #/sagas/<id>                          one saga
 *   #/consumers (or #/projections)        projections, process managers, outbox
 *   #/fleet                               the processes sharing the database
 * A page is a function (container, params) → dispose, which stops its polling.
 */

/** @typedef {(container: HTMLElement, params: { id?: string, query: URLSearchParams }) => () => void} Page */

/** @type {(() => void) | undefined} */
let disposeCurrent;

function route() {
  const [path, search = ''] = location.hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(search);
  const parts = path.split('/').filter(Boolean);
  /** @type {[Page, string, string | undefined]} */
  const [page, nav, id] =
    parts[0] === 'consumers' || parts[0] === 'projections'
      ? [mountConsumers, 'consumers', undefined]
      : parts[0] === 'fleet'
        ? [mountFleet, 'fleet', undefined]
        : parts[0] === 'sagas' && parts[1]
          ? [mountSagaDetail, 'sagas', decodeURIComponent(parts[1])]
          : [mountSagaList, 'sagas', undefined];
  disposeCurrent?.();
  const container = /** @type {HTMLElement} */ (document.getElementById('page'));
  container.replaceChildren();
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.getAttribute('data-nav') === nav);
  }
  disposeCurrent = page(container, { id, query });
}

/** Shows whether a token is held, and lets the user drop it or give one. */
function renderTokenState() {
  const el = /** @type {HTMLElement} */ (document.getElementById('token-state'));
  const held = token.get() !== undefined;
  el.replaceChildren(
    held
      ? h('span', null, 'token set · ', h('button', { class: 'link', type: 'button', onclick: () => (token.clear(), renderTokenState()) }, 'forget'))
      : h('span', { class: 'muted' }, 'no token · ', h('button', { class: 'link', type: 'button', id: 'enter-token', onclick: () => void askToken().then((t) => t && route()) }, 'enter token')),
  );
}

window.addEventListener('hashchange', route);
window.addEventListener('storage', renderTokenState);
document.addEventListener('token-changed', renderTokenState);
renderTokenState();
route();
