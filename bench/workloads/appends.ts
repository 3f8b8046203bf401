import { appendWriters, runAppends, STREAMS } from '../lib/append-driver';
import type { BenchContext } from '../lib/profile';
import { check, fmt, type WorkloadResult } from '../lib/report';
import { medianOf, pairedRatio } from '../lib/stats';

/**
 * Workload 2: EventStore.append with an expected version against the same row
 * written by a raw pg INSERT into the same events table (see
 * lib/append-driver.ts), single events and batches of 100, at c=1 and c=16.
 */
interface Case {
  label: string;
  size: number;
  concurrency: number;
  /** Diagnostic: our append without its NOTIFY, to show what the NOTIFY costs. */
  quiet?: boolean;
}

export async function appendWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  const db = await ctx.server.createDatabase('w2_appends', { migrate: true });
  const writers = appendWriters(db);
  progress('w2: warm-up');
  for (const [name, write] of Object.entries(writers)) await runAppends(write, `warm${name}`, profile.appends.warmup, 1, 4);

  const cases: Case[] = [
    { label: '1 event, c=1', size: 1, concurrency: 1 },
    { label: '1 event, c=16', size: 1, concurrency: 16 },
    { label: '100 events, c=1', size: 100, concurrency: 1 },
    { label: '100 events, c=16', size: 100, concurrency: 16 },
    { label: '1 event, c=16, NOTIFY off *', size: 1, concurrency: 16, quiet: true },
  ];
  const results = [];
  for (const [k, c] of cases.entries()) {
    const ops = c.size === 1 ? profile.appends.single : profile.appends.batches;
    const reps = { ours: [] as Record<string, number>[], raw: [] as Record<string, number>[] };
    for (let r = 0; r < profile.reps; r++) {
      progress(`w2: ${c.label} rep ${r + 1}/${profile.reps}`);
      // Alternate, so drift hits both sides alike.
      reps.raw.push(await runAppends(writers.raw, `raw${k}r${r}`, ops, c.size, c.concurrency));
      reps.ours.push(await runAppends(c.quiet ? writers.quiet : writers.ours, `ours${k}r${r}`, ops, c.size, c.concurrency));
    }
    const vsRaw = pairedRatio(reps.ours.map((f) => f.eventsPerSecond), reps.raw.map((f) => f.eventsPerSecond));
    results.push({ ...c, ops, ours: medianOf(reps.ours), raw: medianOf(reps.raw), vsRaw, reps });
  }

  const single16 = results[1];
  const batch16 = results[3];
  const singleRatio = single16.vsRaw;
  return {
    name: 'appends',
    tables: [
      {
        title: `Workload 2: event appends, 1000 streams (median of ${profile.reps} reps)`,
        headers: ['case', 'appends', 'ours events/s', 'p50 ms', 'p99 ms', 'raw INSERT events/s', 'p50 ms', 'p99 ms', 'ours/raw'],
        rows: results.map((r) => [
          r.label,
          r.ops,
          r.ours.eventsPerSecond,
          r.ours.p50,
          r.ours.p99,
          r.raw.eventsPerSecond,
          r.raw.p50,
          r.raw.p99,
          `${r.vsRaw.toFixed(2)}x`,
        ]),
        notes: [
          'ours: EventStore.append(stream, events, { expected }) -> append_events(): version check and streams row in one statement; one coalesced NOTIFY after commit',
          'raw: the same event rows by one INSERT into the same events table, positions computed by the client',
          'ours/raw: median over the repetitions of each back-to-back pair',
          '* diagnostic, not a target: EventStore({ notify: false }), the cost of the wake-up NOTIFY subscribers get after commits',
        ],
      },
    ],
    targets: [
      check(
        'W2 single appends at c=16',
        '>= 0.7x raw INSERT',
        `${singleRatio.toFixed(2)}x (${fmt(single16.ours.eventsPerSecond)} vs ${fmt(single16.raw.eventsPerSecond)} /s)`,
        singleRatio >= 0.7,
        `each append also locks and updates its stream's row (version, last txid, clock): two rows written, not one; ` +
          `without the NOTIFY ${fmt(results[4].ours.eventsPerSecond)} /s ` +
          `(${results[4].vsRaw.toFixed(2)}x raw)`,
      ),
      check(
        'W2 batches of 100 events (c=16)',
        '>= 20,000 events/s',
        `${fmt(batch16.ours.eventsPerSecond)} events/s (c=1: ${fmt(results[2].ours.eventsPerSecond)})`,
        batch16.ours.eventsPerSecond >= 20_000,
        'see the per-event cost inside append_events()',
      ),
    ],
    data: { streams: STREAMS, cases: results },
  };
}
