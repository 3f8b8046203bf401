import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { createRegistry } from '../../src/app';
import { Consumers } from '../../src/consumers';
import { StockAdded } from '../../src/domain';
import { EventStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { Broker } from '../../src/outbox/broker';
import { OUTBOX, outboxConsumer } from '../../src/outbox/outbox';
import { SagaCompleted, sagaStreamId } from '../../src/saga/events';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { deleteStreams, NATS_URL, OwnNatsServer, streamMessages, uniqueNames } from './support/nats';

/** The outbox against a real NATS JetStream: what it publishes, and what a crash or a broker outage does. */
let db: TestDatabase;
let store: EventStore;
const log = createLogger('silent');
const streams: string[] = [];

beforeEach(async () => {
  db = await createTestDatabase('outbox');
  store = new EventStore(db.pool, createRegistry());
});
afterEach(async () => {
  await db.drop();
});
afterAll(() => deleteStreams(NATS_URL, ...streams));

function outboxOn(url: string, names: ReturnType<typeof uniqueNames>) {
  streams.push(names.stream);
  const broker = new Broker(url, log);
  const consumers = new Consumers(db.pool, store, {
    owner: 'outbox-test',
    consumers: [outboxConsumer(broker, { ...names, categories: ['inventory'] })],
    log,
    minPollMs: 5,
    maxPollMs: 50,
    coalesceMs: 0,
    retryBaseMs: 20,
  });
  return {
    consumers,
    async stop() {
      await consumers.stop();
      await broker.close();
    },
  };
}

/** Run the outbox until it has published everything appended so far. */
async function publishAll(names: ReturnType<typeof uniqueNames>): Promise<void> {
  const outbox = outboxOn(NATS_URL, names);
  await outbox.consumers.start();
  try {
    expect(await outbox.consumers.waitForPosition(OUTBOX, (await store.head()).position, 20_000)).toBe(true);
  } finally {
    await outbox.stop();
  }
}

const checkpoint = async () => (await db.pool.query(`SELECT position FROM consumer_checkpoints WHERE name = $1`, [OUTBOX])).rows[0]?.position ?? 0;
async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(25);
  }
}
const inventoryEvents = async () => (await store.readAll({ txid: '0', position: 0 }, 100_000)).filter((e) => e.streamType === 'inventory');

test('publishes the chosen categories in feed order: subject <prefix>.<category>.<type>, the event id as Nats-Msg-Id, correlation and causation headers', async () => {
  const names = uniqueNames();
  for (let i = 0; i < 6; i++) {
    await store.append(`inventory-sku-${i % 2}`, [StockAdded({ quantity: i + 1 })], { metadata: { correlationId: `corr-${i}`, causationId: `cause-${i}` } });
    await store.append(sagaStreamId(`s-${i}`), [SagaCompleted({})]); // another category: not published
  }
  await publishAll(names);
  const expected = await inventoryEvents();
  const messages = await streamMessages(NATS_URL, names.stream);
  expect(messages.map((m) => m.subject)).toEqual(expected.map(() => `${names.prefix}.inventory.StockAdded`));
  expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(expected.map((e) => e.eventId));
  expect(messages.map((m) => m.json<{ data: { quantity: number } }>().data.quantity)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(messages.map((m) => [m.header.get('Correlation-Id'), m.header.get('Causation-Id')])).toEqual(
    expected.map((_, i) => [`corr-${i}`, `cause-${i}`]),
  );
  expect(messages[0].json()).toMatchObject({ eventId: expected[0].eventId, type: 'StockAdded', streamId: 'inventory-sku-0', globalPosition: expected[0].globalPosition });
});

test('a process SIGKILLed between the broker’s ack and its checkpoint publishes again on restart, and the stream drops the duplicates', async () => {
  const names = uniqueNames();
  for (let i = 0; i < 5; i++) await store.append(`inventory-crash-${i}`, [StockAdded({ quantity: 1 })]);
  streams.push(names.stream);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support/publish-then-die.ts')], {
    env: { ...process.env, DATABASE_URL: db.url, NATS_URL, PREFIX: names.prefix, STREAM: names.stream, CATEGORIES: 'inventory' },
    stdio: 'inherit',
  });
  const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  expect(signal).toBe('SIGKILL');
  // Published, not checkpointed.
  expect(await streamMessages(NATS_URL, names.stream)).toHaveLength(5);
  expect(await checkpoint()).toBe(0);

  await store.append('inventory-crash-after', [StockAdded({ quantity: 2 })]);
  await publishAll(names);
  const messages = await streamMessages(NATS_URL, names.stream);
  expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual((await inventoryEvents()).map((e) => e.eventId));
});

test('a broker that goes away delays publishing and shows as lag, appends go on; back, nothing is lost and the order holds', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-outage-'));
  const server = await OwnNatsServer.start(dir);
  const names = uniqueNames();
  const outbox = outboxOn(server.url, names);
  await outbox.consumers.start();
  let writing = true;
  let appended = 0;
  const writer = (async () => {
    while (writing) {
      await store.append(`inventory-load-${appended % 7}`, [StockAdded({ quantity: 1 })]);
      appended++;
      await sleep(5);
    }
  })();
  try {
    await until(async () => (await checkpoint()) > 0);
    await server.kill();
    const during = appended;
    // The writes do not wait for the broker…
    await until(async () => appended >= during + 50);
    // …and the outbox falls behind, visibly.
    await until(async () => (await outbox.consumers.status({ name: OUTBOX }))[0].lag.events > 0);
    await server.restart();
    await sleep(300);
    writing = false;
    await writer;
    await until(async () => (await outbox.consumers.status({ name: OUTBOX }))[0].lag.events === 0, 60_000);
  } finally {
    writing = false;
    await writer;
    await outbox.stop();
    await server.kill();
  }
  const messages = await (async () => {
    await server.restart();
    try {
      return await streamMessages(server.url, names.stream);
    } finally {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  const ids = messages.map((m) => m.header.get('Nats-Msg-Id'));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual((await inventoryEvents()).map((e) => e.eventId));
}, 120_000);

test('a message the broker refuses holds back the ones after it (each expects its predecessor), so nothing is stored out of order', async () => {
  const names = uniqueNames();
  streams.push(names.stream);
  // A stream that refuses large messages, made before the outbox would make its own.
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const config = { name: names.stream, subjects: [`${names.prefix}.>`], duplicate_window: nanos(120_000), max_msg_size: 2048 };
  await jsm.streams.add(config);
  try {
    await store.append('inventory-order-1', [StockAdded({ quantity: 1 })]);
    await store.append('inventory-order-2', [StockAdded({ quantity: 2 })], { metadata: { correlationId: 'x'.repeat(4096) } });
    await store.append('inventory-order-3', [StockAdded({ quantity: 3 })]);
    const outbox = outboxOn(NATS_URL, names);
    await outbox.consumers.start();
    try {
      // The second is refused; the third, published right behind it, is refused too rather than stored after the first.
      const quantities = async () => (await streamMessages(NATS_URL, names.stream)).map((m) => m.json<{ data: { quantity: number } }>().data.quantity);
      await until(async () => (await quantities()).length > 0);
      await sleep(500); // retries meanwhile
      expect(await quantities()).toEqual([1]);
      expect(await checkpoint()).toBe(0);

      // The operator lets large messages in: the retry stores the rest, in order.
      await jsm.streams.update(names.stream, { ...config, max_msg_size: -1 });
      await until(async () => (await checkpoint()) === (await store.head()).position);
      expect(await quantities()).toEqual([1, 2, 3]);
    } finally {
      await outbox.stop();
    }
  } finally {
    await nc.close();
  }
});
