import type { FunctionVersion } from '../../domain/function-spec.js';
import type { ClaimedAttempt, FunctionClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { startAttempts } from './claim-executions.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import { readExecutions } from './rows.js';
import { keyedPicks, rateAllowanceNow, recordRateStarts, type ClaimControls } from './claim-controls.js';

/**
 * The warm replicas' claim: up to `limit` ready executions of one function, best first, within its
 * parallelism. One write transaction, as the general claim, so two controllers sharing the file
 * never both take the function's last slot; but no walk over the other functions' heads, since a
 * replica can only run its own function's executions. The batch is found with one seek into
 * executions_ready and started and read back with four statements, whatever its size (plus one per
 * version met), where a claim of one at a time costs 6 per execution.
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
    const ready =
      fn.concurrency_limit !== null
        ? keyedPicks(db, namespace, name, fn.concurrency_limit, take, now).map((pick) => ({ seq: pick.sequence }))
        : (sql(
            db,
            `SELECT seq FROM executions INDEXED BY executions_ready
             WHERE namespace = ? AND function = ? AND status = 'queued' AND (not_before IS NULL OR not_before <= ?)
             ORDER BY priority DESC, seq LIMIT ?`,
          ).all(namespace, name, now, take) as { seq: number }[]);
    if (ready.length === 0) return [];
    recordRateStarts(db, namespace, name, fn, ready.length, now);
    const started = startAttempts(db, ready.map((row) => row.seq), options.owner, now, leaseExpiresAt);
    const executions = readExecutions(db, started.map((start) => start.row));
    const versions = new Map<number, FunctionVersion>();
    return started.map(({ attempt }, index) => {
      const execution = executions[index];
      if (!versions.has(execution.version)) versions.set(execution.version, selectFunctionVersion(db, namespace, name, execution.version)!);
      return { execution, attempt, function: versions.get(execution.version)!, leaseExpiresAt };
    });
  });
}
