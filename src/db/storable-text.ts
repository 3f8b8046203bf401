import { z } from 'zod';

/**
 * Text PostgreSQL can store. `text` and `jsonb` refuse U+0000 (22021 / 22P05),
 * and `jsonb` refuses a lone UTF-16 surrogate (JSON.stringify writes it as a
 * `\udXXX` escape that has no code point). Such a string is bad input, so
 * every layer that takes text checks it here instead of meeting a 500 later.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_MESSAGE = 'contains U+0000 or a lone UTF-16 surrogate, which cannot be stored';

export const isStorableText = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);

export const StorableText = z.string().refine(isStorableText, UNSTORABLE_MESSAGE);

/**
 * The path of the first string (value or object key) in a JSON-like value
 * that cannot be stored, or undefined. For inputs that are not yet parsed by
 * a schema: query strings, path parameters, whole bodies.
 */
export function findUnstorable(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; message: string } | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : { path, message: UNSTORABLE_MESSAGE };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (!isStorableText(key)) return { path: [...path, key], message: `the key ${UNSTORABLE_MESSAGE}` };
      const found = findUnstorable(inner, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}
