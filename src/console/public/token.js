// @ts-check
import { ApiError, request } from './api.js';

/**
 * The bearer token the console sends with every API call: a client's
 * (CLIENT_TOKEN: read sagas, start orders) or the operator's (ADMIN_TOKEN:
 * that and operator actions). Asked for when the server first refuses a call,
 * kept in sessionStorage: it lives as long as the tab and never reaches disk
 * or other tabs.
 */
const KEY = 'saga-console.token';

const changed = () => document.dispatchEvent(new Event('token-changed'));

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? undefined,
  /** @param {string} value */
  set: (value) => (sessionStorage.setItem(KEY, value), (declined = false), changed()),
  clear: () => (sessionStorage.removeItem(KEY), changed()),
};

/** The user cancelled the dialog: background reads stop asking until a token is given (the header offers it). */
let declined = false;
/** The dialog is open: every call that needs it waits for the same answer. @type {Promise<string | undefined> | undefined} */
let asking;

/**
 * Ask for the token in the page's dialog.
 * @param {string} [message] why we ask (e.g. the last one was refused)
 * @returns {Promise<string | undefined>} undefined when the user cancels
 */
export function askToken(message) {
  asking ??= prompt(message ?? 'The API needs a token: CLIENT_TOKEN to read sagas and start orders, or ADMIN_TOKEN, which operator actions need too. It is kept for this tab only.').finally(() => (asking = undefined));
  return asking;
}

/** @param {string} message */
function prompt(message) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('token-dialog'));
  const input = /** @type {HTMLInputElement} */ (dialog.querySelector('input[name=token]'));
  const note = /** @type {HTMLElement} */ (dialog.querySelector('.token-message'));
  note.textContent = message;
  input.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const value = input.value.trim();
        if (dialog.returnValue === 'ok' && value) {
          token.set(value);
          resolve(value);
        } else {
          declined = true;
          resolve(undefined);
        }
      },
      { once: true },
    );
  });
}

/**
 * A call with the token held, if any. Refused for want of a credential (401)
 * or for one that does not allow it (403, a client token on an operator
 * action), it asks for a token and tries once more. Background reads (GET)
 * do not ask again once the user cancelled the dialog.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string> }} [options]
 */
export async function authorized(method, path, options = {}) {
  for (let asked = false; ; asked = true) {
    try {
      return await request(method, path, { ...options, token: token.get() });
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403) || asked) throw err;
      if (method === 'GET' && declined && !asking) throw err;
      const why = err.problem.detail ?? err.message;
      const message =
        err.status === 403
          ? `This needs the operator token (ADMIN_TOKEN): ${why}`
          : token.get()
            ? `The server refused the token (${why}). Try again.`
            : undefined;
      if (err.status === 401 && token.get()) token.clear();
      if (!(await askToken(message))) throw err;
    }
  }
}

/** @param {string} path */
export const getJson = (path) => authorized('GET', path);
