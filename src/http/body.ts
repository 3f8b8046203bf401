import express, { type RequestHandler } from 'express';
import { HttpProblem } from './problem';

/** Bodies larger than this are refused with 413 before they are read. */
export const BODY_LIMIT = '256kb';

/**
 * Request bodies are JSON. A body of another type is refused with 415 (not
 * parsed as nothing and then reported as every field missing); a request
 * without a body passes (operator actions take an optional one).
 */
const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  // JSON is UTF-8 (RFC 8259); another declared charset (UTF-7, say) is refused, not decoded.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (hasBody && charset !== undefined && !/^utf-?8$/i.test(charset)) {
    return next(
      new HttpProblem('unsupported-media-type', `the body must be UTF-8 JSON, not charset ${charset}`, {
        errors: [{ field: 'Content-Type', message: 'application/json; charset=utf-8' }],
      }),
    );
  }
  if (!hasBody || req.is('application/json')) return next();
  next(
    new HttpProblem(
      'unsupported-media-type',
      `the body must be Content-Type: application/json, not ${req.headers['content-type'] ?? 'untyped'}`,
      { errors: [{ field: 'Content-Type', message: 'application/json' }] },
      { 'Accept-Post': 'application/json' },
    ),
  );
};

export const jsonBodies: RequestHandler[] = [requireJson, express.json({ limit: BODY_LIMIT })];
