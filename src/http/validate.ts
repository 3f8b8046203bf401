import type { Request } from 'express';
import type { z } from 'zod';
import { findUnstorable } from '../db/storable-text';
import { badRequest, fieldOf, invalid, type Source } from './problem';

/**
 * Parse one part of a request with a zod schema, or fail with a 400 naming the
 * fields. Any string in it (keys included) that PostgreSQL cannot store is
 * refused first, whatever the schema, so no such string reaches a query.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, source: Source): z.output<S> {
  const unstorable = findUnstorable(value);
  if (unstorable) throw invalid([{ field: fieldOf(unstorable.path, source), message: unstorable.message }]);
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(result.error, source);
  return result.data;
}

export const body = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.body ?? {}, 'body');
export const query = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.query, 'query');
export const params = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.params, 'params');
/** One header, named in errors as it is spelled here (e.g. `Idempotency-Key`). */
export const header = <S extends z.ZodType>(schema: S, req: Request, name: string) => parse(schema, req.header(name), { name });
