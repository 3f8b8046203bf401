import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem';

/** RFC 6750: a 401 says which scheme it wants; a 403 for a token that is valid but not enough says `insufficient_scope`. */
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="saga-orchestrator"' };
const INSUFFICIENT = { 'WWW-Authenticate': 'Bearer realm="saga-orchestrator", error="insufficient_scope"' };

/**
 * Failed authentications per client address, in fixed windows. Past the
 * limit, the address gets 429 with Retry-After until its window ends, even
 * with the right token: guessing tokens costs a window per few attempts.
 */
export class FailedAuthLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  constructor(
    readonly maxFailures = 10,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when `address` is over its limit, else undefined. */
  blockedFor(address: string): number | undefined {
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= this.now()) return undefined;
    return entry.count >= this.maxFailures ? Math.ceil((entry.resetAt - this.now()) / 1000) : undefined;
  }

  fail(address: string): void {
    const now = this.now();
    const entry = this.failures.get(address);
    if (!entry || entry.resetAt <= now) this.failures.set(address, { count: 1, resetAt: now + this.windowMs });
    else entry.count += 1;
    // Bounded memory: an address's entry is dropped once its window is over.
    if (this.failures.size > 10_000) for (const [a, e] of this.failures) if (e.resetAt <= now) this.failures.delete(a);
  }
}

/**
 * What a route needs:
 * - `client`: start sagas, request returns (CLIENT_TOKEN, or the operator's ADMIN_TOKEN);
 * - `reader`: reads that show personal data or event data (either token);
 * - `operator`: operator actions (ADMIN_TOKEN only; a client token gets 403).
 * Routes with none of these are open (health, metrics, fleet, projection status, problem types, the console's files).
 */
export type AccessRule = 'client' | 'reader' | 'operator';
export type Access = Record<AccessRule, RequestHandler>;

export interface Tokens {
  adminToken?: string;
  clientToken?: string;
}

/** The rule a handler enforces, for listing which route needs what (test/http/credentials.test.ts). */
export const accessRuleOf = (handler: unknown): AccessRule | undefined => (handler as { accessRule?: AccessRule }).accessRule;

const same = (given: string, expected: string | undefined) =>
  expected !== undefined && given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));

/**
 * The three handlers, built once (server.ts) from the configured tokens, with
 * one failure limiter for all of them: wrong tokens anywhere count against
 * the address. A token nobody configured is no credential: with no
 * CLIENT_TOKEN only the operator's token passes client and read routes; with
 * neither, those routes refuse everyone (401 saying why).
 */
export function accessControl(tokens: Tokens, limiter = new FailedAuthLimiter()): Access {
  const rule = (name: AccessRule): RequestHandler => {
    const accepts = name === 'operator' ? [tokens.adminToken] : [tokens.adminToken, tokens.clientToken];
    const configured = accepts.some((t) => t !== undefined);
    const handler: RequestHandler = (req, _res, next) => {
      const address = req.socket.remoteAddress ?? 'unknown';
      const wait = limiter.blockedFor(address);
      if (wait !== undefined) {
        return next(new HttpProblem('too-many-requests', `too many failed authentications from ${address}; retry in ${wait} s`, {}, { 'Retry-After': String(wait) }));
      }
      if (!configured) return next(new HttpProblem('unauthorized', disabled(name), {}, CHALLENGE));
      const presented = req.header('authorization');
      const given = /^Bearer (.+)$/.exec(presented ?? '')?.[1];
      if (given !== undefined && accepts.some((t) => same(given, t))) return next();
      // A valid client token on an operator route is not a guess: 403, not counted.
      if (given !== undefined && name === 'operator' && same(given, tokens.clientToken)) {
        return next(new HttpProblem('forbidden', 'operator actions need the operator token (ADMIN_TOKEN); a client token does not allow them', {}, INSUFFICIENT));
      }
      // A request without credentials is not a guess; a wrong one is.
      if (presented !== undefined) limiter.fail(address);
      return next(new HttpProblem('unauthorized', required(name, tokens), {}, CHALLENGE));
    };
    return Object.assign(handler, { accessRule: name });
  };
  return { client: rule('client'), reader: rule('reader'), operator: rule('operator') };
}

function disabled(rule: AccessRule): string {
  return rule === 'operator'
    ? 'operator actions are disabled: ADMIN_TOKEN is not configured'
    : `${rule === 'client' ? 'starting sagas and requesting returns' : 'reading sagas, orders and events'} is disabled: neither CLIENT_TOKEN nor ADMIN_TOKEN is configured`;
}

function required(rule: AccessRule, tokens: Tokens): string {
  if (rule === 'operator') return 'a valid bearer token is required: the operator token (ADMIN_TOKEN)';
  if (tokens.clientToken === undefined) return 'a valid bearer token is required: CLIENT_TOKEN is not configured, so only the operator token (ADMIN_TOKEN) is accepted';
  return 'a valid bearer token is required: the client token (CLIENT_TOKEN) or the operator token (ADMIN_TOKEN)';
}
