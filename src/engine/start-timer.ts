import type { Store } from '../store/store.js';

/**
 * Wakes the dispatcher when queued work that is not ready yet becomes ready: an execution asked
 * to run later, a retry's backoff, a rate-limited function's next slot. The dispatcher's poll
 * would find them too, but up to a poll interval late; this finds them on time (issue 17 asks a
 * delayed execution to start within 100 ms of its time). Level-triggered: each dispatcher pass
 * that left work behind asks the store again, so a restart, or work another controller stored,
 * is picked up from what the store holds.
 */
export class StartTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly store: Pick<Store, 'nextStartAt'>,
    private readonly clock: () => Date,
    private readonly wake: () => void,
    /** Times further ahead than this are left to the dispatcher's poll. */
    private readonly horizonMs: number,
  ) {}

  /** Asks the store for the next start time and, when it is nearer than the armed one, wakes then. */
  async arm(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock().getTime();
    const next = await this.store.nextStartAt(new Date(now).toISOString());
    if (next === null || this.stopped) return;
    const at = Date.parse(next);
    if (at - now > this.horizonMs || at >= this.at) return;
    clearTimeout(this.timer);
    this.at = at;
    // One millisecond past the time: a claim at exactly `at` would find it ready, but timers and the clock may disagree by that much.
    this.timer = setTimeout(() => {
      this.at = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, at - this.clock().getTime()) + 1);
  }

  /** Cancels the armed wake-up; arm() does nothing afterwards. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
