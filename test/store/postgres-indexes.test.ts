import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { ExecutionStatus } from '../../src/domain/execution.js';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';

const skip = pgSkipReason();
after(dropSchemas);

/** Index entries a row version of `executions` takes when it is written anew (not HOT): one per index whose WHERE it meets. */
async function indexesHolding(schema: string, id: string): Promise<string[]> {
  const indexes = await pgQuery<{ name: string; predicate: string | null }>(
    `SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1 AND t.relname = 'executions' ORDER BY 1`,
    [schema],
  );
  const holding: string[] = [];
  for (const index of indexes) {
    const [row] = await pgQuery<{ n: number }>(`SELECT COUNT(*)::int AS n FROM "${schema}".executions WHERE id = $1 AND (${index.predicate ?? 'true'})`, [id]);
    if (row.n === 1) holding.push(index.name);
  }
  return holding;
}

describe('PostgreSQL store indexes (migration 8)', { skip }, () => {
  it('writes seven index entries when an execution is claimed, ten with an end (ten and ten before)', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await store.putFunction(functionDocument('report'));
      await enqueueMany(store, 'report', 1);
      const [claimed] = await store.claimExecutions({ owner: 'c', now: at(1), leaseMs: 60_000, limit: 1 });
      const running = await indexesHolding(schema, claimed.execution.id);
      assert.equal(running.length, 7, `a running execution is in ${running.join(', ')}`);
      assert.ok(!running.some((name) => /status|dequeued|by_key/.test(name)), `no status, dequeued or key index holds it: ${running.join(', ')}`);
      await store.completeAttempt(completion(refOf(claimed), { finishedAt: at(2) }));
      const ended = await indexesHolding(schema, claimed.execution.id);
      assert.ok(ended.length <= 10, `an ended execution is in ${ended.join(', ')}`);
    } finally {
      await store.close();
    }
  });

  describe('on 100,000 executions every listing and count reads an index, never the whole table', () => {
    const schema = freshSchema();
    let store: PostgresStore;
    let explainer: pg.Client;
    before(async () => {
      store = await openPostgresStore({ url: testPgUrl!, schema });
      await store.putFunction(functionDocument('a'));
      await store.putFunction(functionDocument('b'));
      // History: 100,000 executions over 9 days, mostly ended, a few hundred queued and running; one
      // function with a twentieth of them.
      await pgQuery(
        `INSERT INTO "${schema}".executions (id, namespace, function, version, status, priority, input, created_at, started_at, finished_at, notified)
         SELECT 'x' || g, 'default', CASE WHEN g % 20 = 0 THEN 'b' ELSE 'a' END, 1, s.status, 0, 'null'::json,
                t, CASE WHEN s.status IN ('queued') OR g % 50 = 1 THEN NULL ELSE t + interval '1 second' END,
                CASE WHEN s.status IN ('queued', 'running') THEN NULL ELSE t + interval '2 seconds' END, true
         FROM generate_series(1, 100000) AS g,
              LATERAL (SELECT timestamptz '2030-01-01' + g * interval '8 seconds' AS t,
                              CASE WHEN g > 99700 THEN 'queued' WHEN g > 99600 THEN 'running' WHEN g % 10 = 0 THEN 'failed'
                                   WHEN g % 50 = 1 THEN 'cancelled' WHEN g % 97 = 0 THEN 'timed_out' ELSE 'succeeded' END AS status) AS s`,
      );
      await pgQuery(`ANALYZE "${schema}".executions`);
      explainer = new pg.Client({ connectionString: testPgUrl, options: `-c search_path=${schema}` });
      await explainer.connect();
    });
    after(async () => {
      await explainer?.end();
      await store?.close();
    });

    /** The plans of every statement `call` sends, as EXPLAIN prints them with the same values. */
    async function plansOf(call: () => Promise<unknown>): Promise<string[]> {
      const sent: { text: string; values?: unknown[] }[] = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        if (typeof args[0] === 'string') sent.push({ text: args[0], values: Array.isArray(args[1]) ? (args[1] as unknown[]) : undefined });
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      try {
        await call();
      } finally {
        pg.Client.prototype.query = query;
      }
      assert.ok(sent.length > 0, 'the call sent a statement');
      const plans: string[] = [];
      for (const statement of sent) {
        const { rows } = await explainer.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.values);
        plans.push(rows.map((row) => row['QUERY PLAN']).join('\n'));
      }
      return plans;
    }

    async function assertIndexed(what: string, call: () => Promise<unknown>): Promise<void> {
      for (const plan of await plansOf(call)) assert.doesNotMatch(plan, /Seq Scan on executions/, `${what} scans the table:\n${plan}`);
    }

    it('lists executions by namespace, function and status, and by creation time', async () => {
      const statuses: (ExecutionStatus | undefined)[] = [undefined, 'queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'];
      for (const status of statuses) {
        for (const fn of [undefined, 'a']) {
          await assertIndexed(`listing ${fn ?? '*'}/${status ?? '*'}`, () => store.listExecutions({ namespace: 'default', function: fn, status, limit: 50 }));
        }
      }
      await assertIndexed('listing by time', () => store.listExecutions({ namespace: 'default', createdSince: '2030-01-10T00:00:00.000Z', createdBefore: '2030-01-10T01:00:00.000Z', limit: 50 }));
    });

    it('counts executions per status in all namespaces, one, one function, and for some statuses', async () => {
      // (Every status of a whole namespace reads all its rows whatever the access: not asserted.)
      await assertIndexed('counts of a small function', () => store.countExecutions('default', 'b'));
      await assertIndexed('live counts', () => store.countExecutions(undefined, undefined, ['queued', 'running']));
      await assertIndexed('live counts of a function', () => store.countExecutions('default', 'b', ['queued', 'running']));
      const counts = await store.countExecutions('default');
      assert.deepEqual(counts, { queued: 300, running: 100, succeeded: counts.succeeded, failed: counts.failed, timed_out: counts.timed_out, cancelled: counts.cancelled });
      assert.equal(counts.succeeded + counts.failed + counts.timed_out + counts.cancelled, 99_600);
      assert.deepEqual(await store.countExecutions('default', 'b', ['running', 'failed']), { queued: 0, running: 5, succeeded: 0, failed: 4_980, timed_out: 0, cancelled: 0 });
    });

    it('reads the dashboard series and stats, the queue and the dispatcher timer from indexes', async () => {
      // The last six hours, as the dashboard shows them (the history ends at 06:13 on the 10th).
      const window = { since: '2030-01-10T00:00:00.000Z', until: '2030-01-10T06:00:00.000Z' };
      await assertIndexed('series of a namespace', () => store.executionSeries({ namespace: 'default', bucketMs: 600_000, ...window }));
      await assertIndexed('series of a function', () => store.executionSeries({ namespace: 'default', function: 'a', bucketMs: 600_000, ...window }));
      await assertIndexed('function stats', () => store.functionStats('default', window));
      await assertIndexed('queue stats', () => store.queueStats('2030-02-01T00:00:00.000Z'));
      await assertIndexed('next start', () => store.nextStartAt('2030-02-01T00:00:00.000Z'));
      await assertIndexed('function load', () => store.functionLoad({ namespace: 'default', name: 'a' }, null, '2030-02-01T00:00:00.000Z'));
    });
  });
});
