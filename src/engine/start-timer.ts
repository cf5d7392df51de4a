import type { Store } from '../store/store.js';

/**
 * Wakes the dispatcher when queued work that is not ready yet becomes ready: an execution asked
 * to run later, a retry's backoff, a rate-limited function's next slot. The dispatcher's poll
 * would find them too, but up to a poll interval late; this finds them on time (issue 17 asks a
 * delayed execution to start within 100 ms of its time). Level-triggered: each dispatcher pass
 * that left work behind asks the store again, so a restart, or work another controller stored,
 * is picked up from what the store holds.
 *
 * Asking costs a store call, which a busy dispatcher would pay on most passes (measured with
 * bench/controls-overhead.ts: +13% controller CPU per execution of a plain function on SQLite
 * when every pass asked). So it asks only when something may have made work wait for a time
 * (touch(): a delayed enqueue, a retry, a rate-limited start, another controller's change, a
 * fired timer), and otherwise at most once per horizon (the dispatcher's poll interval). The
 * timer is set however far ahead the time is: a 2 s delay once came a full PostgreSQL poll (1 s)
 * late when only times within the horizon were armed and the pass that would have armed it came
 * a millisecond early.
 */
export class StartTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;
  private stopped = false;
  private dirty = true;
  private lastAsked = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: Pick<Store, 'nextStartAt'>,
    private readonly clock: () => Date,
    private readonly wake: () => void,
    /** Without a touch, the store is asked at most once per this long. */
    private readonly horizonMs: number,
  ) {}

  /** Something may have made work wait for a time: the next arm() asks the store. */
  touch(): void {
    this.dirty = true;
  }

  /**
   * Asks the store for the next start time (see touch) and, when it is nearer than the armed one,
   * wakes then. `claimedAt`: when the pass that found nothing more to take read the queue. Times
   * from then on count, not only those still ahead: work that became ready while the pass started
   * what it took (spawns, under load, for hundreds of ms) was not in its claim, and the next poll
   * would find it a whole interval late. Such work wakes the dispatcher at once.
   */
  async arm(claimedAt?: string): Promise<void> {
    if (this.stopped) return;
    const now = this.clock().getTime();
    if (!this.dirty && now - this.lastAsked < this.horizonMs) return;
    this.dirty = false;
    this.lastAsked = now;
    const next = await this.store.nextStartAt(claimedAt ?? new Date(now).toISOString());
    if (next === null || this.stopped) return;
    const at = Date.parse(next);
    if (at >= this.at) return;
    clearTimeout(this.timer);
    this.at = at;
    // One millisecond past the time: a claim at exactly `at` would find it ready, but timers and the clock may disagree by that much.
    this.timer = setTimeout(() => {
      this.at = Number.POSITIVE_INFINITY;
      this.dirty = true;
      this.wake();
      // setTimeout takes at most 2^31 - 1 ms (24.8 days); a later time is asked for again when it fires.
    }, Math.min(Math.max(0, at - this.clock().getTime()) + 1, 2 ** 31 - 1));
    this.timer.unref();
  }

  /** Cancels the armed wake-up; arm() does nothing afterwards. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
