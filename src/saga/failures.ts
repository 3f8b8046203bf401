import type { ErrorInfo } from './events';

/**
 * Which failures compensate at once and which are retried first.
 *
 * Business failures (a broken domain rule, a declined card, an address the
 * carrier refuses) are final: retrying cannot change the answer. They are
 * marked as such by whoever raises them (`DomainError`, a provider error with
 * `transient: false`). Everything else — timeouts, conflicts, a database blip,
 * a bug — is retried with backoff before the saga gives up on the step: if it
 * is a bug, the retries end in a failure an operator sees.
 *
 * DBOS replays errors without their classes, so this reads fields only.
 */
export function classify(err: unknown): ErrorInfo {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
    transient?: unknown;
    domainError?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : 'UNEXPECTED_ERROR';
  const message = typeof e.message === 'string' ? e.message : String(err);
  // A stream id the event store refuses (a SKU with a space, say) is refused again on every retry.
  const business = e.domainError === true || e.transient === false || code === 'INVALID_STREAM_ID';
  return { code, message, transient: !business };
}

/**
 * Our own database is unreachable (a PostgreSQL restart, a dropped
 * connection): not the step's failure, and not the provider's. Such an error
 * is thrown out of the step so DBOS retries it, patiently, until the database
 * is back, instead of counting it against the step's attempts.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) ||
    /Connection terminated|terminating connection|the database system is (starting up|shutting down|in recovery mode)/.test(message)
  );
}
