/**
 * The few statistics the bench reports: percentiles of one run's latencies, and
 * the median of a figure over repetitions (so one noisy repetition cannot move it).
 */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : NaN,
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Field-by-field median of repeated measurements with the same numeric fields. */
export function medianOf<T extends Record<string, number>>(reps: T[]): T {
  const out: Record<string, number> = {};
  for (const key of Object.keys(reps[0])) out[key] = median(reps.map((r) => r[key]));
  return out as T;
}

/**
 * Median of the per-repetition ratios a[i]/b[i]. The two sides of a pair ran
 * back to back, so whatever else the machine was doing then hits both, and the
 * ratio keeps less of it than a ratio of medians would.
 */
export function pairedRatio(a: number[], b: number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export const now = (): number => performance.now();
