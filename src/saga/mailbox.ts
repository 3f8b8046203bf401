import { CONTROL_TOPIC, type ControlMessage } from './definition';
import type { SagaSession } from './session';

/**
 * The saga's incoming messages (DBOS topic "control"): operator actions and
 * signals, in the order they were sent. A signal that arrives while the saga
 * waits for something else (an approval, another signal) is kept until
 * waitForSignal asks for it. Kept in memory: a replay receives the same
 * messages in the same order, so it rebuilds the same buffer.
 */
export class Mailbox {
  private readonly signals: ControlMessage[] = [];

  constructor(private readonly session: SagaSession) {}

  /** The next message, or null at the deadline; signals other than `signal` are kept for later. */
  async next(deadlineEpochMs: number, signal?: string): Promise<ControlMessage | null> {
    for (;;) {
      const msg = await this.session.recv(CONTROL_TOPIC, deadlineEpochMs);
      if (msg?.action !== 'signal' || msg.signal === signal) return msg;
      this.signals.push(msg);
    }
  }

  /** A kept signal named `name`, taken out of the buffer (the oldest first). */
  take(name: string): ControlMessage | undefined {
    const i = this.signals.findIndex((m) => m.signal === name);
    return i < 0 ? undefined : this.signals.splice(i, 1)[0];
  }
}
