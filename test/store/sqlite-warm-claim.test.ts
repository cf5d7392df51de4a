import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';

const claimOf = (now: string, limit = 8) => ({ owner: 'replica', now, leaseMs: 30_000, limit, function: { namespace: 'default', name: 'report' } });

/** The SQL of every statement run (by any connection of this process) while `work` runs. */
async function statementsRun(work: () => Promise<unknown>): Promise<string[]> {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all' | 'iterate', (...args: unknown[]) => unknown>;
  probe.close();
  const run: string[] = [];
  const originals = { run: prototype.run, get: prototype.get, all: prototype.all, iterate: prototype.iterate };
  for (const method of Object.keys(originals) as (keyof typeof originals)[]) {
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      run.push(this.source.replace(/\s+/g, ' ').trim());
      return originals[method].apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    Object.assign(prototype, originals);
  }
  return run;
}

describe('SQLite warm claim (claimFunctionExecutions)', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-warm-claim-'));
    store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    await store.putFunction(functionDocument('report', { parallelism: 8 }));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a batch of first attempts without reading attempt rows back, each with the attempt stored', async () => {
    await enqueueMany(store, 'report', 8);
    let claimed: Awaited<ReturnType<SqliteStore['claimFunctionExecutions']>> = [];
    const statements = await statementsRun(async () => {
      claimed = await store.claimFunctionExecutions(claimOf(at(1)));
    });
    assert.equal(claimed.length, 8);
    const reads = statements.filter((text) => /^SELECT\b.*\bFROM attempts\b/i.test(text));
    assert.deepEqual(reads, [], 'a first attempt is made from what the claim inserted');
    for (const { execution, attempt } of claimed) {
      assert.equal(attempt, 1);
      assert.deepEqual(execution, await store.getExecution(execution.id), 'as a read of the execution shows it');
    }
  });

  it('gives an execution on a later attempt its whole history', async () => {
    const [id] = await enqueueMany(store, 'report', 1);
    const [first] = await store.claimFunctionExecutions(claimOf(at(1)));
    await store.completeAttempts([completion(refOf(first), { status: 'failed', finishedAt: at(2), settlement: { next: 'retry', notBefore: at(3) } })]);
    await enqueueMany(store, 'report', 1, 'default', at(3));
    const claimed = await store.claimFunctionExecutions(claimOf(at(4)));
    assert.deepEqual(
      claimed.map((each) => [each.execution.id === id, each.attempt, each.execution.attempts.map((attempt) => attempt.status)]),
      [
        [true, 2, ['failed', 'running']],
        [false, 1, ['running']],
      ],
    );
    for (const { execution } of claimed) assert.deepEqual(execution, await store.getExecution(execution.id));
  });

  it('takes the batch in queue order from executions_ready, with no sort, whatever its size', async () => {
    const ids = await enqueueMany(store, 'report', 8);
    const db = (store as unknown as { db: Database.Database }).db;
    const statements = await statementsRun(() => store.claimFunctionExecutions(claimOf(at(1), 3)));
    const ready = statements.find((text) => /INDEXED BY executions_ready/.test(text));
    assert.ok(ready, 'the claim reads the queue');
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${ready}`).all('default', 'report', at(1), 3) as { detail: string }[]).map((row) => row.detail).join('\n');
    assert.match(plan, /USING COVERING INDEX executions_ready/);
    assert.doesNotMatch(plan, /TEMP B-TREE/, plan);
    const next = await store.claimFunctionExecutions(claimOf(at(2), 5));
    assert.deepEqual(
      next.map((each) => each.execution.id),
      ids.slice(3),
    );
  });
});
