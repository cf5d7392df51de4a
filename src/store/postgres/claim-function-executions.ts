import type pg from 'pg';
import type { ClaimedAttempt, FunctionClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { transaction, type Pool } from './connection.js';
import { startChosen, startPicked } from './start-attempts.js';
import { keyedPicks, rateAllowances, recordRateStarts } from './claim-controls.js';
import type { LockedFunction } from './complete-attempts.js';

/**
 * The warm replicas' claim: up to `limit` ready executions of one function, best first, within
 * its parallelism across controllers. The function's row is locked FOR NO KEY UPDATE as the
 * general claim locks it (claim-executions.ts explains why), so the two kinds of claim of one
 * function serialize; the running count, the pick and the start then run in one statement after
 * the lock, with a fresh snapshot (start-attempts.ts). Four round
 * trips with BEGIN and COMMIT, whatever the batch's size; a warm batch that also settles takes
 * the function's lock in its fence statement (settleAttemptsLocking) and its execution locks with
 * BEGIN: five in all, settlement included (ten before).
 */
export async function claimFunctionExecutions(pool: Pool, options: FunctionClaimOptions): Promise<ClaimedAttempt[]> {
  if (options.limit <= 0) return [];
  return transaction(pool, (client) => claimFunctionExecutionsIn(client, options));
}

/** claimFunctionExecutions's work, inside a transaction the caller holds. */
export async function claimFunctionExecutionsIn(client: pg.PoolClient, options: FunctionClaimOptions, alreadyLocked?: LockedFunction | null): Promise<ClaimedAttempt[]> {
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  if (options.limit <= 0) return [];
  const { namespace, name } = options.function;
  {
    // `alreadyLocked`: the caller took this lock in its settlement's fence (settleAttemptsLocking).
    const fn =
      alreadyLocked !== undefined
        ? alreadyLocked
        : (
            await client.query<LockedFunction>(
              'SELECT namespace, name, parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions WHERE namespace = $1 AND name = $2 AND NOT deleted FOR NO KEY UPDATE',
              [namespace, name],
            )
          ).rows[0] ?? null;
    if (fn === null) return [];
    // Plain functions keep the one-statement pick; rate limits and keys count first (claim-controls.ts).
    const controlled = fn.rate_limit !== null || fn.concurrency_limit !== null;
    const allowance = controlled ? ((await rateAllowances(client, [fn], now)).get(`${namespace}/${name}`) ?? options.limit) : options.limit;
    const limit = Math.min(options.limit, allowance);
    if (limit <= 0) return [];
    if (fn.concurrency_limit !== null) {
      const { rows } = await client.query<{ running: number }>(`SELECT COUNT(*)::int AS running FROM executions WHERE namespace = $1 AND function = $2 AND status = 'running'`, [namespace, name]);
      const picked = await keyedPicks(client, namespace, name, fn.concurrency_limit, Math.min(limit, fn.parallelism - rows[0].running), now);
      if (picked.length === 0) return [];
      await recordRateStarts(client, [{ ...fn, count: picked.length }], now);
      return startChosen(client, picked.map((pick) => pick.sequence), options.owner, now, leaseExpiresAt);
    }
    // The pick, the running count that bounds it, and the start: one statement (start-attempts.ts).
    const claimed = await startPicked(
      client,
      {
        sql: `SELECT seq FROM executions
              WHERE namespace = $4 AND function = $5 AND status = 'queued' AND (not_before IS NULL OR not_before <= $1)
              ORDER BY priority DESC, seq
              LIMIT GREATEST(0, LEAST($6::int, $7::int - (SELECT COUNT(*) FROM executions WHERE namespace = $4 AND function = $5 AND status = 'running')))
              FOR UPDATE SKIP LOCKED`,
        values: [namespace, name, limit, fn.parallelism],
      },
      options.owner,
      now,
      leaseExpiresAt,
    );
    if (controlled && claimed.length > 0) await recordRateStarts(client, [{ ...fn, count: claimed.length }], now);
    return claimed;
  }
}
