import type { FunctionVersion } from '../../domain/function-spec.js';
import type { ClaimedAttempt, FunctionClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { startAttempts } from './claim-executions.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import type { Execution } from '../../domain/execution.js';
import { readExecutions, toExecution, type AttemptRow, type ExecutionRow } from './rows.js';
import { keyedPicks, rateAllowanceNow, recordRateStarts, type ClaimControls } from './claim-controls.js';
import { boundLimit } from './bound-limit.js';

/**
 * The warm replicas' claim: up to `limit` ready executions of one function, best first, within its
 * parallelism. One write transaction, as the general claim, so two controllers sharing the file
 * never both take the function's last slot; but no walk over the other functions' heads, since a
 * replica can only run its own function's executions. The batch is found with one seek into
 * executions_ready and started with two statements, whatever its size (plus one per version met, and
 * one to read the history of executions on a later attempt), where a claim of one at a time costs
 * 6 per execution.
 */
export function claimFunctionExecutions(db: Db, options: FunctionClaimOptions): ClaimedAttempt[] {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0) return [];
  const { namespace, name } = options.function;
  return writeTransaction(db, () => {
    const fn = sql(db, 'SELECT parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions WHERE namespace = ? AND name = ? AND deleted = 0').get(namespace, name) as
      | (ClaimControls & { parallelism: number })
      | undefined;
    if (!fn) return [];
    const { running } = sql(db, `SELECT COUNT(*) AS running FROM executions WHERE namespace = ? AND function = ? AND status = 'running'`).get(namespace, name) as {
      running: number;
    };
    const take = Math.min(fn.parallelism - running, options.limit, rateAllowanceNow(db, namespace, name, fn, now));
    if (take <= 0) return [];
    // INDEXED BY turns a plan regression (a scan of the queue) into an error instead of a slowdown.
    // boundLimit, not `LIMIT ?`: a bare LIMIT parameter made each claim compile the statement again (~3x its run).
    const ready =
      fn.concurrency_limit !== null
        ? keyedPicks(db, namespace, name, fn.concurrency_limit, take, now).map((pick) => ({ seq: pick.sequence }))
        : (sql(
            db,
            `SELECT seq FROM executions INDEXED BY executions_ready
             WHERE namespace = ? AND function = ? AND status = 'queued' AND (not_before IS NULL OR not_before <= ?)
             ORDER BY priority DESC, seq ${boundLimit}`,
          ).all(namespace, name, now, take) as { seq: number }[]);
    if (ready.length === 0) return [];
    recordRateStarts(db, namespace, name, fn, ready.length, now);
    const started = startAttempts(db, ready.map((row) => row.seq), options.owner, now, leaseExpiresAt);
    const executions = claimedExecutions(db, started, options.owner, now, leaseExpiresAt);
    const versions = new Map<number, FunctionVersion>();
    return started.map(({ attempt }, index) => {
      const execution = executions[index];
      if (!versions.has(execution.version)) versions.set(execution.version, selectFunctionVersion(db, namespace, name, execution.version)!);
      return { execution, attempt, function: versions.get(execution.version)!, leaseExpiresAt };
    });
  });
}

/**
 * The executions a batch just started, with their attempts. A first attempt is the execution's
 * only one and is exactly what startAttempts inserted, so it is made here rather than read back:
 * most claims are of first attempts, and reading their attempt rows again was a statement and a
 * row per execution. Executions on a later attempt read their history in one query.
 */
function claimedExecutions(db: Db, started: { row: ExecutionRow; attempt: number }[], owner: string, now: string, leaseExpiresAt: string): Execution[] {
  const retried = readExecutions(db, started.filter((start) => start.attempt > 1).map((start) => start.row));
  const withHistory = new Map(retried.map((execution) => [execution.id, execution]));
  return started.map(({ row, attempt }) => withHistory.get(row.id) ?? toExecution(row, [openedAttempt(row.id, attempt, owner, now, leaseExpiresAt)]));
}

/** The attempt row startAttempts inserts. */
function openedAttempt(executionId: string, number: number, owner: string, now: string, leaseExpiresAt: string): AttemptRow {
  return {
    execution_id: executionId,
    number,
    status: 'running',
    exit_code: null,
    reason: null,
    error: null,
    started_at: now,
    finished_at: null,
    owner,
    lease_expires_at: leaseExpiresAt,
    late_report: null,
  };
}
