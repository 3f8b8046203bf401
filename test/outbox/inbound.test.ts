import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { setTimeout as sleep } from 'node:timers/promises';
import { OUTBOX } from '../../src/outbox/outbox';
import { Broker } from '../../src/outbox/broker';
import { Inbound } from '../../src/outbox/inbound';
import { inboundOrders } from '../../src/process-managers/inbound-orders';
import { reactionId } from '../../src/process-managers';
import { sagaStreamId } from '../../src/saga/events';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { deleteStreams, NATS_URL, streamMessages, uniqueNames } from './support/nats';

/** The service with NATS_URL set: another service's message starts a saga, and the saga's events go out. */
let app: TestApp;
const names = uniqueNames();
const other = uniqueNames();

beforeAll(async () => {
  app = await startTestApp('inbound', {
    nats: {
      url: NATS_URL,
      prefix: names.prefix,
      stream: names.stream,
      categories: ['order', 'saga'],
      inbound: { stream: names.inboundStream, subject: names.inboundSubject, durable: names.durable },
    },
  });
});
afterAll(async () => {
  await app.close();
  await deleteStreams(NATS_URL, names.stream, names.inboundStream, other.inboundStream);
});

async function publish(subject: string, body: unknown, msgID: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  try {
    await jetstream(nc).publish(subject, JSON.stringify(body), { msgID });
  } finally {
    await nc.close();
  }
}

const started = async (sagaId: string) => (await app.store.readStreamTypes(sagaStreamId(sagaId), ['SagaStarted'])).length;

test('an inbound message starts a saga whose id derives from the message id, and the outbox publishes what the saga did', async () => {
  await http(app, 'POST', '/inventory/sku-in/stock', { body: { quantity: 5 }, token: true });
  await publish(names.inboundSubject, orderBody({ items: [{ sku: 'sku-in', quantity: 1, unitPrice: 100 }] }), 'order-msg-1');
  const sagaId = reactionId(inboundOrders, 'order-msg-1');
  await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(await started(sagaId)).toBe(1);

  // Its events reach the broker, each carrying the saga as its correlation id.
  let published: string[] = [];
  for (let i = 0; i < 400 && !published.includes('SagaCompleted'); i++) {
    await sleep(25);
    const messages = await streamMessages(NATS_URL, names.stream);
    published = messages.filter((m) => m.header.get('Correlation-Id') === sagaId).map((m) => m.header.get('Event-Type'));
  }
  expect(published).toEqual(expect.arrayContaining(['SagaStarted', 'OrderPlaced']));
  // Only the chosen categories (order, saga): the inventory's reservation stays inside.
  expect(published).not.toContain('StockReserved');
  expect(published[published.length - 1]).toBe('SagaCompleted');

  const consumers = (await http(app, 'GET', '/consumers')).body.consumers as { name: string; kind: string }[];
  expect(consumers.find((c) => c.name === OUTBOX)).toMatchObject({ kind: 'outbox' });
});

test('a message delivered again (its ack lost in a crash) starts the saga once', async () => {
  let calls = 0;
  const broker = new Broker(NATS_URL, { info() {}, warn() {} });
  const inbound = new Inbound(
    broker,
    inboundOrders,
    { stream: other.inboundStream, subject: other.inboundSubject, durable: other.durable, ackWaitMs: 2_000 },
    {
      handler: app.handler,
      log: { info() {}, warn() {} },
      async startSaga(type, sagaId, input) {
        await app.engine.start(type, sagaId, input);
        // The saga is started, but this delivery never gets acked: the broker delivers it again.
        if (++calls === 1) throw new Error('crashed before the ack');
      },
    },
  ).start();
  try {
    await http(app, 'POST', '/inventory/sku-again/stock', { body: { quantity: 5 }, token: true });
    await publish(other.inboundSubject, orderBody({ items: [{ sku: 'sku-again', quantity: 1, unitPrice: 100 }] }), 'order-msg-2');
    for (let i = 0; i < 400 && calls < 2; i++) await sleep(25);
    expect(calls).toBe(2);
    const sagaId = reactionId(inboundOrders, 'order-msg-2');
    await app.engine.waitFor(sagaId, ['COMPLETED']);
    expect(await started(sagaId)).toBe(1);
    const { rows } = await app.db.pool.query(`SELECT count(*)::int AS n FROM dbos.workflow_status WHERE workflow_uuid = $1`, [sagaId]);
    expect(rows[0].n).toBe(1);
  } finally {
    await inbound.stop();
    await broker.close();
  }
});
