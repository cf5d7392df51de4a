import { wakeTimeoutOrAbort, type StopSignal, type WakeSource } from '../../lib/wake-timeout.js';

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
  wait(ms: number, signal?: StopSignal): Promise<void> {
    return wakeTimeoutOrAbort([this.source], ms, signal);
  }

  /** Resolves on the next fire of `a` or `b`, after `ms`, or when `signal` aborts (at once if it has). */
  static either(a: WakeSignal, b: WakeSignal, ms: number, signal?: StopSignal): Promise<void> {
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
