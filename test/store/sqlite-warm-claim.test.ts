import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';
import { statementsRun } from './statements-run.js';

const claimOf = (now: string, limit = 8) => ({ owner: 'replica', now, leaseMs: 30_000, limit, function: { namespace: 'default', name: 'report' } });

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
    const statements = (
      await statementsRun(async () => {
        claimed = await store.claimFunctionExecutions(claimOf(at(1)));
      })
    ).map((statement) => statement.sql);
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
    const ready = statements.find((statement) => /INDEXED BY executions_ready/.test(statement.sql))?.sql;
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
