import type { BenchContext } from '../lib/profile';
import { check, fmt, type WorkloadResult } from '../lib/report';
import { sagaOutcomes, startSaga } from '../lib/saga-driver';
import { median, now } from '../lib/stats';
import { openSide, type Side } from '../lib/sides';

/**
 * Workload 4: 100 sagas in flight, SIGKILL the server, start it again (same
 * port, database and DBOS executor id, so DBOS recovers that executor's
 * workflows at launch) and time it: spawn -> GET /health 200 -> all 100
 * finished. SAGA_STEP_DELAY_MS holds the sagas mid-flight before the kill; the
 * restarted process runs without it, so what is timed is the recovery and the
 * remaining real work, not the artificial delay.
 */
interface Rep {
  inFlightAtKill: number;
  startedStepsAtKill: number;
  upMs: number;
  recoveredMs: number;
  completed: number;
}

async function oneRep(ctx: BenchContext, side: Side, rep: number): Promise<Rep> {
  const { inFlight, stepDelayMs } = ctx.profile.recovery;
  if (rep > 0) {
    // The previous rep left the server running without the delay that holds sagas in flight.
    await side.server.stop();
    await side.restart({ SAGA_STEP_DELAY_MS: String(stepDelayMs) });
  }
  const ids = Array.from({ length: inFlight }, (_, i) => `rec${rep}-${i}`);
  const finished = ids.map((id) => side.waiter.expect(id, 120_000));
  const firstPost = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < ids.length; i = next++) await startSaga(side, ids[i], i, false);
    }),
  );
  // Kill when the first sagas are a few steps in (replayed from checkpoints) and none can have finished.
  const killAt = firstPost + 3.5 * stepDelayMs;
  if (now() < killAt) await new Promise((r) => setTimeout(r, killAt - now()));
  const { rows } = await side.db.pool.query<{ running: number; steps: number }>(
    `SELECT (SELECT count(*)::int FROM dbos.workflow_status WHERE workflow_uuid = ANY($1) AND status IN ('PENDING', 'ENQUEUED')) AS running,
            (SELECT count(*)::int FROM events WHERE stream_id = ANY($2) AND type = 'StepSucceeded') AS steps`,
    [ids, ids.map((id) => `saga-${id}`)],
  );
  ctx.progress(`w4: rep ${rep + 1}: ${rows[0].running} sagas in flight, SIGKILL`);
  await side.server.kill();

  const spawned = now();
  await side.restart({ SAGA_STEP_DELAY_MS: '0' });
  const up = now();
  const done = await Promise.all(finished);
  const last = Math.max(...done.map((d) => d.at));
  const outcome = await sagaOutcomes(side.db, ids);
  return {
    inFlightAtKill: rows[0].running,
    startedStepsAtKill: rows[0].steps,
    upMs: up - spawned,
    recoveredMs: Math.max(0, last - up),
    completed: outcome.completed,
  };
}

export async function recoveryWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { reps, inFlight, stepDelayMs } = ctx.profile.recovery;
  const side = await openSide(ctx, 'ours', 'w4_recovery', { SAGA_STEP_DELAY_MS: String(stepDelayMs) });
  const results: Rep[] = [];
  try {
    for (let r = 0; r < reps; r++) results.push(await oneRep(ctx, side, r));
  } finally {
    await side.close();
  }
  const duplicates = await side.db.pool.query<{ captures: number; bookings: number }>(
    `SELECT (SELECT count(*) - count(DISTINCT authorization_id) FROM payment_captures)::int AS captures,
            (SELECT count(*) - count(DISTINCT order_id) FROM carrier_bookings)::int AS bookings`,
  );
  const recovered = median(results.map((r) => r.recoveredMs));
  const up = median(results.map((r) => r.upMs));
  const allDone = results.every((r) => r.completed === r.inFlightAtKill && r.inFlightAtKill === inFlight);
  const dup = duplicates.rows[0];
  return {
    name: 'recovery',
    tables: [
      {
        title: `Workload 4: recovery of ${inFlight} in-flight sagas after SIGKILL (${reps} reps, median)`,
        headers: ['rep', 'in flight at kill', 'steps done at kill (all)', 'spawn -> healthy ms', 'healthy -> all finished ms', 'completed'],
        rows: [
          ...results.map((r, i) => [`${i + 1}`, r.inFlightAtKill, r.startedStepsAtKill, r.upMs, r.recoveredMs, r.completed]),
          ['median', undefined, undefined, up, recovered, undefined],
        ],
        notes: [
          `before the kill each step slept ${stepDelayMs} ms (SAGA_STEP_DELAY_MS) to hold the sagas in flight; the restart runs without it`,
          `duplicate effects after recovery: ${dup.captures} extra captures, ${dup.bookings} extra shipment bookings`,
        ],
      },
    ],
    targets: [
      check(
        'W4 recovery of 100 in-flight sagas',
        '< 5 s after healthy',
        `${fmt(recovered / 1000)} s (process up in ${fmt(up / 1000)} s)`,
        recovered < 5000 && allDone && dup.captures === 0 && dup.bookings === 0,
      ),
    ],
    data: { reps: results, medianRecoveredMs: recovered, medianUpMs: up, duplicates: dup },
  };
}
