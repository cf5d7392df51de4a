import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Invocation } from '../../src/executors/warm/protocol.js';
import type { ReplicaHost } from '../../src/executors/warm/replica.js';
import { WakeSignal } from '../../src/executors/warm/wake-signal.js';
import type { ClaimedAttempt } from '../../src/store/store.js';
import { bareFunction, bareReplica } from './bare-replica.js';

/**
 * A replica endpoint whose claims find an empty queue, so its long polls wait: the state in which
 * a direct handoff holds its slots (Replica.hold). Its concurrency stands for a Kubernetes pool's
 * endpoint, whose slots are those of all its pods, while each pod's long poll asks for its own.
 */
function waitingEndpoint(concurrency: number) {
  const host: ReplicaHost = {
    take: async () => [],
    settle: async (settlements) => settlements.map(() => true),
    settleAndTake: async (_replica, settlements) => ({ applied: settlements.map(() => true), claimed: [] }),
    logs: () => undefined,
    work: new WakeSignal(),
    changed: () => undefined,
    logger: pino({ level: 'silent' }),
  };
  const fn = bareFunction('pool');
  let stopped = false;
  const replica = bareReplica(fn, concurrency, host, (life) => ({
    stop: async () => {
      if (stopped) return;
      stopped = true;
      life.onExit({ code: 0, signal: null, oomKilled: false, lastStderrLine: '' });
    },
  }));
  let sequence = 0;
  const started = (count: number) =>
    Array.from({ length: count }, () => ({ execution: { id: `e${++sequence}`, input: null }, attempt: 1, function: fn, leaseExpiresAt: '' }) as unknown as ClaimedAttempt);
  return { replica, started };
}

/** Lets a long poll reach its wait (its claim found nothing). */
const settle = async () => {
  for (let turns = 0; turns < 20; turns++) await new Promise((resolve) => setImmediate(resolve));
};

describe('a direct handoff to a replica endpoint (Replica.hold)', () => {
  it('holds no more slots than the waiting long polls asked for, so all it starts is answered at once', async () => {
    const { replica, started } = waitingEndpoint(6);
    assert.equal(replica.hold(3), 0, 'no long poll waits');
    const gone = new AbortController();
    const poll = replica.next(2, 30_000, gone.signal);
    await settle();
    // One pod waits with room for 2 of the endpoint's 6 slots: a group of 5 gets 2 of them.
    const slots = replica.hold(5);
    assert.equal(slots, 2);
    assert.equal(replica.hold(1), 0, 'the waiting poll’s room is held already');
    assert.equal(replica.deliver(started(slots), slots), true);
    const answered = (await poll) as Invocation[];
    assert.equal(answered.length, 2);
    assert.equal(replica.load, 2);
    // Two polls waiting: their asks add up, within the slots still free.
    const polls = [replica.next(3, 30_000, gone.signal), replica.next(3, 30_000, gone.signal)];
    await settle();
    assert.equal(replica.hold(10), 4, '6 asked, 4 free');
    replica.deliver([], 4);
    assert.equal(replica.hold(10), 4, 'an abandoned handoff frees its slots');
    replica.deliver([], 4);
    gone.abort();
    await Promise.all(polls);
    await replica.close();
  });
});
