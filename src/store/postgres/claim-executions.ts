import { compareQueuePositions, mergeQueues, type QueuePosition } from '../../domain/priority.js';
import type pg from 'pg';
import type { AttemptCompletion, ClaimedAttempt, ClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { prepared, transaction, type Pool } from './connection.js';
import { executeSql, type SessionStatement } from './session-statements.js';
import { endDeferred, endingSql, lockExecutionsSql, settleAttemptsLocking, type Settled } from './complete-attempts.js';
import { startChosen } from './start-attempts.js';
import { keyedPicks, rateAllowances, recordRateStarts, type ControlledFunction } from './claim-controls.js';

/*
 * How several controllers claim from one queue.
 *
 * Parallelism is a count over every controller, so counting a function's running executions and
 * taking more of them must not interleave between two controllers. Each claim therefore locks
 * the `functions` rows of the functions that have ready work, FOR NO KEY UPDATE and in one fixed
 * order (namespace, name), which makes claims of the same function queue up behind each other
 * for the few milliseconds a claim takes, and never deadlock. Enqueues take FOR KEY SHARE, which
 * does not conflict, so producers never wait for dispatchers. Under the lock, READ COMMITTED gives
 * every later statement a fresh snapshot, so the running count includes what the previous holder
 * just committed.
 *
 * The executions themselves are then read per function, best first, with FOR UPDATE SKIP LOCKED:
 * claims of one function are already serialized by the function's lock, so SKIP LOCKED only
 * steps over rows that a cancel or a settlement is changing at that moment (instead of waiting
 * for it, or worse, re-checking a row that just stopped being queued).
 *
 * Heads per function, as the SQLite store does (see ../sqlite/claim-executions.ts): one query
 * fetches, for every locked function, its best `min(free slots, limit)` ready executions through
 * a LATERAL seek into the partial index executions_ready (namespace, function, priority DESC,
 * seq); the candidates are merged in memory by priority then age. The cost is a seek per
 * function plus the rows taken, independent of the backlog's length, and a claim is four
 * statements whatever its limit: lock, count, candidates, and the start that reads the claimed
 * executions back with their versions (start-attempts.ts; it was three statements before issue 16).
 *
 * Measured with bench/pg-claim-probe.ts (4 functions, one of priority 5 held at parallelism 4
 * with a quarter of the backlog, as bench/store-claim.ts does for SQLite; queue kept at N;
 * PostgreSQL 15 on loopback, fsync off, 2-core shared VM; median per call, including the commit):
 *   queued    limit 1                    limit 10
 *   1,000     3.5 ms (~290 claims/s)     3.8 ms (~2,700 claims/s)
 *   200,000   3.3 ms (~300 claims/s)     4.1 ms (~2,400 claims/s)
 * Flat in the backlog; the cost is the round trips (about eight per claim with BEGIN/COMMIT), so
 * a controller claims in batches of its free capacity. The first version found "functions with
 * ready work" with EXISTS, which the planner ran as a hash semi-join over the whole queue:
 * 95 ms per claim at 200,000 queued; see lockFunctionsWithWork.
 *
 * Rate limits and concurrency keys (claim-controls.ts) are counted under the same function locks,
 * in the same transaction: the allowance narrows a function's free slots, and a keyed function's
 * executions are picked by key in turn instead of by the LATERAL seek. A claim that locked no
 * rate-limited or keyed function runs no statement for them.
 */

/** One ready execution that this claim may take. */
interface Candidate extends QueuePosition {
  namespace: string;
  function: string;
}

/**
 * Locks, in a fixed order, the live functions with ready work but those named in $2/$3
 * (namespaces, names). A scalar subquery with LIMIT 1, not EXISTS: the planner turns EXISTS into
 * a hash semi-join over every queued row (measured 100 ms at 200,000 queued), where this stays
 * one seek into executions_ready per function (0.1 ms); the ORDER BY, the index's own, keeps the
 * planner from walking the table instead when its statistics say most rows are queued.
 */
const lockFunctions: SessionStatement = {
  name: 'pontoon_lock_functions',
  parameterTypes: '(timestamptz, text[], text[])',
  text: `SELECT namespace, name, parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions f
     WHERE NOT deleted AND (namespace, name) NOT IN (SELECT * FROM unnest($2, $3)) AND (
       SELECT 1 FROM executions e
       WHERE e.namespace = f.namespace AND e.function = f.name AND e.status = 'queued' AND (e.not_before IS NULL OR e.not_before <= $1)
       ORDER BY e.priority DESC, e.seq
       LIMIT 1
     ) IS NOT NULL
     ORDER BY namespace COLLATE "C", name COLLATE "C"
     FOR NO KEY UPDATE`,
};

/**
 * With the functions with ready work locked (`locked`), settles `settlement` when there is one
 * (its executions locked after the functions, `lockedExecutions`: the order claims and a
 * function's delete follow), and returns the functions with free slots. The count is a statement
 * of its own, so a new snapshot: it sees every claim that committed while we waited for the
 * locks. A settlement that only finishes executions is ended by that same statement, whose
 * snapshot still counts them running: they are subtracted. Its slots are free for this claim.
 */
async function freeSlots(
  client: pg.PoolClient,
  now: string,
  locked: (ControlledFunction & { parallelism: number })[],
  settlement: AttemptCompletion[],
  lockedExecutions: pg.QueryResult | undefined,
): Promise<{ functions: (ControlledFunction & { free: number })[]; settled: Settled[] }> {
  const { settled, ending } = await settleAttemptsLocking(client, settlement, undefined, lockedExecutions, true);
  if (locked.length === 0) {
    await endDeferred(client, ending);
    return { functions: [], settled };
  }
  const end = ending ? endingSql(ending.applied, 4) : undefined;
  const { rows: running } = await client.query<{ namespace: string; name: string; running: number }>(
    prepared(
      `WITH ${end ? `${end.sql}, ` : ''}f AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) AS f (namespace, name, leaving))
       SELECT f.namespace, f.name, (
         SELECT COUNT(*) FROM executions e WHERE e.namespace = f.namespace AND e.function = f.name AND e.status = 'running'
       ) - f.leaving AS running
       FROM f`,
      [locked.map((fn) => fn.namespace), locked.map((fn) => fn.name), locked.map((fn) => ending?.leaving.get(`${fn.namespace}/${fn.name}`) ?? 0), ...(end?.values ?? [])],
    ),
  );
  const runningOf = new Map(running.map((row) => [`${row.namespace}/${row.name}`, row.running]));
  const allowances = await rateAllowances(client, locked, now);
  const functions = locked
    .map((fn) => {
      const key = `${fn.namespace}/${fn.name}`;
      return { ...fn, free: Math.min(fn.parallelism - (runningOf.get(key) ?? 0), allowances.get(key) ?? Number.POSITIVE_INFINITY) };
    })
    .filter((fn) => fn.free > 0);
  return { functions, settled };
}

/** The best ready executions of each function, at most `take` each, locked against cancels and settlements. */
async function candidates(client: pg.PoolClient, functions: { namespace: string; name: string; take: number }[], now: string): Promise<Candidate[]> {
  const { rows } = await client.query<{ seq: number; priority: number; namespace: string; function: string }>(
    prepared(
      `SELECT e.seq, e.priority, f.namespace, f.name AS function
       FROM unnest($1::text[], $2::text[], $3::int[]) AS f (namespace, name, take)
       CROSS JOIN LATERAL (
         SELECT seq, priority FROM executions
         WHERE namespace = f.namespace AND function = f.name AND status = 'queued' AND (not_before IS NULL OR not_before <= $4)
         ORDER BY priority DESC, seq
         LIMIT f.take
         FOR UPDATE SKIP LOCKED
       ) e`,
      [functions.map((fn) => fn.namespace), functions.map((fn) => fn.name), functions.map((fn) => fn.take), now],
    ),
  );
  return rows.map((row) => ({ sequence: row.seq, priority: row.priority, namespace: row.namespace, function: row.function }));
}

/**
 * Moves up to `limit` ready executions to running, best first, within each function's parallelism
 * across controllers, and first settles `settlement` in the same transaction once the function
 * locks are held: its execution locks come after the function locks, the order every claim and a
 * function's delete follow, and its slots are free for this claim (see settle-batcher.ts).
 * BEGIN goes with the locks in one message, and an end of attempts with the running count: a
 * claim that settles is six round trips with BEGIN and COMMIT (nine before), one without five.
 */
export async function claimExecutions(pool: Pool, options: ClaimOptions, settlement: AttemptCompletion[] = []): Promise<{ claimed: ClaimedAttempt[]; settled: Settled[] }> {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0 && settlement.length === 0) return { claimed: [], settled: [] };
  const except = options.except ?? [];
  const opening = (client: pg.PoolClient) =>
    [executeSql(client, lockFunctions, [now, except.map((fn) => fn.namespace), except.map((fn) => fn.name)]), ...(settlement.length > 0 ? [lockExecutionsSql(client, settlement.map((c) => c.executionId))] : [])].join('; ');
  return transaction(
    pool,
    async (client, [lockedFunctions, lockedExecutions]) => {
      const { functions, settled } = await freeSlots(client, now, lockedFunctions.rows, settlement, lockedExecutions);
      return { claimed: await claimFree(client, options, functions, now, leaseExpiresAt), settled };
    },
    opening,
    { genericPlans: true },
  );
}

