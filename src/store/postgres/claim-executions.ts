import { compareQueuePositions, mergeQueues, type QueuePosition } from '../../domain/priority.js';
import type pg from 'pg';
import type { AttemptCompletion, ClaimedAttempt, ClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { prepared, transaction, type Pool } from './connection.js';
import { executeSql, type SessionStatement } from './session-statements.js';
import { endDeferred, endingSql, fenceAttemptsSql, lockExecutionsSql, settleAttemptsLocking, type DeferredEnding, type LockedFunction, type Settled } from './complete-attempts.js';
import { startChosen, startPicked } from './start-attempts.js';
import { isPlain, keyedPicks, rateAllowances, recordRateStarts, type ControlledFunction } from './claim-controls.js';

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
 * seq); the candidates are merged by priority then age. The cost is a seek per function plus the
 * rows taken, independent of the backlog's length. When every locked function is plain (no rate
 * limit, no keys), the count, the seek, the merge and the start that reads the claimed executions
 * back with their versions are one statement (startPlainPicks), so a claim is two statements
 * whatever its limit, the lock and that one; otherwise four: lock, count, candidates (merged in
 * memory), start.
 *
 * Session 20, the cold path on PostgreSQL (a cold burn-down of 3,000 `true` executions, two
 * alternating pairs against the build before): the settlement's fence went into the opening
 * message and the count, pick and start into one statement, so a cold batch (settle and claim) is
 * three round trips instead of six. PostgreSQL's CPU per execution 627-644 → 526-540 µs, the
 * server's main thread 703-727 → 567-580 µs, all CPU 4,073-4,233 → 3,720-3,777 µs, and 405-417 →
 * 450-452 executions/s.
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
 * The functions with free slots among those locked, once the settlement (if any) is fenced. The
 * count is a statement of its own, so a new snapshot: it sees every claim that committed while we
 * waited for the locks. A settlement that only finishes executions (`ending`) is ended by that
 * same statement, whose snapshot still counts them running: they are subtracted. Its slots are
 * free for this claim.
 */
async function freeSlots(
  client: pg.PoolClient,
  now: string,
  locked: LockedFunction[],
  ending: DeferredEnding | undefined,
): Promise<(ControlledFunction & { free: number })[]> {
  if (locked.length === 0) {
    await endDeferred(client, ending);
    return [];
  }
  const end = ending ? endingSql(ending.applied, 4) : undefined;
  const { rows: running } = await client.query<{ namespace: string; name: string; running: number }>(
    prepared(
      `WITH ${end ? `${end.sql}, ` : ''}f AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) AS f (namespace, name, leaving))
       SELECT f.namespace, f.name, (
         SELECT COUNT(*) FROM executions e WHERE e.namespace = f.namespace AND e.function = f.name AND e.status = 'running'
       ) - f.leaving AS running
       FROM f`,
      [locked.map((fn) => fn.namespace), locked.map((fn) => fn.name), locked.map((fn) => leavingOf(ending, fn)), ...(end?.values ?? [])],
    ),
  );
  const runningOf = new Map(running.map((row) => [`${row.namespace}/${row.name}`, row.running]));
  const allowances = await rateAllowances(client, locked, now);
  return locked
    .map((fn) => {
      const key = `${fn.namespace}/${fn.name}`;
      return { ...fn, free: Math.min(fn.parallelism - (runningOf.get(key) ?? 0), allowances.get(key) ?? Number.POSITIVE_INFINITY) };
    })
    .filter((fn) => fn.free > 0);
}

/** How many of `fn`'s executions the deferred end takes out of running. */
function leavingOf(ending: DeferredEnding | undefined, fn: { namespace: string; name: string }): number {
  return ending?.leaving.get(`${fn.namespace}/${fn.name}`) ?? 0;
}

/**
 * The claim when every locked function is plain (no rate limit, no concurrency keys), the usual
 * case, and a warm replica's claim of its one function (claim-function-executions.ts), whose
 * rate limit, if any, is already in `limit`: each function's running count, its best ready
 * executions up to its free slots, the merge by priority then age up to `limit`, the start, and
 * the settlement's deferred end, all in one statement after the locks (start-attempts.ts), so a
 * new snapshot that sees every claim committed while this one waited. That snapshot still counts
 * the executions the end finishes as running: `leaving` of them are subtracted. Rows a function's
 * seek locked beyond what the merge keeps stay queued, as the candidates of the general path do.
 */
export function startPlainPicks(
  client: pg.PoolClient,
  options: Pick<ClaimOptions, 'owner' | 'limit'>,
  locked: LockedFunction[],
  now: string,
  leaseExpiresAt: string,
  ending?: DeferredEnding,
): Promise<ClaimedAttempt[]> {
  return startPicked(
    client,
    {
      sql: `SELECT c.seq FROM unnest($4::text[], $5::text[], $6::int[], $7::int[]) AS f (namespace, name, parallelism, leaving)
            CROSS JOIN LATERAL (
              SELECT seq, priority FROM executions
              WHERE namespace = f.namespace AND function = f.name AND status = 'queued' AND (not_before IS NULL OR not_before <= $1)
              ORDER BY priority DESC, seq
              LIMIT GREATEST(0, LEAST($8::int, f.parallelism - (
                (SELECT COUNT(*) FROM executions r WHERE r.namespace = f.namespace AND r.function = f.name AND r.status = 'running') - f.leaving)))
              FOR UPDATE SKIP LOCKED
            ) c
            ORDER BY c.priority DESC, c.seq
            LIMIT $8::int`,
      values: [
        locked.map((fn) => fn.namespace),
        locked.map((fn) => fn.name),
        locked.map((fn) => fn.parallelism),
        locked.map((fn) => leavingOf(ending, fn)),
        options.limit,
      ],
    },
    options.owner,
    now,
    leaseExpiresAt,
    ending,
  );
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
 * BEGIN goes with the locks and the settlement's fence in one message; when every locked function
 * is plain, the count, the pick, the start and the settlement's end are one statement more, then
 * COMMIT: three round trips, settlement or not (six with a settlement before, five without).
 */
export async function claimExecutions(pool: Pool, options: ClaimOptions, settlement: AttemptCompletion[] = []): Promise<{ claimed: ClaimedAttempt[]; settled: Settled[] }> {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0 && settlement.length === 0) return { claimed: [], settled: [] };
  const except = options.except ?? [];
  const opening = (client: pg.PoolClient) =>
    [
      executeSql(client, lockFunctions, [now, except.map((fn) => fn.namespace), except.map((fn) => fn.name)]),
      ...(settlement.length > 0 ? [lockExecutionsSql(client, settlement.map((c) => c.executionId)), fenceAttemptsSql(client, settlement)] : []),
    ].join('; ');
  return transaction(
    pool,
    async (client, [lockedFunctions, lockedExecutions, fenced]) => {
      const locked = lockedFunctions.rows as LockedFunction[];
      const { settled, ending } = await settleAttemptsLocking(client, settlement, { alreadyLocked: lockedExecutions, alreadyFenced: fenced, deferEnd: true });
      if (options.limit > 0 && locked.length > 0 && locked.every(isPlain)) {
        return { claimed: await startPlainPicks(client, options, locked, now, leaseExpiresAt, ending), settled };
      }
      const functions = await freeSlots(client, now, locked, ending);
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
