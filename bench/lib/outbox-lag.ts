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

/**
 * Per message published for events in (from, to]: the time from the event's
 * append (recorded_at, in the payload) to its storing by JetStream (the
 * message's timestamp: what the broker's ack confirms). One clock, one machine.
 */
export async function outboxLags(url: string, stream: string, from: number, to: number): Promise<number[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const lags: number[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      const payload = m?.json<{ globalPosition: number; recordedAt: string }>();
      if (!m || !payload || payload.globalPosition <= from || payload.globalPosition > to) continue;
      lags.push(Date.parse(m.timestamp) - Date.parse(payload.recordedAt));
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
