import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { ReplicaSettlement } from '../../src/executors/executor.js';
import type { Invocation } from '../../src/executors/warm/protocol.js';
import type { ReplicaExit, ReplicaProcessOptions } from '../../src/executors/warm/replica-process.js';
import type { ReplicaHost } from '../../src/executors/warm/replica.js';
import { WakeSignal } from '../../src/executors/warm/wake-signal.js';
import type { ClaimedAttempt } from '../../src/store/store.js';
import { bareFunction, bareReplica } from './bare-replica.js';

/**
 * A replica's runtime API endpoint with two requests of its own outstanding at once (an SDK that
 * runs its concurrency as two lanes, each with its own `results?next=N` cycle): a stand-in host
 * whose claims resolve only when the test lets them, so both requests are in the store step together.
 */
function harness(concurrency: number) {
  let sequence = 0;
  const asked: number[] = [];
  const settled: ReplicaSettlement[] = [];
  const gates: (() => void)[] = [];
  const claim = async (max: number): Promise<ClaimedAttempt[]> => {
    asked.push(max);
    await new Promise<void>((resolve) => gates.push(resolve));
    return Array.from({ length: max }, () => {
      sequence += 1;
      return { execution: { id: `e${sequence}`, input: null }, attempt: 1, function: { version: 1 } } as unknown as ClaimedAttempt;
    });
  };
  const host: ReplicaHost = {
    take: (_replica, max) => claim(max),
    settle: async (settlements) => {
      settled.push(...settlements);
      return settlements.map(() => true);
    },
    settleAndTake: async (_replica, settlements, max) => {
      settled.push(...settlements);
      return { applied: settlements.map(() => true), claimed: await claim(max) };
    },
    logs: () => undefined,
    work: new WakeSignal(),
    changed: () => undefined,
    logger: pino({ level: 'silent' }),
  };
  let exit: ((exit: ReplicaExit) => void) | undefined;
  const replica = bareReplica(bareFunction('lanes'), concurrency, host, (options: ReplicaProcessOptions) => {
    exit = options.onExit;
    return { stop: async () => undefined };
  });
  /** Lets every claim waiting in the store step finish. */
  const openGates = async () => {
    for (let turns = 0; turns < 50 && gates.length === 0; turns++) await new Promise((resolve) => setImmediate(resolve));
    gates.splice(0).forEach((open) => open());
  };
  return { replica, asked, settled, openGates, kill: (how: ReplicaExit) => exit!(how) };
}

const never = new AbortController().signal;
const ok = (invocation: Invocation) => ({ id: invocation.id, status: 'succeeded' as const, result: null });

describe('a replica with two requests outstanding (two lanes)', () => {
  it('never hands out more than its concurrency, however its lanes ask', async () => {
    const { replica, asked, openGates, kill } = harness(4);
    // Each lane long-polls for more than its share: the claims together stay within 4 slots.
    const first = replica.next(4, 0, never);
    const second = replica.next(4, 0, never);
    await openGates();
    const [a, b] = (await Promise.all([first, second])) as Invocation[][];
    assert.equal(a.length + b.length, 4);
    assert.equal(replica.load, 4);
    // Both lanes post at once, each asking for 4 more: only the slots their posts free are claimed.
    const postA = replica.results(a.map(ok), { max: 4, waitMs: 0, gone: never });
    const postB = replica.results(b.map(ok), { max: 4, waitMs: 0, gone: never });
    await openGates();
    const [answerA, answerB] = await Promise.all([postA, postB]);
    assert.deepEqual([...answerA.accepted, ...answerB.accepted].sort(), [...a, ...b].map((invocation) => invocation.id).sort());
    const handed = (answerA.invocations as Invocation[]).length + (answerB.invocations as Invocation[]).length;
    assert.equal(handed, 4);
    assert.equal(replica.load, 4);
    // The store was asked for no more than the free slots each time: one claim of 4 per round.
    assert.deepEqual(asked, [4, 4]);
    kill({ code: 0, signal: null, oomKilled: false, lastStderrLine: '' });
  });

  it('loses every invocation of both lanes when the replica is killed with both outstanding', async () => {
    const { replica, settled, openGates, kill } = harness(4);
    const first = replica.next(2, 0, never);
    const second = replica.next(2, 0, never);
    await openGates();
    const [a, b] = (await Promise.all([first, second])) as Invocation[][];
    assert.equal(a.length + b.length, 4);
    // Lane A posts and gets a new batch while lane B's batch is still running; then the process dies.
    const postA = replica.results(a.map(ok), { max: 2, waitMs: 0, gone: never });
    await openGates();
    const refill = (await postA).invocations as Invocation[];
    assert.equal(refill.length, 2);
    kill({ code: null, signal: 'SIGKILL', oomKilled: false, lastStderrLine: '' });
    for (let turns = 0; turns < 50 && settled.length < 2 + 4; turns++) await new Promise((resolve) => setImmediate(resolve));
    const lost = settled.filter((settlement) => settlement.outcome.status === 'lost').map((settlement) => `${settlement.claimed.execution.id}#${settlement.claimed.attempt}`);
    assert.deepEqual(lost.sort(), [...b, ...refill].map((invocation) => invocation.id).sort());
    assert.equal(replica.load, 0);
    assert.equal(replica.state, 'stopped');
  });
});
