import { z } from 'zod';
import { DomainError } from '../eventstore/decider';

// Imported from the eventstore's leaf modules, not its index: the domain must
// load without pulling in pg.

/** Opaque identifiers; they end up inside stream ids, so never empty. */
export const Id = z.string().min(1);
export const Quantity = z.number().int().positive();
/** Minor units (cents). Integers only: floats would drift when summed. */
export const Money = z.number().int().nonnegative();
export const PositiveMoney = z.number().int().positive();
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in upper case');
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in upper case');
export const Reason = z.string().min(1);

/**
 * Commands can arrive from HTTP as untyped JSON, so decide validates them
 * itself and reports bad input with a stable code instead of a ZodError.
 */
export function parseCommand<S extends z.ZodType>(schema: S, command: unknown): z.output<S> {
  const parsed = schema.safeParse(command);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new DomainError('INVALID_COMMAND', `invalid command: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, {
    issues,
  });
}

/** Builds `<category>-<id>`; the store derives the category from the part before the first '-'. */
export function streamIdIn(category: string): (id: string) => string {
  return (id) => {
    if (!id) throw new Error(`empty id for a ${category} stream`);
    return `${category}-${id}`;
  };
}

/**
 * Own keys only: ids are user input, and `record['constructor']` on a plain
 * object would otherwise find Object.prototype's.
 */
export const hasKey = (record: Record<string, unknown>, key: string): boolean => Object.hasOwn(record, key);

/** A copy of a JSON record without one key, keeping state immutable. */
export function withoutKey<V>(record: Record<string, V>, key: string): Record<string, V> {
  const { [key]: _removed, ...rest } = record;
  return rest;
}
