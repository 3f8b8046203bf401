import type { BenchServer } from './postgres';

/**
 * How much work each workload does. `--quick` keeps the same shape with fewer
 * repetitions and smaller counts (under two minutes); the full run stays under ten.
 */
export interface Profile {
  mode: 'quick' | 'full';
  reps: number;
  sagas: { warmup: number; atC1: number; atC32: number; cost: number };
  /** Workload engine: sagas per batch (in-process, no HTTP). */
  engine: { warmup: number; atC1: number; atC32: number; cost: number };
  appends: { warmup: number; single: number; batches: number };
  lag: { sagas: number };
  recovery: { reps: number; inFlight: number; stepDelayMs: number };
  temporal: { events: number; iterations: number };
  growth: { levels: number[]; sagas: number; appends: number };
}

export const FULL: Profile = {
  mode: 'full',
  reps: 3,
  sagas: { warmup: 100, atC1: 100, atC32: 400, cost: 100 },
  engine: { warmup: 150, atC1: 200, atC32: 800, cost: 150 },
  appends: { warmup: 300, single: 2000, batches: 200 },
  lag: { sagas: 500 },
  recovery: { reps: 3, inFlight: 100, stepDelayMs: 500 },
  temporal: { events: 10_000, iterations: 50 },
  growth: { levels: [0, 100_000, 1_000_000], sagas: 30, appends: 400 },
};

export const QUICK: Profile = {
  mode: 'quick',
  reps: 2,
  sagas: { warmup: 30, atC1: 15, atC32: 100, cost: 15 },
  engine: { warmup: 50, atC1: 50, atC32: 300, cost: 50 },
  appends: { warmup: 100, single: 500, batches: 50 },
  lag: { sagas: 100 },
  recovery: { reps: 1, inFlight: 100, stepDelayMs: 500 },
  temporal: { events: 10_000, iterations: 10 },
  growth: { levels: [0, 100_000], sagas: 12, appends: 200 },
};

export interface BenchContext {
  server: BenchServer;
  profile: Profile;
  /** Progress on stderr, so stdout stays the report. */
  progress(message: string): void;
}
