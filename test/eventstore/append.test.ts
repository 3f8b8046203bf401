import { EventStore, WrongExpectedVersionError, type ExpectedVersion } from '../../src/eventstore';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { Added, testRegistry } from '../support/events';

let db: TestDatabase;
let store: EventStore;
let n = 0;
const fresh = () => `counter-${++n}`;

beforeAll(async () => {
  db = await createTestDatabase('append');
  store = new EventStore(db.pool, testRegistry());
});
afterAll(() => db.drop());

const one = (amount = 1) => [Added({ amount })];

describe('append with an expected state', () => {
  // [expected, stream prepared with N events, should succeed]
  const matrix: [string, ExpectedVersion, number, boolean][] = [
    ['any on a new stream', 'any', 0, true],
    ['any on an existing stream', 'any', 2, true],
    ['no_stream on a new stream', 'no_stream', 0, true],
    ['no_stream on an existing stream', 'no_stream', 2, false],
    ['stream_exists on an existing stream', 'stream_exists', 2, true],
    ['stream_exists on a new stream', 'stream_exists', 0, false],
    ['exact version that matches', 2, 2, true],
    ['exact version that is stale', 1, 2, false],
    ['exact version 0 on a new stream', 0, 0, true],
    ['exact version ahead of the stream', 5, 2, false],
  ];

  test.each(matrix)('%s', async (_name, expected, prepared, succeeds) => {
    const id = fresh();
    if (prepared) await store.append(id, [...one(), ...one()].slice(0, prepared));
    const attempt = store.append(id, one(7), { expected });
    if (succeeds) {
      const r = await attempt;
      expect(r.streams[0]).toMatchObject({ streamId: id, previousVersion: prepared, version: prepared + 1 });
      expect(await store.streamVersion(id)).toBe(prepared + 1);
    } else {
      const err = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WrongExpectedVersionError);
      expect(err).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: id, actualVersion: prepared });
      // Nothing was written by the failed append.
      expect(await store.streamVersion(id)).toBe(prepared);
      expect(await store.readStream(id)).toHaveLength(prepared);
    }
  });
});

