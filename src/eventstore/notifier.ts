import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { EventStore } from './store';
import type { Checkpoint } from './types';

export const APPEND_CHANNEL = 'events_appended';

/** `txid:position`, or undefined when the sender did not say (the SQL function's NOTIFY). */
export function parseAnnounced(payload: string | undefined): Checkpoint | undefined {
  const match = /^(\d+):(\d+)$/.exec(payload ?? '');
  return match ? { txid: match[1], position: Number(match[2]) } : undefined;
}

/**
 * One LISTEN connection per process, shared by every consumer, plus the
 * process's own appends relayed straight from its store: a wake-up signal
 * only. Consumers also poll, because a notification can be missed
 * (reconnects) and because an event can become readable without one (when the
 * older transaction that held it back ends).
 */
export class AppendNotifier extends EventEmitter {
  private client?: pg.Client;
  private closed = false;
  private readonly relay = (at: Checkpoint) => this.emit('append', at);

  /** `store`: this process's own, whose appends wake its followers at once. */
  constructor(
    private readonly connectionString: string,
    private readonly store?: Pick<EventStore, 'local'>,
  ) {
    super();
    this.setMaxListeners(0);
    store?.local.on('append', this.relay);
  }

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    // The payload, when an append of our own store sent it, is the newest append in feed order.
    client.on('notification', (msg) => this.emit('append', parseAnnounced(msg.payload)));
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
    this.store?.local.off('append', this.relay);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
