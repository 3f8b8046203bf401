import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem';

/** RFC 6750: a 401 says which scheme it wants. */
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="saga-orchestrator"' };

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

/** Operator actions need `Authorization: Bearer <ADMIN_TOKEN>`. No token configured: nobody may act. */
export function requireToken(adminToken: string | undefined, limiter = new FailedAuthLimiter()): RequestHandler {
  return (req, _res, next) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.blockedFor(address);
    if (wait !== undefined) {
      return next(new HttpProblem('too-many-requests', `too many failed authentications from ${address}; retry in ${wait} s`, {}, { 'Retry-After': String(wait) }));
    }
    const presented = req.header('authorization');
    const given = /^Bearer (.+)$/.exec(presented ?? '')?.[1];
    if (!adminToken) return next(new HttpProblem('unauthorized', 'operator actions are disabled: ADMIN_TOKEN is not configured', {}, CHALLENGE));
    const ok = given !== undefined && given.length === adminToken.length && timingSafeEqual(Buffer.from(given), Buffer.from(adminToken));
    if (!ok) {
      // A request without credentials is not a guess; a wrong one is.
      if (presented !== undefined) limiter.fail(address);
      return next(new HttpProblem('unauthorized', 'a valid bearer token is required', {}, CHALLENGE));
    }
    next();
  };
}
