import { setTimeout as sleep } from 'node:timers/promises';
import type { Durable } from './durable';

/**
 * For crash tests and the crash demo only: wraps the engine's Durable so this
 * process SIGKILLs itself at a chosen point of a chosen step, or slows every
 * step down so a kill from outside lands inside one. The engine itself has no
 * test hooks; the app installs this wrapper only when asked (SAGA_CRASH_POINT,
 * SAGA_STEP_DELAY_MS).
 *
 *   before-effect:<step>  inside the step, before its effect: before its call,
 *                         or, for a step without one (or whose call is
 *                         checkpointed already), before its transaction decides
 *   after-call:<step>     the call answered, DBOS has not checkpointed it yet
 *   after-commit:<name>   right after the transaction <name> committed (a step,
 *                         a compensation, `<step>.enter`, an engine transition)
 */
export interface Instrumentation {
  crashPoint?: string;
  stepDelayMs: number;
}

export function instrumentDurable(inner: Durable, { crashPoint, stepDelayMs }: Instrumentation): Durable {
  const [phase, target] = crashPoint?.split(':') ?? [];
  const delay = () => (stepDelayMs > 0 ? sleep(stepDelayMs) : Promise.resolve());
  return {
    sleep: (ms) => inner.sleep(ms),
    recv: (topic, deadlineEpochMS) => inner.recv(topic, deadlineEpochMS),
    send: (destination, message, topic) => inner.send(destination, message, topic),
    startChild: (start) => inner.startChild(start),
    async step(name, work) {
      await delay();
      return inner.step(name, async () => {
        if (phase === 'before-effect' && name === `${target}.call`) die(crashPoint!);
        const result = await work();
        if (phase === 'after-call' && name === `${target}.call`) die(crashPoint!);
        return result;
      });
    },
    async transaction(name, work) {
      await delay();
      return inner.transaction(name, async (client) => {
        if (phase === 'before-effect' && name === target) die(crashPoint!);
        const result = await work(client);
        if (phase !== 'after-commit' || name !== target) return result;
        // After this commit only: a replay that finds the checkpoint commits nothing.
        return { ...result, afterCommit: () => (result.afterCommit?.(), die(crashPoint!)) };
      });
    },
  };
}

function die(point: string): never {
  // Written synchronously (a pipe or file on Linux): the line must not die with us.
  process.stderr.write(`SAGA_CRASH_POINT ${point} reached: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
