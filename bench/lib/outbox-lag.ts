import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { BenchDb } from './postgres';

/**
 * The outbox in the bench's server: NATS at NATS_TEST_URL (default the
 * machine's), under a stream and prefix of this run's own. Absent NATS, the
 * server runs without an outbox and the bench says so.
 */
export async function benchNats(): Promise<{ url: string; stream: string; env: Record<string, string> } | undefined> {
  const url = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';
  const nc = await connect({ servers: url, timeout: 2_000, maxReconnectAttempts: 0 }).catch(() => undefined);
  if (!nc) return undefined;
  await nc.close();
  const id = randomBytes(4).toString('hex');
  const stream = `BENCH_${id}`;
  return {
    url,
    stream,
    env: {
      NATS_URL: url,
      NATS_SUBJECT_PREFIX: `bench${id}`,
      NATS_STREAM: stream,
      NATS_INBOUND_STREAM: `BENCH_IN_${id}`,
      NATS_INBOUND_SUBJECT: `benchin${id}.orders`,
    },
  };
}

export async function outboxCaughtUp(db: BenchDb, position: number): Promise<boolean> {
  const { rows } = await db.pool.query<{ reached: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM events e JOIN consumer_checkpoints c ON c.kind = 'outbox' AND c.status = 'live'
       WHERE e.global_position = $1 AND (e.txid, e.global_position) <= (c.txid, c.position)) AS reached`,
    [position],
  );
  return rows[0].reached;
}

/** Commit time (ms since the epoch) of each event in (from, to], when the server keeps commit times. */
export async function commitTimes(db: BenchDb, from: number, to: number): Promise<Map<number, number>> {
  const { rows } = await db.pool.query<{ position: number; at: Date | null }>(
    `SELECT global_position AS position, pg_xact_commit_timestamp(txid::xid) AS at FROM events WHERE global_position > $1 AND global_position <= $2`,
    [from, to],
  );
  return new Map(rows.filter((r) => r.at !== null).map((r) => [r.position, (r.at as Date).getTime()]));
}

/**
 * Per message published for events in (from, to]: the time from the commit of
 * the event's transaction (`committed`; empty when the server keeps no commit
 * times) and from its append (recorded_at, in the payload) to its storing by
 * JetStream (the message's timestamp: what the broker's ack confirms). One
 * clock, one machine.
 */
export async function outboxLags(
  url: string,
  stream: string,
  from: number,
  to: number,
  committed: Map<number, number>,
): Promise<{ fromCommit: number[]; fromAppend: number[] }> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const lags = { fromCommit: [] as number[], fromAppend: [] as number[] };
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      const payload = m?.json<{ globalPosition: number; recordedAt: string }>();
      if (!m || !payload || payload.globalPosition <= from || payload.globalPosition > to) continue;
      const stored = Date.parse(m.timestamp);
      lags.fromAppend.push(stored - Date.parse(payload.recordedAt));
      const commit = committed.get(payload.globalPosition);
      if (commit !== undefined) lags.fromCommit.push(stored - commit);
    }
    return lags;
  } finally {
    await nc.close();
  }
}

export async function dropBenchStreams(url: string, env: Record<string, string>): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of [env.NATS_STREAM, env.NATS_INBOUND_STREAM]) await jsm.streams.delete(s).catch(() => false);
  } finally {
    await nc.close();
  }
}
