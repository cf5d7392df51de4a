import type { FunctionVersion } from '../../domain/function-spec.js';
import type { ClaimedAttempt, FunctionClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { readyHead, startAttempt } from './claim-executions.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import { readExecution } from './rows.js';

/**
 * The warm replicas' claim: up to `limit` ready executions of one function, best first, within its
 * parallelism. One write transaction, as the general claim, so two controllers sharing the file
 * never both take the function's last slot; but no walk over the other functions' heads, since a
 * replica can only run its own function's executions.
 */
export function claimFunctionExecutions(db: Db, options: FunctionClaimOptions): ClaimedAttempt[] {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0) return [];
  const { namespace, name } = options.function;
  return writeTransaction(db, () => {
    const fn = sql(db, 'SELECT parallelism FROM functions WHERE namespace = ? AND name = ? AND deleted = 0').get(namespace, name) as { parallelism: number } | undefined;
    if (!fn) return [];
    const { running } = sql(db, `SELECT COUNT(*) AS running FROM executions WHERE namespace = ? AND function = ? AND status = 'running'`).get(namespace, name) as {
      running: number;
    };
    let free = Math.min(fn.parallelism - running, options.limit);
    const versions = new Map<number, FunctionVersion>();
    const claimed: ClaimedAttempt[] = [];
    while (free > 0) {
      const head = readyHead(db, namespace, name, now);
      if (!head) break;
      const started = startAttempt(db, head.sequence, options.owner, now, leaseExpiresAt);
      const execution = readExecution(db, started.id)!;
      if (!versions.has(execution.version)) versions.set(execution.version, selectFunctionVersion(db, namespace, name, execution.version)!);
      claimed.push({ execution, attempt: started.attempt, function: versions.get(execution.version)!, leaseExpiresAt });
      free -= 1;
    }
    return claimed;
  });
}
