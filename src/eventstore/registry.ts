import type { z } from 'zod';
import { InvalidEventDataError, UnregisteredEventTypeError } from './errors';

/**
 * Event types and their versions. Each type has one current schema; older
 * stored versions are turned into the current one on read by a chain of pure
 * upcasters (version k → k+1). History is never rewritten.
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  version: number;
  schema: S;
  /** upcasters[k] turns data of version k into data of version k + 1. */
  upcasters: Record<number, (data: any) => unknown>;
  /** Build a typed event `{ type, data }`. */
  (data: z.input<S>): { type: T; data: z.output<S> };
}

/** The `{ type, data }` shape of a defined event, for deciders' unions. */
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? { type: T; data: z.output<S> } : never;

export function defineEvent<T extends string, S extends z.ZodType>(
  type: T,
  schema: S,
  options: { version?: number; upcasters?: Record<number, (data: any) => unknown> } = {},
): EventDefinition<T, S> {
  const version = options.version ?? 1;
  const upcasters = options.upcasters ?? {};
  for (let v = 1; v < version; v++) {
    if (!upcasters[v]) throw new Error(`event ${type} v${version} needs an upcaster from v${v}`);
  }
  const make = (data: z.input<S>) => ({ type, data: schema.parse(data) as z.output<S> });
  return Object.assign(make, { type, version, schema, upcasters }) as unknown as EventDefinition<T, S>;
}

function toIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export class EventRegistry {
  private readonly definitions = new Map<string, EventDefinition>();

  constructor(definitions: Iterable<EventDefinition> = []) {
    for (const d of definitions) this.register(d);
  }

  register(...definitions: EventDefinition[]): this {
    for (const d of definitions) {
      const existing = this.definitions.get(d.type);
      if (existing && existing !== d) throw new Error(`event type ${d.type} registered twice`);
      this.definitions.set(d.type, d);
    }
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  get(type: string): EventDefinition {
    const d = this.definitions.get(type);
    if (!d) throw new UnregisteredEventTypeError(type);
    return d;
  }

  /** Validate data for writing; returns the current schema version and parsed data. */
  encode(type: string, data: unknown): { schemaVersion: number; data: Record<string, unknown> } {
    const d = this.get(type);
    const parsed = d.schema.safeParse(data);
    if (!parsed.success) throw new InvalidEventDataError(type, toIssues(parsed.error));
    if (typeof parsed.data !== 'object' || parsed.data === null || Array.isArray(parsed.data)) {
      throw new InvalidEventDataError(type, [{ path: '', message: 'event data must be an object' }]);
    }
    return { schemaVersion: d.version, data: parsed.data as Record<string, unknown> };
  }

  /** Bring stored data of any known version up to the current schema. */
  decode(type: string, schemaVersion: number, data: unknown): unknown {
    const d = this.get(type);
    if (schemaVersion > d.version) {
      throw new InvalidEventDataError(type, [
        { path: '', message: `stored schema version ${schemaVersion} is newer than this code (v${d.version})` },
      ]);
    }
    let current = data;
    for (let v = schemaVersion; v < d.version; v++) current = d.upcasters[v](current);
    const parsed = d.schema.safeParse(current);
    if (!parsed.success) throw new InvalidEventDataError(type, toIssues(parsed.error));
    return parsed.data;
  }
}