/** The claim's picks and start, once the free slots of each locked function are known. */
async function claimFree(
  client: pg.PoolClient,
  options: ClaimOptions,
  functions: (ControlledFunction & { free: number })[],
  now: string,
  leaseExpiresAt: string,
): Promise<ClaimedAttempt[]> {
  if (options.limit <= 0) return [];
  if (functions.length === 0) return [];
  const plain = functions.filter((fn) => fn.concurrency_limit === null);
  const found = plain.length === 0 ? [] : await candidates(client, plain.map((fn) => ({ namespace: fn.namespace, name: fn.name, take: Math.min(fn.free, options.limit) })), now);
  const keyed: Candidate[][] = [];
  for (const fn of functions) {
    if (fn.concurrency_limit !== null) keyed.push(await keyedPicks(client, fn.namespace, fn.name, fn.concurrency_limit, Math.min(fn.free, options.limit), now));
  }
  // Each keyed function's picks keep their turns; the merge orders functions by priority, then age.
  const chosen = mergeQueues([found.sort(compareQueuePositions), ...keyed], options.limit);
  if (chosen.length === 0) return [];
  await recordRateStarts(
    client,
    functions.map((fn) => ({ ...fn, count: chosen.filter((candidate) => candidate.namespace === fn.namespace && candidate.function === fn.name).length })),
    now,
  );
  return startChosen(
    client,
    chosen.map((candidate) => candidate.sequence),
    options.owner,
    now,
    leaseExpiresAt,
  );
}
