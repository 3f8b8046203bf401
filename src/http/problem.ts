import type { ErrorRequestHandler, Request, Response } from 'express';
import type { z } from 'zod';
import { PROBLEM_TYPES, problemTypeUri, type ProblemKind } from './problem-types';

/**
 * RFC 9457 problem details. Every error the API returns has this shape: a
 * `type` URI and `title` per kind of problem, the `detail` of this
 * occurrence, the request as `instance`; a validation error lists each
 * failing field in `errors`.
 */
export class HttpProblem extends Error {
  readonly status: number;
  constructor(
    readonly kind: ProblemKind,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEM_TYPES[kind].title);
    this.status = PROBLEM_TYPES[kind].status;
  }
}

export interface FieldError {
  field: string;
  message: string;
}

export const invalid = (errors: FieldError[]) =>
  new HttpProblem('invalid-request', `invalid ${errors.map((e) => e.field).join(', ')}`, { errors });

/**
 * Where a value came from, for naming it in errors: a body or an object of
 * query or path parameters (their keys are the names), or one header or
 * parameter given by name.
 */
export type Source = 'body' | 'query' | 'params' | { name: string };

export function fieldOf(path: readonly PropertyKey[], source: Source): string {
  const prefix = typeof source === 'object' ? [source.name] : [];
  const parts = [...prefix, ...path.map(String)];
  return parts.length ? parts.join('.') : typeof source === 'object' ? source.name : source;
}

export const badRequest = (error: z.ZodError, source: Source) =>
  invalid(error.issues.map((i) => ({ field: fieldOf(i.path, source), message: i.message })));

export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  const { title } = PROBLEM_TYPES[problem.kind];
  res
    .status(problem.status)
    .set(problem.headers)
    .type('application/problem+json')
    .json({ type: problemTypeUri(problem.kind), title, status: problem.status, detail: problem.detail, instance: req.originalUrl, ...problem.extra });
}

/** Maps known errors to problems; anything else is a 500 without internals. */
export function problemHandler(log: { error: (obj: object, msg: string) => void }, describe: (req: Request, err: unknown) => HttpProblem | undefined): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return void res.end();
    if (err instanceof HttpProblem) return sendProblem(req, res, err);
    const code = (err as { code?: string }).code;
    if (code === 'SAGA_NOT_FOUND') return sendProblem(req, res, new HttpProblem('not-found', err.message));
    if (code === 'SAGA_STATE_CONFLICT') return sendProblem(req, res, new HttpProblem('conflict', err.message));
    if (code === 'UNKNOWN_SAGA_TYPE') return sendProblem(req, res, new HttpProblem('not-found', err.message));
    if (code === 'INVALID_SAGA_INPUT') {
      const issues = (err as { issues: { path: PropertyKey[]; message: string }[] }).issues;
      return sendProblem(req, res, invalid(issues.map((i) => ({ field: fieldOf(i.path, 'body'), message: i.message }))));
    }
    if (code === 'CUSTOMER_FORGOTTEN') return sendProblem(req, res, new HttpProblem('customer-forgotten', err.message));
    if ((err as { domainError?: boolean }).domainError) {
      return sendProblem(req, res, new HttpProblem('business-rule', err.message, { code }));
    }
    const known = describe(req, err);
    if (known) return sendProblem(req, res, known);
    log.error({ err }, 'unhandled error');
    sendProblem(req, res, new HttpProblem('internal-error', 'the server could not handle this request'));
  };
}
