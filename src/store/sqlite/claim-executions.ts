import { compareQueuePositions, type QueuePosition } from '../../domain/priority.js';
import type { FunctionVersion } from '../../domain/function-spec.js';
import type { ClaimedAttempt, ClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import { readExecution, type ExecutionRow } from './rows.js';
import { keyedPicks, rateAllowanceNow, recordRateStarts, type ClaimControls } from './claim-controls.js';

/*
 * Why heads per function.
 *
 * The claim must honour priority-then-age across all functions and parallelism per function.
 * One query over the whole queue ("best queued rows whose function has a free slot") has to
 * walk past every queued execution of a function that is at its parallelism before it finds
 * one it may take, so it slows down as the backlog of a busy function grows. Here the claim
 * instead asks each live function with a free slot for its single best ready execution: one
 * seek into the partial index executions_ready (namespace, function, priority DESC, seq) per
 * function, which costs the same with 10 or 10 million rows queued. The best of these heads is
 * taken, only that function's head is looked up again, and so on up to `limit`: functions +
 * limit index seeks and an in-memory pick among at most `functions` heads, independent of the
 * queue's length. Running counts come from the partial index executions_running, so they are
 * exact across every controller sharing the file, and the whole claim runs in one write
 * transaction, so two controllers never both take the last slot of a function.
 *
 * The one walk left is over a function's retries still waiting out their backoff, which sit
 * in the index ahead of younger ready rows and are skipped there (from the index alone: it
 * carries not_before); they are few next to the backlog, being only executions that already ran
 * and failed within one backoff period.
 *
 * Measured with bench/store-claim.ts (4 functions, one of priority 5 held at parallelism 4 with
 * a quarter of the backlog; queue kept at N; 2-core shared VM, SQLite 3.53, synchronous=NORMAL;
 * median per call, including the write):
 *   queued    limit 1                                limit 10
 *   1,000     0.14-0.16 ms (~4,400-4,800 claims/s)   0.54-0.68 ms (~11,500-14,200 claims/s)
 *   200,000   0.14-0.18 ms (~3,900-4,300 claims/s)   0.67-0.79 ms (~9,400-10,200 claims/s)
 * The single-query alternative, over a global partial index (priority DESC, seq) with the
 * running count as a subquery, measured on the same data: 0.26 ms just to find one head at
 * 1,000 queued, 61 ms at 200,000, as it walks the saturated function's 50,000 rows every call.
 *
 * Rate limits and concurrency keys (claim-controls.ts) narrow a function's free slots and, for a
 * keyed function, replace its head lookups with one ranked pick; a function with neither pays
 * nothing for them (no query: its controls are null on the row already read).
 */

interface Head extends QueuePosition {
  namespace: string;
  function: string;
  /** Slots the function has left in this claim: parallelism, and rate limit allowance. */
  free: number;
  controls: ClaimControls;
  /** A function with a concurrency key: its picks after this head, in order (keyedPicks). */
  pending?: QueuePosition[];
  /** Attempts this claim started of the function, for its rate limit. */
  started: number;
}

/** Queued executions of one function that are ready, best first; LIMIT 1 makes it its head. */
export function readyHead(db: Db, namespace: string, fn: string, now: string): QueuePosition | undefined {
  // INDEXED BY turns a plan regression (a scan of the queue) into an error instead of a slowdown.
  const row = sql(
    db,
    `SELECT seq, priority FROM executions INDEXED BY executions_ready
     WHERE namespace = ? AND function = ? AND status = 'queued' AND (not_before IS NULL OR not_before <= ?)
     ORDER BY priority DESC, seq LIMIT 1`,
  ).get(namespace, fn, now) as { seq: number; priority: number } | undefined;
  return row && { sequence: row.seq, priority: row.priority };
}

/** The head of every live function that has a free slot, within its parallelism and rate limit (`limit`: this claim's size). */
function functionHeads(db: Db, now: string, except: ReadonlySet<string>, limit: number): Head[] {
  const running = new Map<string, number>();
  const counts = sql(
    db,
    `SELECT namespace, function, COUNT(*) AS running FROM executions WHERE status = 'running' GROUP BY namespace, function`,
  ).all() as { namespace: string; function: string; running: number }[];
  for (const count of counts) running.set(`${count.namespace}/${count.function}`, count.running);

  const functions = sql(db, 'SELECT namespace, name, parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions WHERE deleted = 0').all() as (ClaimControls & {
    namespace: string;
    name: string;
    parallelism: number;
  })[];
  const heads: Head[] = [];
  for (const fn of functions) {
    if (except.has(`${fn.namespace}/${fn.name}`)) continue;
    const free = Math.min(fn.parallelism - (running.get(`${fn.namespace}/${fn.name}`) ?? 0), rateAllowanceNow(db, fn.namespace, fn.name, fn, now));
    if (free <= 0) continue;
    const base = { namespace: fn.namespace, function: fn.name, free, controls: fn, started: 0 };
    if (fn.concurrency_limit !== null) {
      const [head, ...pending] = keyedPicks(db, fn.namespace, fn.name, fn.concurrency_limit, Math.min(free, limit), now);
      if (head) heads.push({ ...head, ...base, pending });
      continue;
    }
    const head = readyHead(db, fn.namespace, fn.name, now);
    if (head) heads.push({ ...head, ...base });
  }
  return heads;
}

/** Index of the head that goes first: highest priority, then oldest. */
function bestHead(heads: Head[]): number {
  let best = 0;
  for (let index = 1; index < heads.length; index++) {
    if (compareQueuePositions(heads[index], heads[best]) < 0) best = index;
  }
  return best;
}

/** Moves one queued execution to running and opens its next attempt with a lease. */
export function startAttempt(db: Db, seq: number, owner: string, now: string, leaseExpiresAt: string): { id: string; attempt: number } {
  const row = sql(
    db,
    `UPDATE executions SET status = 'running', started_at = COALESCE(started_at, ?), not_before = NULL
     WHERE seq = ? RETURNING id`,
  ).get(now, seq) as Pick<ExecutionRow, 'id'>;
  const { next } = sql(db, 'SELECT COALESCE(MAX(number), 0) + 1 AS next FROM attempts WHERE execution_id = ?').get(row.id) as { next: number };
  sql(
    db,
    `INSERT INTO attempts (execution_id, number, status, started_at, owner, lease_expires_at)
     VALUES (?, ?, 'running', ?, ?, ?)`,
  ).run(row.id, next, now, owner, leaseExpiresAt);
  return { id: row.id, attempt: next };
}

/**
 * startAttempt for a batch, in two statements whatever its size (a replica's claim): the rows,
 * now running, in the order of `seqs`, with the number of the attempt each one opened.
 */
export function startAttempts(db: Db, seqs: number[], owner: string, now: string, leaseExpiresAt: string): { row: ExecutionRow; attempt: number }[] {
  const rows = sql(
    db,
    `UPDATE executions SET status = 'running', started_at = COALESCE(started_at, ?), not_before = NULL
     WHERE seq IN (SELECT value FROM json_each(?)) RETURNING *`,
  ).all(now, JSON.stringify(seqs)) as ExecutionRow[];
  const opened = sql(
    db,
    `INSERT INTO attempts (execution_id, number, status, started_at, owner, lease_expires_at)
     SELECT ids.value, COALESCE((SELECT MAX(number) FROM attempts WHERE execution_id = ids.value), 0) + 1, 'running', ?, ?, ?
     FROM json_each(?) AS ids RETURNING execution_id, number`,
  ).all(now, owner, leaseExpiresAt, JSON.stringify(rows.map((row) => row.id))) as { execution_id: string; number: number }[];
  const attempts = new Map(opened.map((attempt) => [attempt.execution_id, attempt.number]));
  const bySeq = new Map(rows.map((row) => [row.seq, row]));
  return seqs.map((seq) => {
    const row = bySeq.get(seq)!;
    return { row, attempt: attempts.get(row.id)! };
  });
}

/** Moves up to `limit` ready executions to running, best first, within each function's parallelism. */
export function claimExecutions(db: Db, options: ClaimOptions): ClaimedAttempt[] {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0) return [];
  return writeTransaction(db, () => {
    const heads = functionHeads(db, now, new Set((options.except ?? []).map((fn) => `${fn.namespace}/${fn.name}`)), options.limit);
    const limited: Head[] = [];
    const versions = new Map<string, FunctionVersion>();
    const claimed: ClaimedAttempt[] = [];
    while (claimed.length < options.limit && heads.length > 0) {
      const index = bestHead(heads);
      const head = heads[index];
      const started = startAttempt(db, head.sequence, options.owner, now, leaseExpiresAt);
      const execution = readExecution(db, started.id)!;
      const versionKey = `${execution.namespace}/${execution.function}/${execution.version}`;
      if (!versions.has(versionKey)) {
        versions.set(versionKey, selectFunctionVersion(db, execution.namespace, execution.function, execution.version)!);
      }
      claimed.push({ execution, attempt: started.attempt, function: versions.get(versionKey)!, leaseExpiresAt });

      head.free -= 1;
      head.started += 1;
      if (head.started === 1 && head.controls.rate_limit !== null) limited.push(head);
      const next = head.free <= 0 ? undefined : head.pending ? head.pending.shift() : readyHead(db, head.namespace, head.function, now);
      if (next) heads[index] = Object.assign(head, next);
      else heads.splice(index, 1);
    }
    for (const head of limited) recordRateStarts(db, head.namespace, head.function, head.controls, head.started, now);
    return claimed;
  });
}
