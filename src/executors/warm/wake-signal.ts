/** Registers `wake` with something that may wake a waiter; returns how to unregister it. */
export type WakeSource = (wake: () => void) => () => void;

/**
 * Resolves when any of `sources` wakes it, after `ms`, or when `signal` aborts, whichever comes
 * first; at once when `signal` has already aborted. One timer and one abort listener however many
 * sources, rather than a race of waits and an AbortController to end the losers (a DOMException
 * per wait once aborted).
 */
export function wakeTimeoutOrAbort(sources: readonly WakeSource[], ms: number, signal?: AbortSignal): Promise<void> {
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

/**
 * Wakes everyone waiting at once: a long poll waits on it for work, a slot, or a drain. A fire
 * between two waits is not remembered by wait(); a waiter that looks (a claim, on PostgreSQL
 * several round trips) before it waits compares `generation` from before its look, so that work
 * stored during the look is not left for the next timeout.
 */
export class WakeSignal {
  private waiters = new Set<() => void>();
  /** Counts fires. */
  generation = 0;

  /** This signal as a source for wakeTimeoutOrAbort. */
  readonly source: WakeSource = (wake) => {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  };

  /** Resolves on the next fire, after `ms`, or when `signal` aborts (at once if it has), whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return wakeTimeoutOrAbort([this.source], ms, signal);
  }

  /** Resolves on the next fire of `a` or `b`, after `ms`, or when `signal` aborts (at once if it has). */
  static either(a: WakeSignal, b: WakeSignal, ms: number, signal?: AbortSignal): Promise<void> {
    return wakeTimeoutOrAbort([a.source, b.source], ms, signal);
  }

  /** How many wait now; a finished wait leaves none behind. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Wakes every current waiter. */
  fire(): void {
    this.generation += 1;
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const done of waiting) done();
  }
}
