import type { Request } from 'express';
import { HttpProblem } from './problem';

/**
 * Errors express and body-parser raise before a route runs, as problems.
 * They are the client's fault (a body too large, a charset or encoding we do
 * not read, JSON that does not parse, a path that does not percent-decode),
 * so each is a 4xx naming what is wrong, never a 500.
 */
export function describeRequestError(req: Request, err: unknown, routePatterns: readonly string[]): HttpProblem | undefined {
  const e = (err ?? {}) as { type?: string; status?: number; expose?: boolean; message?: string; charset?: string; encoding?: string; limit?: number };
  switch (e.type) {
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', `the body is larger than ${e.limit ?? 'the limit of'} bytes`, {
        errors: [{ field: 'body', message: `at most ${e.limit} bytes` }],
      });
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', `charset ${e.charset} is not supported: send UTF-8`, {
        errors: [{ field: 'Content-Type', message: 'charset must be utf-8' }],
      });
    case 'encoding.unsupported':
      return new HttpProblem('unsupported-media-type', `Content-Encoding ${e.encoding} is not supported`, {
        errors: [{ field: 'Content-Encoding', message: 'identity, gzip, deflate or br' }],
      });
    case 'entity.parse.failed':
      return new HttpProblem('malformed-body', 'the body is not valid JSON', { errors: [{ field: 'body', message: 'invalid JSON' }] });
    case 'request.size.invalid':
    case 'request.aborted':
      return new HttpProblem('malformed-body', 'the body ended before its Content-Length', { errors: [{ field: 'body', message: 'incomplete' }] });
  }
  if (err instanceof URIError && e.status === 400) {
    const name = malformedParameter(req.path, routePatterns);
    return new HttpProblem('invalid-request', `path parameter ${name} is not valid percent-encoding`, {
      errors: [{ field: name, message: 'malformed percent-encoding' }],
    });
  }
  // Any other client error raised while reading the body, e.g. gzip data that does not inflate.
  if (e.expose && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const field = req.headers['content-encoding'] ? 'Content-Encoding' : 'body';
    return new HttpProblem('malformed-body', `the body could not be read: ${e.message}`, { errors: [{ field, message: String(e.message) }] });
  }
  return undefined;
}

/**
 * The name of the `:param` whose segment of `path` does not percent-decode, in
 * the first route pattern of the same shape; `path` when none fits.
 */
export function malformedParameter(path: string, routePatterns: readonly string[]): string {
  const segments = path.split('/');
  for (const pattern of routePatterns) {
    const parts = pattern.split('/');
    if (parts.length !== segments.length) continue;
    let found: string | undefined;
    const fits = parts.every((part, i) => {
      if (!part.startsWith(':')) return part.toLowerCase() === segments[i].toLowerCase();
      if (!found && !decodes(segments[i])) found = part.slice(1);
      return true;
    });
    if (fits && found) return found;
  }
  return 'path';
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every route pattern registered on an express app, in order, for naming
 * parameters; given a method, only its routes (POST /sagas/:type and GET
 * /sagas/:id have the same shape).
 */
export function routePatternsOf(router: { stack?: unknown[] }, method?: string): string[] {
  const patterns: string[] = [];
  const walk = (stack: unknown[]) => {
    for (const layer of stack as { route?: { path?: unknown; methods?: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) {
      if (typeof layer.route?.path === 'string') {
        if (!method || layer.route.methods?.[method.toLowerCase()]) patterns.push(layer.route.path);
      }
      else if (Array.isArray(layer.handle?.stack)) walk(layer.handle.stack);
    }
  };
  walk(router.stack ?? []);
  return patterns;
}
