import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import type { ProblemKind } from './problem-types';
import { parse } from './validate';

/** One documented answer: JSON described by `body`, or another media type (`type`). */
export interface ResponseSpec {
  description: string;
  body?: z.ZodType;
  /** Media type when it is not JSON (text/plain, text/html). */
  type?: string;
  headers?: Record<string, string>;
}

type ZodObj = z.ZodType<Record<string, unknown>>;

/**
 * A route declared once: what it reads and what it answers. The express
 * handler gets what these schemas parsed (a 400 naming the fields otherwise),
 * and the OpenAPI document is generated from the same spec (openapi.ts), so
 * the contract has one copy.
 */
export interface RouteSpec<P extends ZodObj = ZodObj, Q extends ZodObj = ZodObj, H extends ZodObj = ZodObj, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post';
  /** Express syntax: /sagas/:id */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  /** Keys are header names as spelled in errors and the document (Idempotency-Key). */
  headers?: H;
  /** The body's schema, or one per path (POST /sagas/:type validates with the saga's own schema). */
  body?: B | ((params: z.output<P>) => B);
  /**
   * For a body that depends on a path parameter: the document lists one
   * operation per value (POST /sagas/order-fulfillment, …), each with its body.
   */
  expand?: () => { params: Record<string, string>; summary: string }[];
  /** An authentication middleware: the route is documented as needing a bearer token. */
  auth?: RequestHandler;
  responses: Record<number, ResponseSpec>;
  /** Problems this route answers with besides the ones every route of its shape may (see openapi.ts). */
  problems?: ProblemKind[];
}

export interface Parsed<P extends ZodObj, Q extends ZodObj, H extends ZodObj, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  headers: z.output<H>;
  body: z.output<B>;
}

const specs = new WeakMap<object, RouteSpec<any, any, any, any>>();

/** The spec a route was declared with (undefined for a route registered without one). */
export const specOf = (route: object): RouteSpec | undefined => specs.get(route);

/** Headers by the names the schema gives them; HTTP header names are case-insensitive. */
function headersOf(schema: ZodObj, req: Request): Record<string, unknown> {
  const names = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  return Object.fromEntries(names.map((name) => [name, req.header(name)]));
}

/**
 * Register `spec` on `router` with `handler`, which receives the parsed
 * request. Parts are parsed in the order a client fixes them: path, query,
 * headers, body.
 */
export function route<P extends ZodObj, Q extends ZodObj, H extends ZodObj, B extends z.ZodType>(
  router: Router,
  spec: RouteSpec<P, Q, H, B>,
  handler: (input: Parsed<P, Q, H, B>, req: Request, res: Response) => Promise<void> | void,
): void {
  const express = router.route(spec.path);
  specs.set(express, spec);
  const run: RequestHandler = async (req, res) => {
    const params = spec.params ? parse(spec.params, req.params, 'params') : {};
    const query = spec.query ? parse(spec.query, req.query, 'query') : {};
    const headers = spec.headers ? parse(spec.headers, headersOf(spec.headers, req), 'params') : {};
    const schema = typeof spec.body === 'function' ? spec.body(params as z.output<P>) : spec.body;
    const body = schema ? parse(schema, req.body ?? {}, 'body') : undefined;
    await handler({ params, query, headers, body } as Parsed<P, Q, H, B>, req, res);
  };
  express[spec.method](...(spec.auth ? [spec.auth, run] : [run]));
}
