import type pg from 'pg';
import type { ClaimedAttempt, FunctionClaimOptions } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { prepared, transaction, type Pool } from './connection.js';
import { startChosen } from './start-attempts.js';
import { startPlainPicks } from './claim-executions.js';
import { isPlain, keyedPicks, rateAllowances, recordRateStarts } from './claim-controls.js';
import { endDeferred, type DeferredEnding, type LockedFunction } from './complete-attempts.js';

/**
 * The warm replicas' claim: up to `limit` ready executions of one function, best first, within
 * its parallelism across controllers. The function's row is locked FOR NO KEY UPDATE as the
 * general claim locks it (claim-executions.ts explains why), so the two kinds of claim of one
 * function serialize; the running count, the pick and the start then run in one statement after
 * the lock, with a fresh snapshot (start-attempts.ts). Four round trips with BEGIN and COMMIT,
 * whatever the batch's size; a warm batch that also settles sends its execution locks and its
 * fence, which takes the function's lock too (settleAttemptsLocking), with BEGIN, and ends its
 * attempts in the start statement: three in all, settlement included (ten in session 14, five
 * before the end went into the start statement, four before the fence went with BEGIN).
 */
export async function claimFunctionExecutions(pool: Pool, options: FunctionClaimOptions): Promise<ClaimedAttempt[]> {
  if (options.limit <= 0) return [];
  return transaction(pool, (client) => claimFunctionExecutionsIn(client, options), undefined, { genericPlans: true });
}

/**
 * claimFunctionExecutions's work, inside a transaction the caller holds. `ending`, the caller's
 * deferred settlement (settleAttemptsLocking), is done before the claim counts running
 * executions, so the slots it frees are free for this claim: inside the start statement of a
 * plain function's claim (one round trip fewer), and otherwise as a statement of its own first.
 */
export async function claimFunctionExecutionsIn(
  client: pg.PoolClient,
  options: FunctionClaimOptions,
  alreadyLocked?: LockedFunction | null,
  ending?: DeferredEnding,
): Promise<ClaimedAttempt[]> {
  const fn = options.limit > 0 ? await lockFunction(client, options, alreadyLocked) : null;
  // Plain functions keep the one-statement pick; rate limits and keys count first (claim-controls.ts).
  const plain = fn !== null && isPlain(fn);
  // The one place the deferred end is decided: folded into the plain start, or sent now.
  if (!plain) await endDeferred(client, ending);
  if (fn === null) return [];
  const now = isoTime(options.now);
  const leaseExpiresAt = isoAfter(now, options.leaseMs);
  const { namespace, name } = options.function;
  if (plain) return startPlainPicks(client, options, [fn], now, leaseExpiresAt, ending);
  const allowance = (await rateAllowances(client, [fn], now)).get(`${namespace}/${name}`) ?? options.limit;
  const limit = Math.min(options.limit, allowance);
  if (limit <= 0) return [];
  if (fn.concurrency_limit !== null) {
    const { rows } = await client.query<{ running: number }>(`SELECT COUNT(*)::int AS running FROM executions WHERE namespace = $1 AND function = $2 AND status = 'running'`, [namespace, name]);
    const picked = await keyedPicks(client, namespace, name, fn.concurrency_limit, Math.min(limit, fn.parallelism - rows[0].running), now);
    if (picked.length === 0) return [];
    await recordRateStarts(client, [{ ...fn, count: picked.length }], now);
    return startChosen(client, picked.map((pick) => pick.sequence), options.owner, now, leaseExpiresAt);
  }
  const claimed = await startPlainPicks(client, { ...options, limit }, [fn], now, leaseExpiresAt);
  if (claimed.length > 0) await recordRateStarts(client, [{ ...fn, count: claimed.length }], now);
  return claimed;
}

/**
 * Whether a warm batch may read its function's row FOR KEY SHARE in its fence, and not lock it
 * for the claim: when it asks for no more executions than it reports ended. Such a batch (a swap)
 * never raises the function's running count, so it cannot take parallelism past its limit
 * whatever runs beside it: a claim under the lock counts the executions the swap ends as still
 * running (its snapshot does not see that end), and two swaps each only replace what they ended.
 * A delete (FOR UPDATE) still waits for the shared read; claims and other swaps do not, so the
 * replicas of one function settle and refill side by side instead of queueing for the row
 * through three round trips and a commit each. The start statement still caps the pick at
 * parallelism, so a lowered limit holds.
 */
export function mayReadShared(asked: number, reported: number): boolean {
  return asked > 0 && asked <= reported;
}

/**
 * Whether a batch that read its function shared is a swap after its fence: `ended` of its reports
 * took an execution of the function out of running (a report that missed the fence ended none),
 * and no rate limit or concurrency key needs its starts counted under the lock. Otherwise it
 * claims under the lock, as any claim does.
 */
export function isSwap(fn: LockedFunction, asked: number, ended: number): boolean {
  return isPlain(fn) && ended >= asked;
}

/** The function's row, locked; `alreadyLocked` when the caller took the lock in its settlement's fence (settleAttemptsLocking). */
async function lockFunction(client: pg.PoolClient, options: FunctionClaimOptions, alreadyLocked: LockedFunction | null | undefined): Promise<LockedFunction | null> {
  if (alreadyLocked !== undefined) return alreadyLocked;
  // Named: each lone invoke handed off to a replica runs it, and planning it cost more than running it.
  const { rows } = await client.query<LockedFunction>(
    prepared('SELECT namespace, name, parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions WHERE namespace = $1 AND name = $2 AND NOT deleted FOR NO KEY UPDATE', [
      options.function.namespace,
      options.function.name,
    ]),
  );
  return rows[0] ?? null;
}
