import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PontoonError } from '../../src/domain/errors.js';
import { GroupCommit } from '../../src/engine/group-commit.js';
import type { Handoff } from '../../src/engine/handoff.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ClaimedAttempt, NewExecution } from '../../src/store/store.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function storeWithPlain() {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-handoff-commit-'));
  dirs.push(dir);
  const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
  await store.putFunction({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'plain', namespace: 'default' }, spec: { runtime: 'command', command: ['true'], parallelism: 4, priority: 0, timeout: '1m', retry: { limit: 0, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: ['failure'], nonRetryableExitCodes: [] } } });
  return store;
}

/** A handoff that records what the group commit told it. */
function recordingHandoff(): Handoff & { calls: string[]; claimed: ClaimedAttempt[] } {
  const handoff = {
    calls: [] as string[],
    claimed: [] as ClaimedAttempt[],
    claim: (now: string) => ({ owner: 'me', now, leaseMs: 30_000, limit: 4, function: { namespace: 'default', name: 'plain' } }),
    started(claimed: ClaimedAttempt[]) {
      handoff.calls.push('started');
      handoff.claimed = claimed;
    },
    abandoned() {
      handoff.calls.push('abandoned');
    },
  };
  return handoff;
}

const plain = (input: unknown, fn = 'plain'): NewExecution => ({ namespace: 'default', function: fn, input });

describe('a group commit with a direct handoff', () => {
  it('starts the group’s executions in its transaction, tells the replica before the callers, and wakes nobody for them', async () => {
    const store = await storeWithPlain();
    const handoff = recordingHandoff();
    const order: string[] = [];
    let storedClaimed: ClaimedAttempt[] = [];
    const commit = new GroupCommit({
      store,
      clock: () => new Date(),
      handoff: () => {
        order.push('planned');
        return { ...handoff, started: (claimed) => (order.push('replica told'), handoff.started(claimed)) };
      },
      stored: (_requests, _enqueued, claimed) => (storedClaimed = claimed),
    });
    const [[a], [b]] = await Promise.all([commit.enqueue([plain(1)]).then((r) => (order.push('caller answered'), r)), commit.enqueue([plain(2)])]);
    assert.deepEqual(order.slice(0, 3), ['planned', 'replica told', 'caller answered']);
    assert.deepEqual(
      handoff.claimed.map((claimed) => claimed.execution.id),
      [a.execution.id, b.execution.id],
    );
    assert.deepEqual(storedClaimed, handoff.claimed);
    assert.equal((await store.getExecution(a.execution.id))?.status, 'running');
    assert.equal((await store.getExecution(a.execution.id))?.attempts[0].owner, 'me');
    await store.close();
  });

  it('gives the held slots back when the group fails, and stores the others again without the handoff', async () => {
    const store = await storeWithPlain();
    const handoff = recordingHandoff();
    const commit = new GroupCommit({ store, clock: () => new Date(), handoff: () => handoff, stored: () => {} });
    const [good, bad] = await Promise.allSettled([commit.enqueue([plain('good')]), commit.enqueue([plain('bad', 'missing')])]);
    assert.equal(bad.status, 'rejected');
    assert.equal((bad.reason as PontoonError).code, 'FUNCTION_NOT_FOUND');
    assert.equal(good.status, 'fulfilled');
    assert.deepEqual(handoff.calls, ['abandoned']);
    // Stored alone after the fault, without a claim: it waits for a replica's own claim.
    assert.equal((await store.getExecution(good.value[0].execution.id))?.status, 'queued');
    await store.close();
  });
});
