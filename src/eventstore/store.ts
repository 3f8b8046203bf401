import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EventStoreError, WrongExpectedVersionError, type ExpectedVersion } from './errors';
import type { EventRegistry } from './registry';
import { APPEND_CHANNEL } from './notifier';
import type {
  AppendOptions,
  AppendResult,
  Checkpoint,
  EventMetadata,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
} from './types';

/** A pool or a client inside a transaction the caller controls. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const EXPECTED_CODES: Record<Exclude<ExpectedVersion, number>, number> = {
  any: -1,
  no_stream: -2,
  stream_exists: -3,
};

function expectedCode(expected: ExpectedVersion = 'any'): number {
  if (typeof expected === 'number') {
    if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`invalid expected version ${expected}`);
    return expected;
  }
  return EXPECTED_CODES[expected];
}

function decodeExpected(code: number): ExpectedVersion {
  return code === -2 ? 'no_stream' : code === -3 ? 'stream_exists' : code === -1 ? 'any' : code;
}

/** Feed order: (txid, position). Transaction ids are xid8, beyond Number's range. */
export function feedOrder(a: Checkpoint, b: Checkpoint): number {
  const ta = BigInt(a.txid);
  const tb = BigInt(b.txid);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.position - b.position;
}

export function categoryOf(streamId: string): string {
  return streamId.split('-', 1)[0];
}

const EVENT_COLUMNS = `global_position, txid::text AS txid, stream_id, stream_type, stream_position, event_id,
  type, schema_version, data, metadata, correlation_id, causation_id, recorded_at`;

interface EventRow {
  global_position: number;
  txid: string;
  stream_id: string;
  stream_type: string;
  stream_position: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  correlation_id: string | null;
  causation_id: string | null;
  recorded_at: Date;
}

const SERIALIZATION_FAILURE = '40001';
/** A wake-up may wait this long for more appends to share it: the read side's cost, against a few ms of lag. */
const ANNOUNCE_COALESCE_MS = 5;
const MAX_ORDERING_RETRIES = 10;

export interface EventStoreOptions {
  /** NOTIFY subscribers on every append (a wake-up; they poll as well). */
  notify?: boolean;
  /**
   * Told of each append this store committed itself (metrics count from it).
   * Not called for a duplicate command, nor for an append inside a caller's
   * transaction, which may still roll back.
   */
  onAppended?: (writes: StreamWrite[], result: AppendResult) => void;
}

export class EventStore {
  /**
   * 'append' (a Checkpoint) as each of this process's own appends commits:
   * followers in this process wake at once (AppendNotifier relays it), not
   * after the NOTIFY's coalescing and its round trip through the server.
   */
  readonly local = new EventEmitter().setMaxListeners(0);

  constructor(
    readonly pool: pg.Pool,
    readonly registry: EventRegistry,
    private readonly options: EventStoreOptions = {},
  ) {}

  append(streamId: string, events: NewEvent[], options: AppendOptions = {}, db?: Queryable): Promise<AppendResult> {
    return this.appendMany([{ streamId, events, expected: options.expected }], options, db);
  }

