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

  /** Resolves on the next fire, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /**
   * Resolves on the next fire of `a` or `b`, after `ms`, or when `signal` aborts: one waiter, one
   * timer and one listener for both, rather than a race of two waits and an AbortController to end
   * the loser (a DOMException per wait once aborted).
   */
  static either(a: WakeSignal, b: WakeSignal, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        a.waiters.delete(done);
        b.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      a.waiters.add(done);
      b.waiters.add(done);
    });
  }

  /** Wakes every current waiter. */
  fire(): void {
    this.generation += 1;
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const done of waiting) done();
  }
}