test('events get consecutive stream positions and increasing global positions', async () => {
  const id = fresh();
  const r1 = await store.append(id, [Added({ amount: 1 }), Added({ amount: 2 })]);
  const r2 = await store.append(id, [Added({ amount: 3 })], { expected: 2 });
  const events = await store.readStream(id);
  expect(events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
  expect(events.map((e) => e.data)).toEqual([{ amount: 1 }, { amount: 2 }, { amount: 3 }]);
  expect(events.map((e) => e.globalPosition)).toEqual([...r1.streams[0].positions, ...r2.streams[0].positions]);
  expect(events[0].streamType).toBe('counter');
  expect(r2.lastPosition).toBe(events[2].globalPosition);
});

test('several streams in one atomic append: all or nothing', async () => {
  const a = fresh();
  const b = fresh();
  await store.append(b, one());
  const ok = await store.appendMany([
    { streamId: a, events: one(1), expected: 'no_stream' },
    { streamId: b, events: one(2), expected: 1 },
  ]);
  expect(ok.streams.map((s) => [s.streamId, s.version])).toEqual([
    [a, 1],
    [b, 2],
  ]);
  // The second stream's expectation fails: the first stream must not change.
  await expect(
    store.appendMany([
      { streamId: a, events: one(3), expected: 1 },
      { streamId: b, events: one(4), expected: 1 },
    ]),
  ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION', streamId: b, actualVersion: 2 });
  expect(await store.streamVersion(a)).toBe(1);
  expect(await store.readStream(a)).toHaveLength(1);
});

test('metadata: correlation and causation ids get their own columns, the rest stays', async () => {
  const id = fresh();
  await store.append(id, [{ ...Added({ amount: 1 }), metadata: { causationId: 'cmd-1', note: 'x' } }], {
    metadata: { correlationId: 'saga-42', workflowId: 'wf' },
    commandId: 'meta-cmd',
  });
  const [e] = await store.readStream(id);
  expect(e.metadata).toEqual({
    correlationId: 'saga-42',
    causationId: 'cmd-1',
    note: 'x',
    workflowId: 'wf',
    commandId: 'meta-cmd',
  });
  const { rows } = await db.pool.query('SELECT correlation_id, causation_id, metadata FROM events WHERE stream_id = $1', [id]);
  expect(rows[0]).toMatchObject({ correlation_id: 'saga-42', causation_id: 'cmd-1' });
  expect(rows[0].metadata.correlationId).toBeUndefined();
  expect((await store.readCorrelation('saga-42')).map((x) => x.eventId)).toEqual([e.eventId]);
});

test('a stream id must carry a category', async () => {
  await expect(store.append('nocategory', one())).rejects.toMatchObject({ code: 'INVALID_STREAM_ID' });
});

describe('concurrent appends to one stream', () => {
  test('exactly one winner per expected version; the losers get a conflict and nothing is lost', async () => {
    const id = fresh();
    await store.append(id, one());
    const writers = 20;
    const results = await Promise.allSettled(
      Array.from({ length: writers }, (_, i) => store.append(id, one(i), { expected: 1 })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(writers - 1);
    for (const l of lost) expect(l.reason).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', actualVersion: 2 });
    expect(await store.streamVersion(id)).toBe(2);
  });

  test('writers that retry on conflict all get in, each exactly once, in distinct positions', async () => {
    const id = fresh();
    const writers = 16;
    const perWriter = 5;
    const appendWithRetry = async (amount: number) => {
      for (;;) {
        const version = await store.streamVersion(id);
        try {
          return await store.append(id, one(amount), { expected: version });
        } catch (e) {
          if ((e as { code?: string }).code !== 'WRONG_EXPECTED_VERSION') throw e;
        }
      }
    };
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let k = 0; k < perWriter; k++) await appendWithRetry(w * 100 + k);
      }),
    );
    const events = await store.readStream<{ amount: number }>(id);
    expect(events.map((e) => e.streamPosition)).toEqual(Array.from({ length: writers * perWriter }, (_, i) => i + 1));
    const amounts = events.map((e) => e.data.amount).sort((a, b) => a - b);
    const expected = Array.from({ length: writers }, (_, w) => Array.from({ length: perWriter }, (_, k) => w * 100 + k))
      .flat()
      .sort((a, b) => a - b);
    expect(amounts).toEqual(expected);
  });

  test('with expected "any", concurrent appends never collide', async () => {
    const id = fresh();
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.append(id, one(i))));
    expect(await store.streamVersion(id)).toBe(30);
  });
});

describe('command id idempotency', () => {
  test('repeating a command id returns the original result and writes nothing', async () => {
    const id = fresh();
    const first = await store.append(id, one(5), { commandId: 'cmd-a', expected: 'no_stream' });
    const before = await db.pool.query('SELECT count(*)::int AS n FROM events');
    // Same command again, even with an expectation that would now fail.
    const again = await store.append(id, one(5), { commandId: 'cmd-a', expected: 'no_stream' });
    expect(again.duplicate).toBe(true);
    expect(first.duplicate).toBe(false);
    expect(again.streams).toEqual(first.streams);
    expect(again.txid).toBe(first.txid);
    const after = await db.pool.query('SELECT count(*)::int AS n FROM events');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(await store.streamVersion(id)).toBe(1);
    expect(await store.findCommand('cmd-a')).toMatchObject({ duplicate: true, streams: first.streams });
    expect(await store.findCommand('cmd-unknown')).toBeUndefined();
  });

  test('the same command id raced from many clients is written once', async () => {
    const id = fresh();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.append(id, one(1), { commandId: 'cmd-race' })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.streams))).size).toBe(1);
    expect(await store.streamVersion(id)).toBe(1);
  });

  test('a failed append does not consume its command id', async () => {
    const id = fresh();
    await store.append(id, one());
    await expect(store.append(id, one(), { commandId: 'cmd-fail', expected: 'no_stream' })).rejects.toThrow(
      WrongExpectedVersionError,
    );
    const r = await store.append(id, one(), { commandId: 'cmd-fail', expected: 1 });
    expect(r).toMatchObject({ duplicate: false, streams: [{ version: 2 }] });
  });
});