  /**
   * Append to several streams atomically: all or nothing, each stream checked
   * against its own expected version, all in one statement.
   */
  async appendMany(writes: StreamWrite[], options: AppendOptions = {}, db: Queryable = this.pool): Promise<AppendResult> {
    const streamIds: string[] = [];
    const expected: number[] = [];
    const cols = {
      stream: [] as number[],
      ids: [] as string[],
      types: [] as string[],
      versions: [] as number[],
      data: [] as string[],
      meta: [] as string[],
      corr: [] as (string | null)[],
      caus: [] as (string | null)[],
    };
    for (const write of writes) {
      if (streamIds.includes(write.streamId)) throw new RangeError(`stream ${write.streamId} given twice`);
      if (!/^[^-\s]+-\S+$/.test(write.streamId)) {
        throw new EventStoreError('INVALID_STREAM_ID', `stream id "${write.streamId}" must look like <category>-<id>`);
      }
      streamIds.push(write.streamId);
      expected.push(expectedCode(write.expected ?? options.expected));
      for (const event of write.events) {
        const encoded = this.registry.encode(event.type, event.data);
        const { correlationId, causationId, ...rest } = {
          ...options.metadata,
          ...(options.commandId ? { commandId: options.commandId } : {}),
          ...event.metadata,
        };
        cols.stream.push(streamIds.length);
        cols.ids.push(event.eventId ?? randomUUID());
        cols.types.push(event.type);
        cols.versions.push(encoded.schemaVersion);
        cols.data.push(JSON.stringify(encoded.data));
        cols.meta.push(JSON.stringify(rest));
        cols.corr.push(correlationId ?? null);
        cols.caus.push(causationId ?? null);
      }
    }
    const params = [
      options.commandId ?? null,
      streamIds,
      expected,
      cols.stream,
      cols.ids,
      cols.types,
      cols.versions,
      cols.data,
      cols.meta,
      cols.corr,
      cols.caus,
      // Inside a caller's transaction the NOTIFY rides along (it is sent at that
      // commit) unless the caller announces after its commit (committed());
      // our own appends announce after commit too.
      (this.options.notify ?? true) && db !== this.pool && !options.announceAfterCommit,
    ];
    const sql = `SELECT append_events($1, $2, $3, $4, $5::uuid[], $6, $7, $8::jsonb[], $9::jsonb[], $10, $11, $12) AS r`;
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await db.query<{ r: RawAppendResult }>(sql, params);
        const result = toAppendResult(rows[0].r);
        // Postgres locks (and reports) streams in name order; hand them back in the caller's.
        result.streams.sort((a, b) => streamIds.indexOf(a.streamId) - streamIds.indexOf(b.streamId));
        if (!result.duplicate && db === this.pool) this.committed(writes, result);
        return result;
      } catch (err) {
        const e = err as { code?: string; detail?: string };
        if (e.code === 'ES409') {
          const d = JSON.parse(e.detail ?? '{}') as { streamId: string; expected: number; actual: number };
          throw new WrongExpectedVersionError(d.streamId, decodeExpected(d.expected), d.actual);
        }
        // Only our own single-statement transactions can be retried here; a
        // caller's transaction is aborted and must be retried by the caller.
        if (e.code === SERIALIZATION_FAILURE && db === this.pool && attempt < MAX_ORDERING_RETRIES) continue;
        throw err;
      }
    }
  }

  /**
   * Tell subscribers and metrics about an append that committed. Our own
   * appends call it; a caller that appended inside its own transaction with
   * `announceAfterCommit` calls it after that commit.
   */
  committed(writes: StreamWrite[], result: AppendResult): void {
    this.announce({ txid: result.txid, position: result.lastPosition });
    this.options.onAppended?.(writes, result);
  }

  /** The newest append (in feed order) not announced yet. */
  private unannounced?: Checkpoint;

  /**
   * Wake subscribers after our own appends commit: one NOTIFY for all appends
   * that finished within ANNOUNCE_COALESCE_MS, sent outside their
   * transactions. A NOTIFY inside a transaction holds a cluster-wide lock until
   * the commit is flushed, which made concurrent appends queue behind one
   * another. Subscribers poll as well, so a lost wake-up only costs latency.
   * The payload is the newest of those appends in feed order, `txid:position`:
   * a follower that has read that far already stays asleep.
   */
  private announce(at: Checkpoint): void {
    this.local.emit('append', at);
    if (!(this.options.notify ?? true)) return;
    const pending = this.unannounced;
    if (pending) {
      if (feedOrder(at, pending) > 0) this.unannounced = at;
      return;
    }
    this.unannounced = at;
    setTimeout(() => {
      const newest = this.unannounced as Checkpoint;
      this.unannounced = undefined;
      this.pool.query(`SELECT pg_notify('${APPEND_CHANNEL}', $1)`, [`${newest.txid}:${newest.position}`]).catch(() => {});
    }, ANNOUNCE_COALESCE_MS).unref();
  }

  /** The recorded result of a command id, if it ran. */
  async findCommand(commandId: string, db: Queryable = this.pool): Promise<AppendResult | undefined> {
    const { rows } = await db.query<{ result: RawAppendResult | null }>(
      'SELECT result FROM commands WHERE command_id = $1',
      [commandId],
    );
    const result = rows[0]?.result;
    return result ? toAppendResult({ ...result, duplicate: true }) : undefined;
  }

  async streamVersion(streamId: string, db: Queryable = this.pool): Promise<number> {
    const { rows } = await db.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
    return rows[0]?.version ?? 0;
  }

  async readStream<T = unknown>(streamId: string, options: ReadStreamOptions = {}, db: Queryable = this.pool): Promise<RecordedEvent<T>[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events
        WHERE stream_id = $1 AND stream_position >= $2 AND stream_position <= $3
          AND ($4::timestamptz IS NULL OR recorded_at <= $4)
        ORDER BY stream_position LIMIT $5`,
      [
        streamId,
        options.fromVersion ?? 1,
        options.toVersion ?? Number.MAX_SAFE_INTEGER,
        options.asOf ?? null,
        options.limit ?? null,
      ],
    );
    return rows.map((r) => this.toEvent<T>(r, 'throw'));
  }

  /** The events of given types in one stream, in order (e.g. a saga's operator requests). */
  async readStreamTypes<T = unknown>(streamId: string, types: string[], db: Queryable = this.pool): Promise<RecordedEvent<T>[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND type = ANY($2::text[]) ORDER BY stream_position`,
      [streamId, types],
    );
    return rows.map((r) => this.toEvent<T>(r, 'throw'));
  }

  /**
   * The global feed after `after`: only events of transactions older than every
   * transaction still in progress, so an event that commits late is never
   * passed over. Events that cannot be decoded are returned with `decodeError`.
   */
  async readAll(after: Checkpoint, limit = 500, db: Queryable = this.pool): Promise<RecordedEvent[]> {
    return this.readFeed(null, after, limit, db);
  }

  async readCategory(category: string, after: Checkpoint, limit = 500, db: Queryable = this.pool): Promise<RecordedEvent[]> {
    return this.readFeed(category, after, limit, db);
  }

  private async readFeed(category: string | null, after: Checkpoint, limit: number, db: Queryable): Promise<RecordedEvent[]> {
    const { rows } = await db.query<EventRow>(
      // The marker lets the bench count feed reads as the read side's (bench/lib/count-queries.ts).
      `/* feed */ SELECT ${EVENT_COLUMNS} FROM events
        WHERE (txid, global_position) > ($1::xid8, $2::bigint)
          AND txid < pg_snapshot_xmin(pg_current_snapshot())
          ${category === null ? '' : 'AND stream_type = $4'}
        -- Qualified: a bare "txid" here would sort by the text alias in the
        -- select list ("1029" < "761") and the checkpoint would skip events.
        ORDER BY events.txid, events.global_position LIMIT $3`,
      category === null ? [after.txid, after.position, limit] : [after.txid, after.position, limit, category],
    );
    return rows.map((r) => this.toEvent(r, 'keep'));
  }

  /** The events an append wrote: what a repeated command id answers with. */
  readAppended(result: { streams: { positions: number[] }[] }, db: Queryable = this.pool): Promise<RecordedEvent[]> {
    return this.readPositions(result.streams.flatMap((s) => s.positions), db);
  }

  /** Whole streams at once, keyed by stream id (for folding many small streams). */
  async readStreams(streamIds: string[], db: Queryable = this.pool): Promise<Map<string, RecordedEvent[]>> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_position`,
      [streamIds],
    );
    const byStream = new Map<string, RecordedEvent[]>();
    for (const row of rows) {
      const list = byStream.get(row.stream_id) ?? [];
      list.push(this.toEvent(row, 'throw'));
      byStream.set(row.stream_id, list);
    }
    return byStream;
  }

  /** Events at the given global positions (e.g. those a recorded command wrote). */
  async readPositions(positions: number[], db: Queryable = this.pool): Promise<RecordedEvent[]> {
    if (positions.length === 0) return [];
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position = ANY($1::bigint[]) ORDER BY global_position`,
      [positions],
    );
    return rows.map((r) => this.toEvent(r, 'throw'));
  }

  /** Every event of one correlation (a saga and everything it caused), in feed order. */
  async readCorrelation(correlationId: string, db: Queryable = this.pool): Promise<RecordedEvent[]> {
    const { rows } = await db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE correlation_id = $1 ORDER BY global_position`,
      [correlationId],
    );
    return rows.map((r) => this.toEvent(r, 'keep'));
  }

  /** The global position of the newest event of a correlation (a saga and what it caused); 0 for none. */
  async lastPositionOf(correlationId: string, db: Queryable = this.pool): Promise<number> {
    const { rows } = await db.query<{ position: number | null }>(
      'SELECT max(global_position) AS position FROM events WHERE correlation_id = $1',
      [correlationId],
    );
    return rows[0].position ?? 0;
  }

  /** The newest checkpoint a reader could reach now (for lag and catch-up waits). */
  async head(db: Queryable = this.pool): Promise<{ position: number }> {
    const { rows } = await db.query<{ position: number | null }>('SELECT max(global_position) AS position FROM events');
    return { position: rows[0].position ?? 0 };
  }

  private toEvent<T>(row: EventRow, onDecodeError: 'throw' | 'keep'): RecordedEvent<T> {
    let data = row.data;
    let decodeError: string | undefined;
    try {
      data = this.registry.decode(row.type, row.schema_version, row.data);
    } catch (err) {
      if (onDecodeError === 'throw') {
        (err as Error).message += ` (stream ${row.stream_id} position ${row.stream_position})`;
        throw err;
      }
      decodeError = (err as Error).message;
    }
    const metadata: EventMetadata = { ...row.metadata };
    if (row.correlation_id !== null) metadata.correlationId = row.correlation_id;
    if (row.causation_id !== null) metadata.causationId = row.causation_id;
    return {
      globalPosition: row.global_position,
      txid: row.txid,
      streamId: row.stream_id,
      streamType: row.stream_type,
      streamPosition: row.stream_position,
      eventId: row.event_id,
      type: row.type,
      schemaVersion: row.schema_version,
      data: data as T,
      metadata,
      recordedAt: row.recorded_at,
      ...(decodeError ? { decodeError } : {}),
    };
  }
}

interface RawAppendResult {
  duplicate?: boolean;
  txid: string;
  streams: { streamId: string; previousVersion: number; version: number; positions: number[] }[];
}

function toAppendResult(raw: RawAppendResult): AppendResult {
  const streams = raw.streams.map((s) => ({ ...s, positions: s.positions.map(Number) }));
  return {
    duplicate: raw.duplicate === true,
    txid: raw.txid,
    streams,
    lastPosition: Math.max(0, ...streams.flatMap((s) => s.positions)),
  };
}
