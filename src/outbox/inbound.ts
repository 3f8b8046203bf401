import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from '../log';
import { performReactions, type ReactionDeps } from '../process-managers/consumer';
import type { InboundProcessManager } from '../process-managers/inbound-orders';
import type { Broker } from './broker';

export interface InboundOptions {
  /** The JetStream stream other services publish to (created if missing). */
  stream: string;
  subject: string;
  /** The durable consumer's name: shared by every process, so each message goes to one of them. */
  durable: string;
  /** A message not acked within this long is delivered again. */
  ackWaitMs?: number;
}

/**
 * Feeds an inbound process manager from a durable JetStream consumer with
 * explicit acks. A message is acked after its reactions ran: at least once,
 * and harmless twice, since reactions take ids derived from the message id.
 * A reaction that fails is nak'ed (redelivered later); a message that can
 * never be acted on (bad JSON, refused input) is terminated and logged.
 */
export class Inbound {
  private running = false;
  private loop?: Promise<void>;
  private messages?: ConsumerMessages;

  constructor(
    private readonly broker: Broker,
    private readonly pm: InboundProcessManager,
    private readonly options: InboundOptions,
    private readonly deps: ReactionDeps & { log: Pick<Logger, 'info' | 'warn'> },
  ) {}

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.messages?.close();
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let failures = 0; this.running; ) {
      try {
        await this.consume();
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        failures++;
        this.deps.log.warn({ err: (err as Error).message, inbound: this.pm.name, failures }, 'inbound consumer failed; retrying');
        await sleep(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  private async consume(): Promise<void> {
    const { stream, subject, durable, ackWaitMs = 30_000 } = this.options;
    await this.broker.ensureStream(stream, [subject]);
    const { js, jsm } = await this.broker.jetstream();
    try {
      await jsm.consumers.info(stream, durable);
    } catch {
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject, ack_wait: nanos(ackWaitMs) });
    }
    const consumer = await js.consumers.get(stream, durable);
    this.messages = await consumer.consume({ max_messages: 64 });
    if (!this.running) await this.messages.close();
    for await (const m of this.messages) await this.handle(m);
  }

  private async handle(m: JsMsg): Promise<void> {
    const id = m.headers?.get('Nats-Msg-Id') || `${m.info.stream}-${m.seq}`;
    let reactions;
    try {
      reactions = this.pm.react({ id, subject: m.subject, data: m.json() });
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, inbound: this.pm.name, messageId: id }, 'inbound message refused');
      m.term((err as Error).message.slice(0, 200));
      return;
    }
    try {
      await performReactions(this.pm, { id, correlationId: m.headers?.get('Correlation-Id') || undefined }, reactions, this.deps);
      m.ack();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, inbound: this.pm.name, messageId: id }, 'inbound reaction failed; redelivery later');
      m.nak(1_000);
    }
  }
}
