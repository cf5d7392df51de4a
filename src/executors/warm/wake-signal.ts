/**
 * Wakes everyone waiting at once: a long poll waits on it for work, a slot, or a drain. A fire
 * between two waits is not remembered; waiters re-check their condition after every wake-up.
 */
export class WakeSignal {
  private waiters = new Set<() => void>();

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

  /** Wakes every current waiter. */
  fire(): void {
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const done of waiting) done();
  }
}
