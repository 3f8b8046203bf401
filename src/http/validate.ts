import type { Request } from 'express';
import type { z } from 'zod';
import { badRequest } from './problem';

/** Parse one part of a request with a zod schema, or fail with a 400 naming the fields. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'header'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(result.error, where);
  return result.data;
}

export const body = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.body ?? {}, 'body');
export const query = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.query, 'query');
export const params = <S extends z.ZodType>(schema: S, req: Request) => parse(schema, req.params, 'params');
