/**
 * A version whose batch failed: retried alone after `nextAt`; `oneByOne`
 * more events are taken singly, to find the one that fails and park it.
 */
export interface Failure {
  attempts: number;
  nextAt: number;
  oneByOne: number;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * What follows a failure of a version alone: a batch goes one event at a
 * time; a single event backs off (4× each time, at most 5 s) until its last
 * attempt parks it. A consumer that never parks (its failures are the outside
 * world's) keeps its batches and backs off for as long as it takes.
 */
export function nextFailure(f: Failure, options: { batchSize: number; retryBaseMs: number; neverPark: boolean }): Failure {
  if (f.oneByOne === 0 && !options.neverPark) return { attempts: 0, nextAt: 0, oneByOne: options.batchSize };
  const attempts = f.attempts + 1;
  return { attempts, nextAt: Date.now() + Math.min(MAX_BACKOFF_MS, options.retryBaseMs * 4 ** (attempts - 1)), oneByOne: f.oneByOne };
}
