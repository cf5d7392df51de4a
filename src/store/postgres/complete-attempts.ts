import type pg from 'pg';
import type { AttemptCompletion } from '../store.js';
import { isCurrentAttempt, lateReportOf, storedResult } from '../shared/attempt-settlement.js';
import { attemptNotFound, deletedFunctionError } from '../shared/errors.js';
import { isoTime } from '../shared/stored-values.js';
import { transaction, type Pool } from './connection.js';
import { notifyWake } from './notify.js';

/** What the fence needs of an attempt and its execution, read for the whole batch at once. */
interface FenceRow {
  id: string;
  execution_status: AttemptCompletion['status'] | 'queued' | 'running' | 'cancelled';
  namespace: string;
  function: string;
  number: number | null;
  attempt_status: 'running' | AttemptCompletion['status'] | 'cancelled' | null;
  latest: number | null;
}

/**
 * Settles a batch of attempts in one transaction, each fenced as completeAttempt fences it, with a
 * fixed number of statements whatever the batch's size: lock the executions (by id, so two batches
 * never deadlock), read the fence, then one set-based write per kind of change. A completeAttempt
 * per attempt is five round trips each; a replica's batch of 8 is seven round trips in all here.
 */
export async function completeAttempts(pool: Pool, completions: AttemptCompletion[]): Promise<boolean[]> {
  if (completions.length === 0) return [];
  return transaction(pool, (client) => completeAttemptsIn(client, completions));
}

/** completeAttempts's work, inside a transaction the caller holds. */
export async function completeAttemptsIn(client: pg.PoolClient, completions: AttemptCompletion[]): Promise<boolean[]> {
  if (completions.length === 0) return [];
  {
    const ids = completions.map((completion) => completion.executionId);
    const { rows } = await client.query<FenceRow>(
      `WITH locked AS (
         SELECT id, status, namespace, function FROM executions WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
       )
       SELECT l.id, l.status AS execution_status, l.namespace, l.function, a.number, a.status AS attempt_status,
              (SELECT MAX(number) FROM attempts m WHERE m.execution_id = l.id) AS latest
       FROM locked l
       LEFT JOIN unnest($1::text[], $2::int[]) AS r (id, number) ON r.id = l.id
       LEFT JOIN attempts a ON a.execution_id = r.id AND a.number = r.number`,
      [ids, completions.map((completion) => completion.attempt)],
    );
    const fence = new Map(rows.filter((row) => row.number !== null).map((row) => [`${row.id}#${row.number}`, row]));
    // The batch may settle an execution twice (rare: a late report and its successor); the fence
    // sees the first one's effect, as two completeAttempt calls in a row would.
    const settledNow = new Set<string>();
    const applied = completions.map((completion) => {
      const row = fence.get(`${completion.executionId}#${completion.attempt}`);
      if (!row || row.latest === null) throw attemptNotFound(completion);
      const current = !settledNow.has(completion.executionId) && isCurrentAttempt({ number: completion.attempt, status: row.attempt_status as 'running' }, row.latest, { status: row.execution_status as 'running' });
      if (current) settledNow.add(completion.executionId);
      return current;
    });
    await storeLateReports(client, completions.filter((_, index) => !applied[index]));
    const appliedOnes = completions.filter((_, index) => applied[index]);
    if (appliedOnes.length === 0) return applied;
    await settleAttemptRows(client, appliedOnes);
    const byId = new Map(rows.map((row) => [row.id, row]));
    await finishExecutions(client, appliedOnes.filter((completion) => completion.settlement.next === 'finish'));
    await requeueOrCancel(client, appliedOnes.filter((completion) => completion.settlement.next === 'retry'), byId);
    // Slots of the function are free (and retries may be queued): other controllers may claim.
    await notifyWake(client, 'freed');
    return applied;
  }
}

