import type pg from 'pg';
import type { ClaimedAttempt } from '../store.js';
import { endingSql, type DeferredEnding } from './complete-attempts.js';
import { prepared } from './connection.js';
import { toExecution, toFunctionVersion, withIsoTimes, type AttemptRow, type ExecutionRow } from './rows.js';

/*
 * Why a claim starts its attempts and reads them back in one statement (issue 16: a warm batch on
 * PostgreSQL spent its time waiting for ten statements one after another, the server otherwise
 * idle). Moving the picked executions to running, opening their attempts, and reading back each
 * execution with its attempts and the version it runs were three round trips; a data-modifying
 * WITH does them in one. Its final SELECT sees the snapshot from before the statement's own
 * writes, so the execution comes from the UPDATE's RETURNING and the new attempt from the
 * INSERT's, beside the execution's earlier attempts read from the table.
 *
 * With the warm batch's other merges (its execution locks sent with BEGIN, the function's lock
 * taken in the fence statement: see completeAndClaimFunction) a warm batch is five round trips,
 * from ten, and a cold batch two fewer. Measured (2-core VM shared with other work, load 3-8;
 * alternating runs, old build against new): bench/warm-drain.ts on the test cluster, 10,000:
 * 672 and 829/s before, 720 and 795/s after, server CPU 448-468 µs per execution before,
 * 355-371 after; bench:peers burn-down of 5,000 on a durable PostgreSQL (fsync on): warm 308/s
 * before, 391 and 377/s after, Graphile Worker 557-700/s in the same runs. The rate did not follow
 * the CPU: one replica keeps one batch in flight, so a batch's HTTP turn, its round trips and its
 * commit's WAL flush follow each other, and Graphile's eight workers share flushes instead.
 */

/** An execution as the statement returns it: the updated row, its attempts as json, its version's document. */
type StartedRow = ExecutionRow & { attempt_number: number; attempts: AttemptRow[]; version_document: unknown; version_created_at: string };

/**
 * Picks executions with `pick` (a SELECT of `seq`s that may lock them; its parameters numbered from
 * $4), moves them to running and opens the next attempt of each with a lease for `owner`, and
 * returns them claimed, in the order of the queue (priority, then age). `ending`, a settlement's
 * deferred end, is done by the same statement, before the pick in its WITH: the pick's snapshot
 * still sees those executions running, so a pick that counts running ones must subtract them.
 */
export async function startPicked(
  client: pg.PoolClient,
  pick: { sql: string; values: unknown[] },
  owner: string,
  now: string,
  leaseExpiresAt: string,
  ending?: DeferredEnding,
): Promise<ClaimedAttempt[]> {
  return (await startRows(client, pick, owner, now, leaseExpiresAt, ending)).map((row) => row.claimed);
}

async function startRows(
  client: pg.PoolClient,
  pick: { sql: string; values: unknown[] },
  owner: string,
  now: string,
  leaseExpiresAt: string,
  ending?: DeferredEnding,
): Promise<{ seq: number; claimed: ClaimedAttempt }[]> {
  const end = ending ? endingSql(ending.applied, 4 + pick.values.length) : undefined;
  const { rows } = await client.query<StartedRow>(prepared(
    `WITH ${end ? `${end.sql}, ` : ''}picked AS (${pick.sql}
     ), moved AS (
       UPDATE executions SET status = 'running', started_at = COALESCE(started_at, $1::timestamptz), not_before = NULL
       WHERE seq IN (SELECT seq FROM picked) RETURNING *
     ), opened AS (
       INSERT INTO attempts (execution_id, number, status, started_at, owner, lease_expires_at)
       SELECT id, COALESCE((SELECT MAX(number) FROM attempts a WHERE a.execution_id = moved.id), 0) + 1, 'running', $1::timestamptz, $2, $3::timestamptz
       FROM moved
       RETURNING *
     )
     SELECT moved.*, opened.number AS attempt_number, v.document AS version_document, v.created_at AS version_created_at, (
       SELECT json_agg(x ORDER BY x.number) FROM (
         SELECT * FROM attempts a WHERE a.execution_id = moved.id UNION ALL SELECT * FROM opened o WHERE o.execution_id = moved.id
       ) x
     ) AS attempts
     FROM moved
     JOIN opened ON opened.execution_id = moved.id
     JOIN function_versions v ON v.namespace = moved.namespace AND v.name = moved.function AND v.version = moved.version
     ORDER BY moved.priority DESC, moved.seq`,
    [now, owner, leaseExpiresAt, ...pick.values, ...(end?.values ?? [])],
  ));
  return rows.map((row) => {
    const { attempt_number: attempt, attempts, version_document: document, version_created_at: createdAt, ...execution } = row;
    const claimed = {
      execution: toExecution(execution as ExecutionRow, attempts.map(withIsoTimes)),
      attempt,
      function: toFunctionVersion({ namespace: row.namespace, name: row.function, version: row.version, document, created_at: createdAt }),
      leaseExpiresAt,
    };
    return { seq: row.seq, claimed };
  });
}

/** startPicked for executions already chosen, returned in the order of `seqs`. */
export async function startChosen(client: pg.PoolClient, seqs: number[], owner: string, now: string, leaseExpiresAt: string): Promise<ClaimedAttempt[]> {
  const started = new Map((await startRows(client, { sql: 'SELECT unnest($4::bigint[]) AS seq', values: [seqs] }, owner, now, leaseExpiresAt)).map((row) => [row.seq, row.claimed]));
  return seqs.flatMap((seq) => started.get(seq) ?? []);
}
