/**
 * CI: the outbox and inbound tests need NATS with JetStream (NATS_TEST_URL,
 * default nats://127.0.0.1:4222). Say so plainly when it is not there, rather
 * than let those tests time out one by one.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const url = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';

async function main(): Promise<number> {
  let nc;
  try {
    nc = await connect({ servers: url, timeout: 3_000, maxReconnectAttempts: 0 });
  } catch (err) {
    console.error(`NATS is not reachable at ${url} (${(err as Error).message}).`);
    console.error('Start it with JetStream (nats-server -js) or set NATS_TEST_URL; the outbox and inbound tests need it.');
    return 1;
  }
  try {
    await (await jetstreamManager(nc, { timeout: 3_000 })).getAccountInfo();
    console.log(`NATS with JetStream at ${url}: ok`);
    return 0;
  } catch (err) {
    console.error(`NATS at ${url} answers, but JetStream does not (${(err as Error).message}): start nats-server with -js.`);
    return 1;
  } finally {
    await nc.close();
  }
}

main().then((code) => process.exit(code));