async function storeLateReports(client: pg.PoolClient, late: AttemptCompletion[]): Promise<void> {
  const kept = late.flatMap((completion) => {
    const report = lateReportOf(completion);
    return report ? [{ completion, report }] : [];
  });
  if (kept.length === 0) return;
  await client.query(
    `UPDATE attempts a SET late_report = r.report FROM unnest($1::text[], $2::int[], $3::json[]) AS r (id, number, report)
     WHERE a.execution_id = r.id AND a.number = r.number`,
    [kept.map((k) => k.completion.executionId), kept.map((k) => k.completion.attempt), kept.map((k) => JSON.stringify(k.report))],
  );
}

async function settleAttemptRows(client: pg.PoolClient, applied: AttemptCompletion[]): Promise<void> {
  await client.query(
    `UPDATE attempts a SET status = r.status, exit_code = r.exit_code, reason = r.reason, error = r.error, finished_at = r.finished_at, lease_expires_at = NULL
     FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[]) AS r (id, number, status, exit_code, reason, error, finished_at)
     WHERE a.execution_id = r.id AND a.number = r.number`,
    [
      applied.map((c) => c.executionId),
      applied.map((c) => c.attempt),
      applied.map((c) => c.status),
      applied.map((c) => c.exitCode),
      applied.map((c) => c.reason),
      applied.map((c) => c.error),
      applied.map((c) => isoTime(c.finishedAt)),
    ],
  );
}

async function finishExecutions(client: pg.PoolClient, finished: AttemptCompletion[]): Promise<void> {
  if (finished.length === 0) return;
  const settlementOf = (c: AttemptCompletion) => c.settlement as Extract<AttemptCompletion['settlement'], { next: 'finish' }>;
  await client.query(
    `UPDATE executions e SET status = r.status, result = r.result, error = r.error, finished_at = r.finished_at, not_before = NULL, notified = r.notified
     FROM unnest($1::text[], $2::text[], $3::json[], $4::text[], $5::timestamptz[], $6::bool[]) AS r (id, status, result, error, finished_at, notified)
     WHERE e.id = r.id`,
    [
      finished.map((c) => c.executionId),
      finished.map((c) => settlementOf(c).status),
      finished.map((c) => storedResult(c)),
      finished.map((c) => c.error),
      finished.map((c) => isoTime(c.finishedAt)),
      finished.map((c) => settlementOf(c).notified === true),
    ],
  );
}

/**
 * Retries go back to the queue while their function lives; a deleted function's retry could
 * never be claimed, so it ends as its queued peers ended. FOR KEY SHARE on the function rows, as
 * completeAttempt takes it, orders this against a delete.
 */
async function requeueOrCancel(client: pg.PoolClient, retried: AttemptCompletion[], executions: Map<string, FenceRow>): Promise<void> {
  if (retried.length === 0) return;
  const functionsOf = retried.map((c) => executions.get(c.executionId)!);
  const { rows: live } = await client.query<{ namespace: string; name: string }>(
    `SELECT namespace, name FROM functions f WHERE (namespace, name) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT deleted FOR KEY SHARE`,
    [functionsOf.map((row) => row.namespace), functionsOf.map((row) => row.function)],
  );
  const liveKeys = new Set(live.map((row) => `${row.namespace}/${row.name}`));
  const isLive = (c: AttemptCompletion) => {
    const row = executions.get(c.executionId)!;
    return liveKeys.has(`${row.namespace}/${row.function}`);
  };
  const requeued = retried.filter(isLive);
  if (requeued.length > 0) {
    await client.query(
      `UPDATE executions e SET status = 'queued', not_before = r.not_before FROM unnest($1::text[], $2::timestamptz[]) AS r (id, not_before) WHERE e.id = r.id`,
      [requeued.map((c) => c.executionId), requeued.map((c) => isoTime((c.settlement as { notBefore: string }).notBefore))],
    );
  }
  for (const c of retried.filter((completion) => !isLive(completion))) {
    const row = executions.get(c.executionId)!;
    await client.query(`UPDATE executions SET status = 'cancelled', error = $1, finished_at = $2 WHERE id = $3`, [
      deletedFunctionError(row.namespace, row.function),
      isoTime(c.finishedAt),
      c.executionId,
    ]);
  }
}
