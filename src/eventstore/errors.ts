/**
 * Errors of the event store. Each carries a stable `code`: DBOS replays a
 * step's error as a plain Error with the same fields, so callers branch on
 * `code`, never on `instanceof`.
 */
export class EventStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export class WrongExpectedVersionError extends EventStoreError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actualVersion: number,
  ) {
    super('WRONG_EXPECTED_VERSION', `stream ${streamId}: expected ${expected}, actual version ${actualVersion}`);
  }
}

export class UnregisteredEventTypeError extends EventStoreError {
  constructor(readonly eventType: string) {
    super('UNREGISTERED_EVENT_TYPE', `event type "${eventType}" is not registered`);
  }
}

export class InvalidEventDataError extends EventStoreError {
  constructor(
    readonly eventType: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(
      'INVALID_EVENT_DATA',
      `invalid data for event "${eventType}": ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
}

export class ConcurrencyRetriesExhaustedError extends EventStoreError {
  constructor(
    readonly attempts: number,
    readonly lastError: Error,
  ) {
    super('CONCURRENCY_RETRIES_EXHAUSTED', `gave up after ${attempts} attempts: ${lastError.message}`);
  }
}

export const isWrongExpectedVersion = (err: unknown): err is WrongExpectedVersionError =>
  (err as { code?: string } | null)?.code === 'WRONG_EXPECTED_VERSION';
