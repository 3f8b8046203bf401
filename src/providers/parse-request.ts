import type { z } from 'zod';
import { businessError, CommonErrorCodes, type ProviderName } from './errors';

/**
 * Validates a request at the provider's door. A malformed request is rejected
 * with INVALID_REQUEST before it reaches the books, so it records nothing and
 * does not consume its idempotency key.
 */
export function parseRequest<S extends z.ZodType>(provider: ProviderName, schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw businessError(provider, CommonErrorCodes.INVALID_REQUEST, `invalid ${provider} request: ${issues}`);
}
