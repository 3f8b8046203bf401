/**
 * A process whose outbox publishes one batch and is SIGKILLed before it
 * checkpoints (the crash the message id exists for). Env: DATABASE_URL,
 * NATS_URL, PREFIX, STREAM, CATEGORIES.
 */
import { createRegistry } from '../../../src/app';
import { Consumers } from '../../../src/consumers';
import { createPool } from '../../../src/db/pool';
import { EventStore } from '../../../src/eventstore';
import { createLogger } from '../../../src/log';
import { Broker } from '../../../src/outbox/broker';
import { outboxConsumer } from '../../../src/outbox/outbox';

const env = process.env as Record<string, string>;
const log = createLogger('warn');
const pool = createPool(env.DATABASE_URL, 2);
const outbox = outboxConsumer(new Broker(env.NATS_URL, log), { prefix: env.PREFIX, stream: env.STREAM, categories: env.CATEGORIES.split(',') });
const dying = {
  ...outbox,
  async handle(...args: Parameters<typeof outbox.handle>) {
    await outbox.handle(...args);
    // Every message of the batch is acked by the broker; the checkpoint is not written yet.
    process.kill(process.pid, 'SIGKILL');
  },
};
void new Consumers(pool, new EventStore(pool, createRegistry()), { owner: 'doomed', consumers: [dying], log, coalesceMs: 0 }).start();
