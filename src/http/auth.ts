import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem';

/** Operator actions need `Authorization: Bearer <ADMIN_TOKEN>`. No token configured: nobody may act. */
/** RFC 6750: a 401 says which scheme it wants. */
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="saga-orchestrator"' };

export function requireToken(adminToken: string | undefined): RequestHandler {
  return (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    if (!adminToken) return next(new HttpProblem('unauthorized', 'operator actions are disabled: ADMIN_TOKEN is not configured', {}, CHALLENGE));
    const ok = given !== undefined && given.length === adminToken.length && timingSafeEqual(Buffer.from(given), Buffer.from(adminToken));
    if (!ok) return next(new HttpProblem('unauthorized', 'a valid bearer token is required', {}, CHALLENGE));
    next();
  };
}
