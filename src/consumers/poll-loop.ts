import type { AppendNotifier, Checkpoint } from '../eventstore';

export interface PollLoopOptions {
  /**
   * One round of work; returns how many events it handled. Called again at
   * once while it finds work.
   */
  tick: () => Promise<number>;
  notifier?: AppendNotifier;
  /** The pause after a wake-up that found nothing yet. */
  minPollMs: number;
  /** The longest pause between rounds when nothing happens. */
  maxPollMs: number;
  /**
   * After a wake-up from idle, wait this long before the round, so the appends
   * of many concurrent writers are taken in one batch rather than one round
   * each. Under steady appends there is no wait: what arrived during a round
   * is the next round's batch.
   */
  coalesceMs?: number;
  /** Whether an append (its announced feed position, when known) is news; others do not wake the loop. */
  isNews?: (at: Checkpoint | undefined) => boolean;
  onError: (err: unknown, failures: number) => void;
}

/**
 * The loop every feed follower runs (subscriptions, projections, process
 * managers): work while there is work; otherwise wait for an append's NOTIFY,
 * polling as a fallback.
 *
 * After a wake-up that found nothing, the next look comes soon and then backs
 * off: an announced append may not be readable yet, because the gap-safe feed
 * waits for older transactions still open anywhere on the server. A wake-up
 * that arrives while a round is running is kept, not lost. Failures back off
 * up to 30 s so a stuck event does not flood the log.
 */
export class PollLoop {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  /** False while backing off after a failure: appends do not cut that pause short. */
  private interruptible = true;
  private wokenDuringTick = false;
  private readonly onAppend = (at?: Checkpoint) => {
    if (!this.options.isNews || this.options.isNews(at)) this.wake();
  };

  constructor(private readonly options: PollLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.options.notifier?.on('append', this.onAppend);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.options.notifier?.off('append', this.onAppend);
    this.wakeUp?.();
    await this.loop;
  }

  get isRunning(): boolean {
    return this.running;
  }

  wake(): void {
    if (this.wakeUp && this.interruptible) this.wakeUp();
    else this.wokenDuringTick = true;
  }

  private async run(): Promise<void> {
    const { minPollMs, maxPollMs, coalesceMs } = this.options;
    let idleMs = maxPollMs;
    let failures = 0;
    while (this.running) {
      this.wokenDuringTick = false;
      let handled = 0;
      try {
        handled = await this.options.tick();
        failures = 0;
      } catch (err) {
        failures++;
        this.options.onError(err, failures);
      }
      if (handled > 0) continue;
      if (!this.running) break;
      if (failures > 0) {
        await this.pause(Math.min(30_000, maxPollMs * 2 ** (failures - 1)), false);
        continue;
      }
      // Woken during the round: appends keep coming, and what came during it is the next batch; go at once.
      if (this.wokenDuringTick) continue;
      const woken = await this.pause(idleMs, true);
      idleMs = woken ? minPollMs : Math.min(idleMs * 2, maxPollMs);
      // Woken from idle: wait a little, so that the appends close behind this one share its round.
      if (woken && coalesceMs) await new Promise((r) => setTimeout(r, coalesceMs));
    }
  }

  /** Resolves true when woken, false on timeout. */
  private pause(ms: number, interruptible: boolean): Promise<boolean> {
    this.interruptible = interruptible;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve(false);
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve(true);
      };
    });
  }
}
