import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log';

/**
 * The connection to NATS JetStream, made in the background: a broker that is
 * down when the service starts (or later) delays what goes through it and
 * never the service itself. The client reconnects for ever.
 */
export class Broker {
  private nc?: NatsConnection;
  private connecting?: Promise<NatsConnection>;
  private closed = false;
  private readonly streams = new Set<string>();

  constructor(
    readonly url: string,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
  ) {}

  /** Connected, or throws after `timeoutMs` (the caller retries later). */
  async connection(timeoutMs = 2_000): Promise<NatsConnection> {
    if (this.closed) throw new Error('broker connection closed');
    this.connecting ??= this.open();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS at ${this.url} is not reachable`)), timeoutMs);
    });
    try {
      return await Promise.race([this.connecting, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connection reconnects in place, so its clients are made once. */
  private clients?: Promise<{ js: JetStreamClient; jsm: JetStreamManager }>;

  async jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager }> {
    const nc = await this.connection();
    this.clients ??= jetstreamManager(nc, { timeout: 2_000 }).then((jsm) => ({ js: jetstream(nc), jsm }));
    return this.clients.catch((err) => {
      this.clients = undefined;
      throw err;
    });
  }

  /** Create the stream if it does not exist yet (once per process). */
  async ensureStream(name: string, subjects: string[], duplicateWindowMs = 120_000): Promise<void> {
    if (this.streams.has(name)) return;
    const { jsm } = await this.jetstream();
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({ name, subjects, duplicate_window: nanos(duplicateWindowMs) });
      this.log.info({ stream: name, subjects }, 'NATS stream created');
    }
    this.streams.add(name);
  }

  private async open(): Promise<NatsConnection> {
    const nc = await connect({ servers: this.url, waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'saga-orchestrator' });
    this.nc = nc;
    this.log.info({ url: this.url }, 'connected to NATS');
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'disconnect' || s.type === 'reconnect') this.log.warn({ url: this.url, status: s.type }, 'NATS connection');
    })().catch(() => {});
    if (this.closed) await nc.close();
    return nc;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.nc?.drain().catch(() => this.nc?.close());
  }
}
