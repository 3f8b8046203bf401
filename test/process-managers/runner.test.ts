import { CommandHandler, EventStore, type RecordedEvent } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { ProcessManagerRunner, reactionId, type ProcessManager } from '../../src/process-managers';
import { createTestDatabase, feedCaughtUp, type TestDatabase } from '../support/db';
import { Added, counter, testRegistry } from '../support/events';

/**
 * The runner on its own (no DBOS): a process manager that mirrors every
 * "Added" of counter-src as an Add of 1 to counter-mirror, by command. The
 * mirror's total counts the reactions that took effect.
 */
let db: TestDatabase;
let store: EventStore;
let handler: CommandHandler;
const log = createLogger('silent');

const mirror: ProcessManager = {
  name: 'mirror',
  eventTypes: ['Added'],
  react: (event: RecordedEvent) =>
    event.streamId === 'counter-src' ? [{ kind: 'send', commands: [{ decider: counter, streamId: 'counter-mirror', command: { type: 'Add', amount: 1 } }] }] : [],
};

const runner = () =>
  new ProcessManagerRunner({ pool: db.pool, store, handler, startSaga: async () => {}, log }, mirror, { batchSize: 3, pollMs: 20 });

const add = (n: number) => Promise.all(Array.from({ length: n }, () => store.append('counter-src', [Added({ amount: 1 })])));
const mirrored = async () => (await store.readStream('counter-mirror')).length;
const checkpoint = async () => (await db.pool.query(`SELECT position FROM process_manager_checkpoints WHERE name = 'mirror'`)).rows[0]?.position ?? 0;

/**
 * Until the checkpoint is at the head. "Caught up" alone is not enough: test
 * files share one server, and the gap-safe feed holds back our events while
 * any transaction in the cluster that is older than them is still open.
 */
async function drain(r: ProcessManagerRunner): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const result = await r.runBatch();
    if (result.kind === 'caught-up' && (await checkpoint()) >= (await store.head()).position) return;
    if (result.kind !== 'handled') await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('did not catch up');
}

beforeAll(async () => {
  db = await createTestDatabase('pm_runner');
  store = new EventStore(db.pool, testRegistry());
  handler = new CommandHandler(store);
});
afterAll(() => db.drop());

test('reacts once per event under an id derived from the event, and a new runner resumes from the durable checkpoint', async () => {
  await add(5);
  const first = await runner().start();
  await first.stop();
  await drain(first);
  expect(await mirrored()).toBe(5);
  const src = await store.readStream('counter-src');
  const { rows } = await db.pool.query(`SELECT command_id FROM commands WHERE command_id LIKE 'mirror-%'`);
  expect(rows.map((r) => r.command_id).sort()).toEqual(src.map((e) => reactionId(mirror, e.eventId)).sort());
  // Past everything read, the mirror's own events included (they only move the checkpoint).
  expect(await checkpoint()).toBe((await store.head()).position);

  // "Restart": another runner object, same table. Only the new events are reacted to.
  await add(2);
  const second = runner();
  await second.start();
  for (let i = 0; i < 500 && (await mirrored()) < 7; i++) await new Promise((r) => setTimeout(r, 20));
  await second.stop();
  expect(await mirrored()).toBe(7);
});

test('a replayed event is harmless: rewound to zero, every reaction meets its recorded command', async () => {
  const before = await mirrored();
  await add(3);
  const r = runner();
  await r.start();
  await r.stop();
  await drain(r);
  const head = await checkpoint();
  expect(await mirrored()).toBe(before + 3);

  await db.pool.query(`UPDATE process_manager_checkpoints SET txid = '0', position = 0 WHERE name = 'mirror'`);
  await drain(r);
  expect(await checkpoint()).toBe(head);
  expect(await mirrored()).toBe(before + 3);
});

test('one batch at a time: a runner stands by while another process holds the lock', async () => {
  const r = runner();
  await r.start();
  await r.stop();
  // Work waiting, and visible (test files share one server: see feedCaughtUp).
  await add(1);
  await feedCaughtUp(db.pool);
  const other = await db.pool.connect();
  try {
    await other.query('BEGIN');
    const { rows } = await other.query(`SELECT pg_try_advisory_xact_lock(${0x5a6a_0005}, hashtext('mirror')) AS ok`);
    expect(rows[0].ok).toBe(true);
    expect(await r.runBatch()).toEqual({ kind: 'busy' });
  } finally {
    await other.query('ROLLBACK');
    other.release();
  }
  expect((await r.runBatch()).kind).not.toBe('busy');
  await drain(r);
});

test('two runners at once (two processes) take turns: each event is handled once, and takes effect once', async () => {
  await drain(runner());
  const before = await mirrored();
  // Counts how often events are handled: the lock, not only the ids, keeps it to once each.
  let handled = 0;
  const counting: ProcessManager = { ...mirror, react: (e) => (handled++, mirror.react(e)) };
  const deps = { pool: db.pool, store, handler, startSaga: async () => {}, log };
  const a = new ProcessManagerRunner(deps, counting, { batchSize: 3, pollMs: 5 });
  const b = new ProcessManagerRunner(deps, counting, { batchSize: 3, pollMs: 5 });
  await Promise.all([a.start(), b.start()]);
  await add(20);
  for (let i = 0; i < 400 && (await mirrored()) < before + 20; i++) await new Promise((r) => setTimeout(r, 25));
  await Promise.all([a.stop(), b.stop()]);
  await drain(a);
  expect(await mirrored()).toBe(before + 20);
  // Every Added read once: the 20 sources and the 20 mirror events they caused.
  expect(handled).toBe(40);
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM commands WHERE command_id LIKE 'mirror-%'`);
  expect(rows[0].n).toBe(before + 20);
});
