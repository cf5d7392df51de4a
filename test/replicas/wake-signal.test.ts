import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { wakeTimeoutOrAbort, type WakeSource } from '../../src/lib/wake-timeout.js';
import { WakeSignal } from '../../src/executors/warm/wake-signal.js';

/** Which comes first: `waiting` settling, or `ms` passing. */
async function settlesWithin(waiting: Promise<void>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = await Promise.race([waiting.then(() => true), sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
  timer.abort();
  return settled;
}

describe('waiting for a wake, a timeout or an abort', () => {
  it('returns at once from wait() and either() on a signal already aborted, and leaves no waiter behind', async () => {
    const signal = AbortSignal.abort();
    const a = new WakeSignal();
    const b = new WakeSignal();
    assert.equal(await settlesWithin(a.wait(60_000, signal), 2_000), true, 'wait() on an aborted signal returned');
    assert.equal(await settlesWithin(WakeSignal.either(a, b, 60_000, signal), 2_000), true, 'either() on an aborted signal returned');
    assert.equal(a.waiting + b.waiting, 0);
  });

  it('wakes on a fire of either signal and unregisters from both', async () => {
    const a = new WakeSignal();
    const b = new WakeSignal();
    const waiting = WakeSignal.either(a, b, 60_000);
    assert.equal(a.waiting + b.waiting, 2);
    b.fire();
    assert.equal(await settlesWithin(waiting, 2_000), true);
    assert.equal(a.waiting, 0, 'the waiter left the signal that did not fire');
    assert.equal(b.generation, 1);
  });

  it('wakes on an abort during the wait, and after the timeout when nothing comes', async () => {
    const a = new WakeSignal();
    const abort = new AbortController();
    const aborted = a.wait(60_000, abort.signal);
    abort.abort();
    assert.equal(await settlesWithin(aborted, 2_000), true);
    const started = Date.now();
    assert.equal(await settlesWithin(a.wait(50), 5_000), true);
    assert.ok(Date.now() - started >= 45, 'the timeout was waited out');
    assert.equal(a.waiting, 0);
  });

  it('does not wake before the timeout when nothing fires', async () => {
    const a = new WakeSignal();
    assert.equal(await settlesWithin(a.wait(60_000), 200), false);
    a.fire();
  });

  it('unregisters every source once, and registers none after a source wakes while registering', async () => {
    const events: string[] = [];
    const eager: WakeSource = (wake) => {
      events.push('eager on');
      wake();
      return () => events.push('eager off');
    };
    const late: WakeSource = () => {
      events.push('late on');
      return () => events.push('late off');
    };
    assert.equal(await settlesWithin(wakeTimeoutOrAbort([eager, late], 60_000), 2_000), true);
    assert.deepEqual(events, ['eager on', 'eager off']);
  });
});
