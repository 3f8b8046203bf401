// @ts-check
/**
 * Live refresh by polling: run `tick` now and then every `intervalMs()` after
 * the previous run finished (never overlapping), until stopped. Errors are
 * handed to `onError` and polling goes on.
 * @param {() => Promise<void>} tick
 * @param {() => number} intervalMs
 * @param {(err: unknown) => void} onError
 * @returns {{ stop: () => void, now: () => void }}
 */
export function poll(tick, intervalMs, onError) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let running = false;
  const run = async () => {
    if (stopped || running) return;
    clearTimeout(timer);
    running = true;
    try {
      await tick();
    } catch (err) {
      onError(err);
    } finally {
      running = false;
      if (!stopped) timer = setTimeout(run, intervalMs());
    }
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    now: () => void run(),
  };
}
