import {
  CommandHandler,
  EventStore,
  fold,
  loadAggregate,
  SnapshotStore,
  type CommandTarget,
} from '../../src/eventstore';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { Added, counter, testRegistry, type CounterEvent } from '../support/events';

let db: TestDatabase;
let store: EventStore;
let snapshots: SnapshotStore;
let handler: CommandHandler;

beforeAll(async () => {
  db = await createTestDatabase('aggregate');
  store = new EventStore(db.pool, testRegistry());
  snapshots = new SnapshotStore(db.pool, 10);
  handler = new CommandHandler(store, snapshots);
});
afterAll(() => db.drop());

const add = (streamId: string, amount: number): CommandTarget => ({
  decider: counter,
  streamId,
  command: { type: 'Add', amount },
});

const fullFold = async (streamId: string, upTo?: (e: { streamPosition: number; recordedAt: Date }) => boolean) => {
  const events = await store.readStream<CounterEvent['data']>(streamId);
  const prefix = upTo ? events.filter(upTo) : events;
  return fold(counter, prefix.map((e) => ({ type: e.type, data: e.data }) as CounterEvent));
};

describe('snapshots', () => {
  const id = 'counter-snap';
  beforeAll(async () => {
    for (let i = 1; i <= 25; i++) await handler.handle([add(id, i % 3)]);
  });

  test('are taken every N events, keyed by reducer name and version', async () => {
    const { rows } = await db.pool.query(
      'SELECT stream_position, reducer, reducer_version FROM snapshots WHERE stream_id = $1 ORDER BY stream_position',
      [id],
    );
    expect(rows).toEqual([
      { stream_position: 10, reducer: 'counter', reducer_version: 1 },
      { stream_position: 20, reducer: 'counter', reducer_version: 1 },
    ]);
  });

  test('newest snapshot + tail equals a full fold', async () => {
    const loaded = await loadAggregate(store, snapshots, counter, id);
    expect(loaded).toMatchObject({ version: 25, snapshotVersion: 20, eventsFolded: 5 });
    expect(loaded.state).toEqual(await fullFold(id));
  });

  test('a changed reducer version ignores old snapshots', async () => {
    const v2 = { ...counter, version: 2 };
    const loaded = await loadAggregate(store, snapshots, v2, id);
    expect(loaded).toMatchObject({ version: 25, snapshotVersion: 0, eventsFolded: 25 });
    expect(loaded.state).toEqual(await fullFold(id));
  });

  test('the snapshot really is used: a tampered snapshot shows through', async () => {
    // Proves the load path reads the snapshot rather than folding everything.
    await db.pool.query(
      `UPDATE snapshots SET state = '{"total": 1000, "adds": 20}' WHERE stream_id = $1 AND stream_position = 20`,
      [id],
    );
    const loaded = await loadAggregate(store, snapshots, counter, id);
    expect(loaded.state.adds).toBe(25);
    expect(loaded.state.total).toBeGreaterThan(1000);
    await db.pool.query('DELETE FROM snapshots WHERE stream_id = $1 AND stream_position = 20', [id]);
  });
});

describe('temporal queries', () => {
  const id = 'counter-time';
  const times: Date[] = [];
  beforeAll(async () => {
    for (let i = 1; i <= 30; i++) {
      await store.append(id, [Added({ amount: i })]);
      if (i % 10 === 0) await snapshots.save(id, counter.name, counter.version, i, (await fullFold(id)));
      const [e] = await store.readStream(id, { fromVersion: i, toVersion: i });
      times.push(e.recordedAt);
      await new Promise((r) => setTimeout(r, 2));
    }
  });

  test.each([1, 9, 10, 11, 15, 20, 29, 30])('as of version %i equals folding the prefix', async (v) => {
    const loaded = await loadAggregate(store, snapshots, counter, id, { version: v });
    expect(loaded.version).toBe(v);
    expect(loaded.state).toEqual(await fullFold(id, (e) => e.streamPosition <= v));
    expect(loaded.state).toEqual((await loadAggregate(store, snapshots, counter, id, { version: v, noSnapshot: true })).state);
  });

  test.each([1, 10, 14, 21, 30])('as of the time of event %i equals folding the events recorded by then', async (i) => {
    const asOf = times[i - 1];
    const loaded = await loadAggregate(store, snapshots, counter, id, { asOf });
    expect(loaded.version).toBe(i);
    expect(loaded.state).toEqual(await fullFold(id, (e) => e.recordedAt <= asOf));
  });

  test('before the first event the state is the initial state', async () => {
    const loaded = await loadAggregate(store, snapshots, counter, id, { asOf: new Date(times[0].getTime() - 1000) });
    expect(loaded).toMatchObject({ version: 0, state: counter.initialState() });
  });
});

describe('command handler', () => {
  test('load → decide → append; rule violations surface as domain errors and write nothing', async () => {
    const id = 'counter-cmd';
    await handler.handle([add(id, 60)]);
    await expect(handler.handle([add(id, 50)])).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(await store.streamVersion(id)).toBe(1);
  });

  test('a re-run with the same command id returns the recorded result and never decides again', async () => {
    const id = 'counter-rerun';
    const first = await handler.handle([add(id, 70)], { commandId: 'wf-1:3' });
    // Deciding again would now fail (70 + 70 > 100): the re-run must not.
    const again = await handler.handle([add(id, 70)], { commandId: 'wf-1:3' });
    expect(again.duplicate).toBe(true);
    expect(again.append.streams).toEqual(first.append.streams);
    expect(again.events).toEqual([{ streamId: id, type: 'Added', data: { amount: 70 } }]);
    expect(await store.streamVersion(id)).toBe(1);
  });

  test('concurrent commands on one stream are retried on conflict: none lost', async () => {
    const id = 'counter-hot';
    await Promise.all(Array.from({ length: 20 }, () => handler.handle([add(id, 1)], { maxAttempts: 50 })));
    const loaded = await loadAggregate(store, snapshots, counter, id);
    expect(loaded.state).toEqual({ total: 20, adds: 20 });
  });

  test('the rule holds under concurrency: never past the limit', async () => {
    const id = 'counter-limit';
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => handler.handle([add(id, 7)], { maxAttempts: 100 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(14); // 14 * 7 = 98 ≤ 100 < 105
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect((await loadAggregate(store, snapshots, counter, id)).state.total).toBe(98);
  });

  test('several aggregates and extra writes commit together', async () => {
    const res = await handler.handle([add('counter-m1', 1), add('counter-m2', 2)], {
      commandId: 'multi-1',
      metadata: { correlationId: 'saga-m' },
      also: (decisions) => [
        { streamId: 'counter-log', events: decisions.map((d) => Added({ amount: d.version + 100 })) },
      ],
    });
    expect(res.append.streams.map((s) => s.streamId)).toEqual(['counter-m1', 'counter-m2', 'counter-log']);
    expect((await store.readCorrelation('saga-m')).map((e) => e.streamId).sort()).toEqual([
      'counter-log',
      'counter-log',
      'counter-m1',
      'counter-m2',
    ]);
    // One failing target: nothing at all is written.
    await handler.handle([add('counter-m3', 99)]);
    await expect(handler.handle([add('counter-m4', 1), add('counter-m3', 5)])).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
    expect(await store.streamVersion('counter-m4')).toBe(0);
  });
});
