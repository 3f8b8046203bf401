// @ts-check
import { ApiError, request } from './api.js';

/**
 * The operator's bearer token, asked for on first use and kept in
 * sessionStorage: it lives as long as the tab and never reaches disk or other tabs.
 */
const KEY = 'saga-console.admin-token';

const changed = () => document.dispatchEvent(new Event('token-changed'));

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? undefined,
  /** @param {string} value */
  set: (value) => (sessionStorage.setItem(KEY, value), changed()),
  clear: () => (sessionStorage.removeItem(KEY), changed()),
};

/**
 * Ask for the token in the page's dialog.
 * @param {string} [message] why we ask (e.g. the last one was refused)
 * @returns {Promise<string | undefined>} undefined when the operator cancels
 */
export function askToken(message) {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('token-dialog'));
  const input = /** @type {HTMLInputElement} */ (dialog.querySelector('input[name=token]'));
  const note = /** @type {HTMLElement} */ (dialog.querySelector('.token-message'));
  note.textContent = message ?? 'Operator actions need the ADMIN_TOKEN. It is kept for this tab only.';
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
        } else resolve(undefined);
      },
      { once: true },
    );
  });
}

/**
 * An authorized request: asks for the token when there is none, and again
 * (once) when the server refuses it.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function authorized(method, path, body) {
  let value = token.get() ?? (await askToken());
  for (let asked = 0; ; asked++) {
    if (!value) throw new ApiError(401, { title: 'Unauthorized', detail: 'no token given' });
    try {
      return await request(method, path, { body, token: value });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || asked > 0) throw err;
      token.clear();
      value = await askToken(`The server refused the token (${err.problem.detail ?? err.message}). Try again.`);
    }
  }
}
