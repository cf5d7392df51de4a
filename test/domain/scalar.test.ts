import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideReplicas, initialScalarState, type ScalarObservation, type ScalarSettings, type ScalarState } from '../../src/domain/scalar.js';

const settings: ScalarSettings = { min: 0, max: 10, concurrency: 4, idleTimeoutMs: 60_000, stabilizationMs: 30_000 };

/** Feeds observations one second apart (unless `at` is given) and returns each decision's size. */
function run(observations: Partial<ScalarObservation>[], options: Partial<ScalarSettings> = {}, start: ScalarState = initialScalarState): { sizes: number[]; state: ScalarState } {
  let state = start;
  const sizes: number[] = [];
  observations.forEach((partial, index) => {
    const observation = { at: index * 1000, queued: 0, running: 0, arrivals: 0, meanDurationMs: 0, ...partial };
    const decision = decideReplicas(state, observation, { ...settings, ...options });
    state = decision.state;
    sizes.push(decision.desired);
  });
  return { sizes, state };
}

describe('the Scalar’s sizing rule', () => {
  it('sizes a pool from queue depth and running work, per replica concurrency, within max', () => {
    assert.deepEqual(run([{ queued: 1 }]).sizes, [1]);
    assert.deepEqual(run([{ queued: 9, running: 3 }]).sizes, [3]);
    assert.deepEqual(run([{ queued: 2_000 }]).sizes, [10]);
    assert.deepEqual(run([{ queued: 2_000 }], { max: 3 }).sizes, [3]);
  });

  it('keeps min replicas with no work at all, and never starts any for a pool at min 0 without work', () => {
    assert.deepEqual(run([{}, {}]).sizes, [0, 0]);
    assert.deepEqual(run([{}, {}], { min: 2 }).sizes, [2, 2]);
  });

  it('scales up at once but down only to the largest size wanted within the stabilization window', () => {
    const observations = [{ queued: 40 }, { queued: 4 }, ...Array.from({ length: 30 }, () => ({ running: 4 }))];
    const { sizes } = run(observations);
    assert.equal(sizes[0], 10);
    // 4 running need one replica, but 10 were wanted less than 30 s ago.
    assert.deepEqual(sizes.slice(1, 30), Array(29).fill(10));
    assert.equal(sizes[30], 1);
  });

  it('does not flap under a steady load that comes and goes between looks', () => {
    const observations = Array.from({ length: 120 }, (_, index) => (index % 2 === 0 ? { queued: 8, arrivals: 8 } : { arrivals: 8 }));
    const { sizes } = run(observations);
    const changes = sizes.filter((size, index) => index > 0 && size !== sizes[index - 1]).length;
    assert.equal(sizes[0], 2);
    assert.equal(changes, 0);
  });

  it('keeps a replica for arrivals even when each execution is over before the next look', () => {
    assert.deepEqual(run([{ arrivals: 5 }, { arrivals: 5 }]).sizes, [1, 1]);
  });

  it('sizes by arrival rate times mean duration when that is more than what is queued and running', () => {
    // 100 arrivals a second, each lasting 200 ms: 20 busy at any time, 5 replicas of 4.
    const { sizes } = run([{ arrivals: 100, meanDurationMs: 200 }, { arrivals: 100, meanDurationMs: 200, running: 1 }, { arrivals: 100, meanDurationMs: 200, running: 1 }]);
    assert.deepEqual(sizes.slice(1), [3, 4]);
  });

  it('holds the size while idle, then scales to min once idleTimeout has passed since the last work', () => {
    const busy = { queued: 12 };
    const observations: Partial<ScalarObservation>[] = [busy, ...Array.from({ length: 61 }, () => ({}))];
    const { sizes } = run(observations);
    assert.equal(sizes[0], 3);
    assert.deepEqual(sizes.slice(1, 60), Array(59).fill(3));
    assert.equal(sizes[60], 0);
    assert.equal(run(observations, { min: 1 }).sizes[60], 1);
  });

  it('goes idle once work stops, though the smoothed arrival rate has not reached zero', () => {
    const observations: Partial<ScalarObservation>[] = [{ arrivals: 100, meanDurationMs: 300 }, { arrivals: 100, running: 2, meanDurationMs: 300 }, ...Array.from({ length: 70 }, () => ({ meanDurationMs: 300 }))];
    const { sizes } = run(observations);
    assert.equal(sizes.at(-1), 0);
  });

  it('reports what changed', () => {
    const first = decideReplicas(initialScalarState, { at: 0, queued: 5, running: 0, arrivals: 5, meanDurationMs: 0 }, settings);
    assert.equal(first.change, 'up');
    const same = decideReplicas(first.state, { at: 1000, queued: 5, running: 0, arrivals: 0, meanDurationMs: 0 }, settings);
    assert.equal(same.change, 'steady');
    const idle = decideReplicas(same.state, { at: 100_000, queued: 0, running: 0, arrivals: 0, meanDurationMs: 0 }, settings);
    assert.deepEqual([idle.change, idle.desired], ['idle', 0]);
  });
});
