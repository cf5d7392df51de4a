import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { ExecutionQuery } from '../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';
import { statementsRun, type StatementRun } from './statements-run.js';

/**
 * A bare `LIMIT ?` makes SQLite compile its statement again at every run (see
 * src/store/sqlite/bound-limit.ts); better-sqlite3 does not expose the statement's reprepare count,
 * so these tests check each periodic or per-request statement's LIMIT as it is run, and that its
 * query plan is the one the bare LIMIT got with the same values.
 */
describe('SQLite statements with a bound LIMIT', () => {
  let dir: string;
  let store: SqliteStore;
  let db: Database.Database;
  let ended: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-bound-limit-'));
    store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    db = (store as unknown as { db: Database.Database }).db;
    await store.putFunction(functionDocument('report', { parallelism: 20 }));
    await store.putFunction(functionDocument('resize', { parallelism: 20 }));
    await enqueueMany(store, 'report', 12, 'default', at(0));
    await enqueueMany(store, 'resize', 4, 'default', at(0));
    const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 10_000, limit: 10 });
    const finishing = claimed.slice(0, 6);
    ended = finishing.map((each) => each.execution.id);
    await store.completeAttempts(finishing.map((each, index) => completion(refOf(each), { status: index % 2 === 0 ? 'succeeded' : 'failed', finishedAt: at(2) })));
    for (const each of claimed.slice(0, 2)) {
      await store.appendLogs(refOf(each), [
        { time: at(1), stream: 'stdout', line: 'one' },
        { time: at(1), stream: 'stderr', line: 'two' },
      ]);
    }
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The plan's lines, as EXPLAIN QUERY PLAN gives them for these values. */
  const planOf = (text: string, args: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...args) as { detail: string }[]).map((row) => row.detail);

  /** Runs `work` and checks each statement with a LIMIT it ran; returns what work returned. */
  async function limitedStatementsOf<T>(work: () => Promise<T>): Promise<{ result: T; limited: StatementRun[] }> {
    let result: T | undefined;
    const run = await statementsRun(async () => {
      result = await work();
    });
    const limited = run.filter((statement) => /\bLIMIT\b/i.test(statement.sql) && !/\bLIMIT 1\b/.test(statement.sql));
    assert.ok(limited.length > 0, 'the operation reads with a bound LIMIT');
    for (const statement of limited) {
      assert.doesNotMatch(statement.sql, /\bLIMIT \?(?! \+ 0\b)/i, `a bare bound LIMIT recompiles at each run: ${statement.sql}`);
      const bare = statement.sql.replace(/\bLIMIT \? \+ 0\b/i, 'LIMIT ?');
      assert.deepEqual(planOf(statement.sql, statement.args), planOf(bare, statement.args), `the plan of ${statement.sql}`);
    }
    return { result: result as T, limited };
  }

  it("the lease reaper's read of expired attempts", async () => {
    const { result, limited } = await limitedStatementsOf(() => store.listExpiredAttempts(at(60), 100));
    assert.equal(result.length, 4, 'the attempts still running, lease expired');
    assert.match(planOf(limited[0].sql, limited[0].args).join('\n'), /USING (COVERING )?INDEX/);
  });

  it("the deliverer's reads: unnotified executions and due deliveries", async () => {
    const unnotified = await limitedStatementsOf(() => store.listUnnotifiedExecutions(50));
    assert.deepEqual(new Set(unnotified.result.map((execution) => execution.id)), new Set(ended));
    await store.notifyExecutions(
      unnotified.result.map((execution) => ({ executionId: execution.id, deliveries: [{ url: 'http://127.0.0.1:9/sink', kind: 'sink', event: { id: execution.id } }] })),
      at(3),
    );
    const due = await limitedStatementsOf(() => store.claimDeliveries(at(4), 30_000, 4));
    assert.equal(due.result.length, 4);
    const listed = await limitedStatementsOf(() => store.listDeliveries({ namespace: 'default', executionId: ended[0], limit: 10 }));
    assert.equal(listed.result.length, 1);
  });

  it('a page of log lines, of an execution or of one attempt', async () => {
    const all = await limitedStatementsOf(() => store.readLogs(ended[0], { limit: 1 }));
    assert.deepEqual(
      all.result.map((line) => line.line),
      ['one'],
    );
    const next = await limitedStatementsOf(() => store.readLogs(ended[0], { afterSeq: 1, attempt: 1, limit: 100 }));
    assert.deepEqual(
      next.result.map((line) => line.line),
      ['two'],
    );
  });

  it('a page of executions, for every filter combination the listing builds', async () => {
    const queries: Omit<ExecutionQuery, 'namespace'>[] = [
      { limit: 1 },
      { limit: 5, function: 'report' },
      { limit: 5, status: 'succeeded' },
      { limit: 5, function: 'report', status: 'failed' },
      { limit: 5, status: 'queued' },
      { limit: 5, function: 'report', status: 'running' },
      { limit: 5, createdSince: at(0), createdBefore: at(10) },
      { limit: 5, function: 'resize', createdSince: at(0) },
    ];
    for (const query of queries) {
      const page = await limitedStatementsOf(() => store.listExecutions({ namespace: 'default', ...query }));
      assert.ok(page.result.items.length > 0, JSON.stringify(query));
    }
  });

  it("the warm replicas' claim", async () => {
    const { result } = await limitedStatementsOf(() => store.claimFunctionExecutions({ owner: 'replica', now: at(5), leaseMs: 30_000, limit: 3, function: { namespace: 'default', name: 'report' } }));
    assert.equal(result.length, 2, 'the queued executions of report');
  });
});
