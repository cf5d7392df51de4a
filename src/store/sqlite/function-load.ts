import type { FunctionLoad } from '../../domain/wait-reason.js';
import { rateWindowStart } from '../../domain/rate-limit.js';
import type { FunctionRef } from '../store.js';
import { sql, type Db } from './connection.js';

/** What a function's executions use at `now`: running, running with `concurrencyKey`, starts in its rate window. */
export function functionLoad(db: Db, fn: FunctionRef, concurrencyKey: string | null, now: string): FunctionLoad {
  const { running, keyRunning } = sql(
    db,
    `SELECT COUNT(*) AS running, COALESCE(SUM(concurrency_key IS ?), 0) AS keyRunning FROM executions
     WHERE namespace = ? AND function = ? AND status = 'running'`,
  ).get(concurrencyKey, fn.namespace, fn.name) as { running: number; keyRunning: number };
  const row = sql(db, 'SELECT rate_period_ms FROM functions WHERE namespace = ? AND name = ?').get(fn.namespace, fn.name) as { rate_period_ms: number | null } | undefined;
  if (!row || row.rate_period_ms === null) return { running, keyRunning, startedInWindow: 0, oldestStartInWindow: null };
  const window = sql(
    db,
    'SELECT COALESCE(SUM(count), 0) AS started, MIN(started_at) AS oldest FROM rate_limit_starts WHERE namespace = ? AND function = ? AND started_at > ?',
  ).get(fn.namespace, fn.name, rateWindowStart(now, row.rate_period_ms)) as { started: number; oldest: string | null };
  return { running, keyRunning, startedInWindow: window.started, oldestStartInWindow: window.oldest };
}
