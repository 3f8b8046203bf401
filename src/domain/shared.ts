import { z } from 'zod';
import { StorableText } from '../db/storable-text';
import { DomainError } from '../eventstore/decider';
import { CurrencyCode } from '../providers/payment-gateway';

// Imported from leaf modules, not the eventstore's or the providers' index:
// the domain must load without pulling in pg.

export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const ID_RULE = 'up to 128 letters, digits, ".", "_", ":" or "-"';
/**
 * Opaque identifiers. They end up inside stream ids (`<category>-<id>`, which
 * the event store refuses with whitespace) and URLs, so the character set is
 * closed: a request with any other id is refused at the edge, never half-run.
 */
export const Id = z.string().regex(ID_PATTERN, ID_RULE);
/** A stock-keeping unit: an id, shorter, as the stock route and the carrier take it. */
export const Sku = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'up to 64 letters, digits, ".", "_", ":" or "-"');
/** `.int()` is within Number.MAX_SAFE_INTEGER: arithmetic on it stays exact. */
export const Quantity = z.number().int().positive();
/** Minor units (cents). Integers only: floats would drift when summed. */
export const Money = z.number().int().nonnegative();
export const PositiveMoney = z.number().int().positive();
/** The gateway's own list: an order in a currency it cannot charge in would never complete. */
export const Currency = CurrencyCode;
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code in upper case');
export const Reason = StorableText.min(1);
/** Free text a person typed (a name, a note): storable, bounded. */
export const Text = StorableText;

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
