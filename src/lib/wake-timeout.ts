/*
 * Waiting for the first of several wake-ups, a timeout or an abort: shared by the engine (an
 * invoke that waits for its execution to end) and the warm executors (long polls), which must not
 * import each other.
 */

/**
 * What a wait needs of a cancellation: whether it came, and a call when it comes. An AbortSignal
 * is one; so is a cheaper connection hang-up (hang-up.ts). A listener is called at most once.
 */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Registers `wake` with something that may wake a waiter; returns how to unregister it. */
export type WakeSource = (wake: () => void) => () => void;

/**
 * Resolves when any of `sources` wakes it, after `ms`, or when `signal` aborts, whichever comes
 * first; at once when `signal` has already aborted. One timer and one abort listener however many
 * sources, rather than a race of waits and an AbortController to end the losers (a DOMException
 * per wait once aborted).
 */
export function wakeTimeoutOrAbort(sources: readonly WakeSource[], ms: number, signal?: StopSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let settled = false;
    const unlisten: (() => void)[] = [];
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      for (const stop of unlisten) stop();
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
    // A source that wakes while it is registered is unregistered at once, and the later ones never are.
    for (const listen of sources) {
      if (settled) break;
      const stop = listen(done);
      if (settled) stop();
      else unlisten.push(stop);
    }
  });
}
