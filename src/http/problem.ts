import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';

/**
 * RFC 9457 problem details. Every error the API returns has this shape; a
 * validation error lists each failing field in `errors`.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (error: z.ZodError, where: 'body' | 'query' | 'params' | 'header') =>
  new HttpProblem(400, 'Invalid request', `invalid ${where}: ${error.issues.map((i) => fieldOf(i.path, where)).join(', ')}`, {
    errors: error.issues.map((i) => ({ field: fieldOf(i.path, where), message: i.message })),
  });

function fieldOf(path: PropertyKey[], where: string): string {
  return path.length ? path.map(String).join('.') : where;
}

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, ...problem.extra });
}

/** Maps known errors to problems; anything else is a 500 without internals. */
export function problemHandler(log: { error: (obj: object, msg: string) => void }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof HttpProblem) return sendProblem(res, err);
    const code = (err as { code?: string }).code;
    if (code === 'SAGA_NOT_FOUND') return sendProblem(res, new HttpProblem(404, 'Not found', err.message));
    if (code === 'SAGA_STATE_CONFLICT') return sendProblem(res, new HttpProblem(409, 'Conflict', err.message));
    if ((err as { domainError?: boolean }).domainError) {
      return sendProblem(res, new HttpProblem(409, 'Rejected by a business rule', err.message, { code }));
    }
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      return sendProblem(res, new HttpProblem(400, 'Invalid request', 'body is not valid JSON', { errors: [{ field: 'body', message: 'invalid JSON' }] }));
    }
    log.error({ err }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'Internal error', 'the server could not handle this request'));
  };
}
