import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StartTimer } from '../../src/engine/start-timer.js';

/** A store whose queue holds one execution due at `due`: nextStartAt answers it while it lies after the time asked about. */
function storeDue(due: number) {
  const asked: string[] = [];
  return {
    asked,
    store: {
      async nextStartAt(now: string) {
        asked.push(now);
        return Date.parse(now) < due ? new Date(due).toISOString() : null;
      },
    },
  };
}

describe('the start timer', () => {
  it('wakes at once for work that became ready while the pass that claimed started what it took', async () => {
    // The pass read the queue 50 ms ago; the execution came due 20 ms ago, after that read, so
    // the claim did not see it. Without the claim's time the store is asked about "now", which
    // is past it: no timer, and the execution would wait for the next poll.
    const now = Date.now();
    const { store, asked } = storeDue(now - 20);
    let woken = 0;
    const timer = new StartTimer(store, () => new Date(), () => (woken += 1), 60_000);
    await timer.arm(new Date(now - 50).toISOString());
    await new Promise((resolve) => setTimeout(resolve, 30));
    timer.stop();
    assert.deepEqual(asked, [new Date(now - 50).toISOString()]);
    assert.equal(woken, 1);
  });

  it('wakes at the time of work still ahead, and not before', async () => {
    const due = Date.now() + 80;
    const { store } = storeDue(due);
    let wokenAt = 0;
    const timer = new StartTimer(store, () => new Date(), () => (wokenAt = Date.now()), 60_000);
    await timer.arm();
    await new Promise((resolve) => setTimeout(resolve, 200));
    timer.stop();
    assert.ok(wokenAt >= due, `woke ${due - wokenAt} ms early`);
  });
});
