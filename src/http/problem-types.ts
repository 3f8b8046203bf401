/**
 * The kinds of problem this API answers with (RFC 9457). Each kind has its
 * own `type` URI, `/problems/<kind>`, served by the API itself as a short
 * description, and one title that never changes between occurrences (the
 * occurrence is told by `detail` and `instance`).
 */
export const PROBLEM_TYPES = {
  'invalid-request': { status: 400, title: 'Invalid request', description: 'A parameter, header or body field is invalid; `errors` names each one.' },
  'malformed-body': { status: 400, title: 'Malformed body', description: 'The body could not be read: not JSON, or a Content-Encoding whose data is corrupt.' },
  unauthorized: { status: 401, title: 'Unauthorized', description: 'A valid bearer token is required (see `WWW-Authenticate`).' },
  forbidden: { status: 403, title: 'Forbidden', description: 'The credential given does not allow this action.' },
  'not-found': { status: 404, title: 'Not found', description: 'No such route, saga, stream, aggregate, order or projection.' },
  conflict: { status: 409, title: 'Conflict', description: 'The action does not fit the current state of what it acts on.' },
  'business-rule': { status: 409, title: 'Rejected by a business rule', description: 'A domain rule refused the command; `code` says which. Nothing was written.' },
  'idempotency-key-reused': { status: 409, title: 'Idempotency key reused', description: 'The Idempotency-Key was already used with a different request.' },
  'customer-forgotten': { status: 409, title: 'Customer forgotten', description: 'The customer was forgotten (their personal data erased): nothing new is taken under their id.' },
  'replay-failed': { status: 409, title: 'Replay failed', description: 'A parked event still fails when replayed.' },
  'payload-too-large': { status: 413, title: 'Payload too large', description: 'The body is larger than the API accepts (256 KB).' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', description: 'Bodies are JSON: Content-Type application/json in UTF-8, identity, gzip, deflate or br encoding.' },
  'too-many-requests': { status: 429, title: 'Too many requests', description: 'Too many failed authentications from this address; retry after `Retry-After` seconds.' },
  'internal-error': { status: 500, title: 'Internal error', description: 'The server could not handle the request; details are in its log, never in the answer.' },
  unavailable: { status: 503, title: 'Unavailable', description: 'A dependency (the database, DBOS) is not available.' },
  'read-model-behind': { status: 504, title: 'Read model behind', description: 'The read model has not caught up with the position asked for (`?after=`) in time.' },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export const problemTypeUri = (kind: ProblemKind) => `/problems/${kind}`;

export const isProblemKind = (value: string): value is ProblemKind => Object.hasOwn(PROBLEM_TYPES, value);
