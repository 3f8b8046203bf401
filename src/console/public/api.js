// @ts-check
/**
 * Talks to the service's HTTP API (same origin). Errors arrive as RFC 9457
 * problem+json and are thrown as ApiError carrying that problem.
 */

/**
 * @typedef {object} Problem
 * @property {string} [title]
 * @property {number} [status]
 * @property {string} [detail]
 * @property {{ field: string, message: string }[]} [errors]
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem} problem
   */
  constructor(status, problem) {
    super(`${status} ${problem.title ?? 'Error'}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.status = status;
    this.problem = problem;
  }

  /** The route itself is missing (a feature this server does not have yet), not the thing it names. */
  get routeMissing() {
    return this.status === 404 && /^no route /.test(this.problem.detail ?? '');
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, token?: string, headers?: Record<string, string> }} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch (err) {
    throw new ApiError(0, { title: 'Network error', detail: `the server did not answer (${/** @type {Error} */ (err).message})` });
  }
  const text = await res.text();
  /** @type {any} */
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { title: res.statusText, detail: text.slice(0, 300) };
  }
  if (!res.ok) throw new ApiError(res.status, body ?? { title: res.statusText });
  return body;
}

/**
 * A query string from the entries that have a value.
 * @param {Record<string, string | number | undefined | null>} params
 */
export function queryString(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
