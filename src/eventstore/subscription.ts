import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { EventStore } from './store';
import type { Checkpoint, RecordedEvent } from './types';
import { START } from './types';
import { PollLoop } from './poll-loop';

export const APPEND_CHANNEL = 'events_appended';

/**
 * One LISTEN connection per process, shared by every subscription: a wake-up
 * signal only. Subscribers also poll, because a notification can be missed
 * (reconnects) and because an event can become readable without one (when the
 * older transaction that held it back ends).
 */
export class AppendNotifier extends EventEmitter {
  private client?: pg.Client;
  private closed = false;

  constructor(private readonly connectionString: string) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', () => this.emit('append'));
    // 'error' and 'end' both come when the server goes away: reconnect once.
    const lost = () => this.client === client && this.reconnectSoon();
    client.on('error', lost);
    client.on('end', lost);
    this.client = client;
    await client.connect();
    await client.query(`LISTEN ${APPEND_CHANNEL}`);
  }

  private reconnectSoon(): void {
    if (this.closed) return;
    this.client = undefined;
    setTimeout(() => this.start().catch(() => this.reconnectSoon()), 1000).unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}

export interface SubscriptionOptions {
  /** Only events of this stream category. */
  category?: string;
  from?: Checkpoint;
  batchSize?: number;
  /** Longest wait between reads when no notification arrives. */
  pollMs?: number;
  notifier?: AppendNotifier;
  /** Handle a batch; the checkpoint advances only after it resolves. */
  handle: (events: RecordedEvent[]) => Promise<void>;
  onError?: (err: unknown) => void;
}

/**
 * Follows the gap-safe global feed from a checkpoint. Delivery is in
 * (txid, position) order, which for every stream is stream order.
 */
export class Subscription {
  private readonly loop: PollLoop;
  checkpoint: Checkpoint;

  constructor(
    private readonly store: EventStore,
    private readonly options: SubscriptionOptions,
  ) {
    this.checkpoint = options.from ?? START;
    this.loop = new PollLoop({
      tick: () => this.pollOnce(),
      notifier: options.notifier,
      minPollMs: 10,
      maxPollMs: options.pollMs ?? 100,
      onError: (err) => options.onError?.(err),
    });
  }

  start(): this {
    this.loop.start();
    return this;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Read and handle one batch; returns how many events were handled. */
  async pollOnce(): Promise<number> {
    const { category, batchSize = 500 } = this.options;
    const events = category
      ? await this.store.readCategory(category, this.checkpoint, batchSize)
      : await this.store.readAll(this.checkpoint, batchSize);
    if (events.length === 0) return 0;
    await this.options.handle(events);
    const last = events[events.length - 1];
    this.checkpoint = { txid: last.txid, position: last.globalPosition };
    return events.length;
  }
}
