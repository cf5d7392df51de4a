import { pickByConcurrencyKey, type KeyedCandidate } from '../../domain/concurrency-key.js';
import type { QueuePosition } from '../../domain/priority.js';
import { rateAllowance, rateSlotFreesAt, rateWindowStart } from '../../domain/rate-limit.js';
import { sql, type Db } from './connection.js';

/*
 * Rate limits and concurrency keys in a claim (issue 17). Each function here runs inside the
 * claim's write transaction, which SQLite holds alone, so what they count is what the claim may
 * take: no other controller can start an attempt between the count and the claim's commit.
 */

/** The scheduling controls a claim reads from a `functions` row (migration 5). */
export interface ClaimControls {
  rate_limit: number | null;
  rate_period_ms: number | null;
  concurrency_limit: number | null;
}

/** How many attempts of a function may still start now under its rate limit; Infinity without one. */
export function rateAllowanceNow(db: Db, namespace: string, fn: string, controls: ClaimControls, now: string): number {
  if (controls.rate_limit === null || controls.rate_period_ms === null) return Number.POSITIVE_INFINITY;
  const { started } = sql(
    db,
    'SELECT COALESCE(SUM(count), 0) AS started FROM rate_limit_starts WHERE namespace = ? AND function = ? AND started_at > ?',
  ).get(namespace, fn, rateWindowStart(now, controls.rate_period_ms)) as { started: number };
  return rateAllowance(controls.rate_limit, started);
}

/** Records `count` attempt starts of a rate-limited function at `now`, and forgets starts older than its window. */
export function recordRateStarts(db: Db, namespace: string, fn: string, controls: ClaimControls, count: number, now: string): void {
  if (controls.rate_limit === null || controls.rate_period_ms === null || count === 0) return;
  sql(db, 'DELETE FROM rate_limit_starts WHERE namespace = ? AND function = ? AND started_at <= ?').run(namespace, fn, rateWindowStart(now, controls.rate_period_ms));
  sql(db, 'INSERT INTO rate_limit_starts (namespace, function, started_at, count) VALUES (?, ?, ?, ?)').run(namespace, fn, now, count);
}

/**
 * The ready executions of a function with a concurrency key that this claim takes, at most
 * `take`, in the order pickByConcurrencyKey gives. Reads each key's running count and, per key,
 * only as many of its best ready executions as the key has free slots (a window over the
 * function's ready rows: the cost grows with that function's ready backlog, which plain
 * functions, read by index seeks alone, do not pay).
 */
export function keyedPicks(db: Db, namespace: string, fn: string, limitPerKey: number, take: number, now: string): QueuePosition[] {
  if (take <= 0) return [];
  const counts = sql(
    db,
    // The function's running rows, at most its parallelism, read through the index the claim keeps anyway.
    `SELECT concurrency_key AS key, COUNT(*) AS running FROM executions INDEXED BY executions_running
     WHERE namespace = ? AND function = ? AND status = 'running' GROUP BY concurrency_key`,
  ).all(namespace, fn) as { key: string | null; running: number }[];
  const running = new Map(counts.map((count) => [count.key, count.running]));
  const rows = sql(
    db,
    `SELECT seq, priority, key FROM (
       SELECT seq, priority, concurrency_key AS key,
              ROW_NUMBER() OVER (PARTITION BY concurrency_key ORDER BY priority DESC, seq) AS rank
       FROM executions INDEXED BY executions_ready
       WHERE namespace = ? AND function = ? AND status = 'queued' AND (not_before IS NULL OR not_before <= ?)
     ) WHERE rank <= ?`,
  ).all(namespace, fn, now, Math.min(limitPerKey, take)) as { seq: number; priority: number; key: string | null }[];
  const candidates: KeyedCandidate[] = rows.map((row) => ({ sequence: row.seq, priority: row.priority, key: row.key }));
  return pickByConcurrencyKey(candidates, running, limitPerKey, take).map(({ sequence, priority }) => ({ sequence, priority }));
}

/**
 * The earliest time after `now` at which queued work that is not ready may become ready: the end
 * of a delay or a backoff, or, for a rate-limited function with ready work and no allowance left,
 * when the oldest start of its window leaves it. Null when no such time is known.
 */
export function nextStartAt(db: Db, now: string): string | null {
  const delayed = sql(
    db,
    `SELECT MIN(not_before) AS at FROM executions INDEXED BY executions_waiting WHERE status = 'queued' AND not_before IS NOT NULL AND not_before > ?`,
  ).get(now) as { at: string | null };
  let next = delayed.at;
  const limited = sql(db, 'SELECT namespace, name, rate_limit, rate_period_ms, concurrency_limit FROM functions WHERE deleted = 0 AND rate_limit IS NOT NULL').all() as (ClaimControls & {
    namespace: string;
    name: string;
  })[];
  for (const fn of limited) {
    if (rateAllowanceNow(db, fn.namespace, fn.name, fn, now) > 0) continue;
    const ready = sql(
      db,
      `SELECT 1 FROM executions INDEXED BY executions_ready
       WHERE namespace = ? AND function = ? AND status = 'queued' AND (not_before IS NULL OR not_before <= ?) LIMIT 1`,
    ).get(fn.namespace, fn.name, now);
    if (!ready) continue;
    const { oldest } = sql(db, 'SELECT MIN(started_at) AS oldest FROM rate_limit_starts WHERE namespace = ? AND function = ? AND started_at > ?').get(
      fn.namespace,
      fn.name,
      rateWindowStart(now, fn.rate_period_ms!),
    ) as { oldest: string | null };
    if (oldest === null) continue;
    const at = rateSlotFreesAt(oldest, fn.rate_period_ms!);
    if (next === null || at < next) next = at;
  }
  return next;
}
