import { setTimeout as sleep } from 'node:timers/promises';
import { Consumers, hasReached } from '../../src/consumers';
import { CommandHandler, EventStore, type RecordedEvent } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { processManagerConsumer, reactionId, type ProcessManager } from '../../src/process-managers';
import { bareGroup } from '../consumers/counting';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { Added, counter, testRegistry } from '../support/events';

/**
 * A process manager as a consumer (no DBOS): it mirrors every "Added" of
 * counter-src as an Add of 1 to counter-mirror, by command. The mirror's
 * total counts the reactions that took effect.
 */
let db: TestDatabase;
let store: EventStore;
let handler: CommandHandler;
const log = createLogger('silent');
const running: Consumers[] = [];

const mirror: ProcessManager = {
  name: 'mirror',
  eventTypes: ['Added'],
  react: (event: RecordedEvent) =>
    event.streamId === 'counter-src' ? [{ kind: 'send', commands: [{ decider: counter, streamId: 'counter-mirror', command: { type: 'Add', amount: 1 } }] }] : [],
};

const deps = () => ({ handler, startSaga: async () => {}, log });
function follow(pm: ProcessManager, owner = 'pm-test'): Consumers {
  const consumers = new Consumers(db.pool, store, {
    owner,
    consumers: [processManagerConsumer(pm, deps())],
    log,
    batchSize: 3,
    minPollMs: 5,
    maxPollMs: 20,
    coalesceMs: 0,
    retryBaseMs: 5,
  });
  running.push(consumers);
  return consumers;
}

const add = (n: number) => Promise.all(Array.from({ length: n }, () => store.append('counter-src', [Added({ amount: 1 })])));
const mirrored = async () => (await store.readStream('counter-mirror')).length;
/** Until the consumer has handled everything, including the mirror events its own reactions appended meanwhile. */
async function caughtUp(c: Consumers, name = 'mirror'): Promise<void> {
  for (let head = -1; head !== (await store.head()).position; ) {
    head = (await store.head()).position;
    expect(await c.waitForPosition(name, head, 10_000)).toBe(true);
  }
}

beforeAll(async () => {
  db = await createTestDatabase('pm_reactions');
  store = new EventStore(db.pool, testRegistry());
  handler = new CommandHandler(store);
});
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  await db.drop();
});

test('reacts once per event under an id derived from the event, and a new process resumes from the durable checkpoint', async () => {
  await add(5);
  const first = follow(mirror);
  await first.start();
  await caughtUp(first);
  await first.stop();
  expect(await mirrored()).toBe(5);
  const src = await store.readStream('counter-src');
  const { rows } = await db.pool.query(`SELECT command_id FROM commands WHERE command_id LIKE 'mirror-%'`);
  expect(rows.map((r) => r.command_id).sort()).toEqual(src.map((e) => reactionId(mirror, e.eventId)).sort());

  // "Restart": another process, same table. Only the new events are reacted to.
  await add(2);
  const second = follow(mirror);
  await second.start();
  await caughtUp(second);
  await second.stop();
  expect(await mirrored()).toBe(7);
});

test('a reset to zero is harmless: every reaction meets its recorded command', async () => {
  const before = await mirrored();
  await add(3);
  let handled = 0;
  const c = follow({ ...mirror, react: (e) => (handled++, mirror.react(e)) });
  await c.start();
  await caughtUp(c);
  expect(await mirrored()).toBe(before + 3);
  handled = 0;
  expect((await c.rebuild('mirror')).started).toBe(true);
  await caughtUp(c);
  // Every Added so far was read again (sources and mirror events alike)…
  expect(handled).toBe((await store.readStream('counter-src')).length + (await mirrored()));
  await c.stop();
  expect(await mirrored()).toBe(before + 3);
});

test('two processes at once take turns: each event is handled once, and takes effect once', async () => {
  const before = await mirrored();
  // Counts how often events are handled: the lease, not only the ids, keeps it to once each.
  let handled = 0;
  const counting: ProcessManager = { ...mirror, react: (e) => (handled++, mirror.react(e)) };
  const a = follow(counting, 'pm-a');
  const b = follow(counting, 'pm-b');
  await Promise.all([a.start(), b.start()]);
  await add(20);
  for (let i = 0; i < 400 && (await mirrored()) < before + 20; i++) await sleep(25);
  await caughtUp(a);
  await Promise.all([a.stop(), b.stop()]);
  expect(await mirrored()).toBe(before + 20);
  // Every Added read once: the 20 sources and the 20 mirror events they caused.
  expect(handled).toBe(40);
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM commands WHERE command_id LIKE 'mirror-%'`);
  expect(rows[0].n).toBe(before + 20);
});

test('a reaction that keeps failing is parked, not a stopped process manager; the rest goes on, and replay reacts once fixed', async () => {
  const broken = new Set<string>();
  const flaky: ProcessManager = {
    name: 'flaky-mirror',
    eventTypes: ['Added'],
    react: (event) => {
      if (broken.has(event.eventId)) throw new Error(`cannot react to ${event.eventId}`);
      return mirror.react(event);
    },
  };
  const { group, pool } = await bareGroup(db.url, store, [processManagerConsumer(flaky, deps())], 'flaky', { maxAttempts: 3, retryBaseMs: 1 });
  const start = await mirrored();
  // Only what is added from here on: the checkpoint starts at the current head.
  await pool.query(`UPDATE consumer_checkpoints c SET txid = e.txid, position = e.global_position FROM (SELECT txid, global_position FROM events ORDER BY txid DESC, global_position DESC LIMIT 1) e WHERE c.name = 'flaky-mirror'`);
  const [, bad] = await add(3);
  const badId = (await store.readPositions([bad.lastPosition]))[0].eventId;
  broken.add(badId);
  const target = (await store.head()).position;
  for (let i = 0; i < 300 && !(await hasReached(db.pool, 'flaky-mirror', target)); i++) if ((await group.tick()) === 0) await sleep(5);
  // The two good events reacted (and their own mirror events passed by); the bad one is parked.
  expect(await mirrored()).toBe(start + 2);
  const consumers = new Consumers(db.pool, store, { owner: 'ops', consumers: [processManagerConsumer(flaky, deps())], log });
  expect(await consumers.deadLetters('flaky-mirror')).toEqual([
    expect.objectContaining({ consumer: 'flaky-mirror', position: bad.lastPosition, eventId: badId, attempts: 3, error: expect.stringContaining('cannot react') }),
  ]);
  expect((await consumers.status({ name: 'flaky-mirror' }))[0]).toMatchObject({ kind: 'process-manager', parked: 1 });

  broken.clear();
  expect(await consumers.replay('flaky-mirror', bad.lastPosition)).toEqual([{ version: 1, replayed: true }]);
  expect(await mirrored()).toBe(start + 3);
  expect(await consumers.deadLetters('flaky-mirror')).toEqual([]);
  await group.stop();
  await pool.end();
});
