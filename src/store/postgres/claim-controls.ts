import type pg from 'pg';
import { pickByConcurrencyKey, type KeyedCandidate } from '../../domain/concurrency-key.js';
import type { QueuePosition } from '../../domain/priority.js';
import { rateAllowance, rateWindowStart } from '../../domain/rate-limit.js';
import type { Db } from './connection.js';

/*
 * Rate limits and concurrency keys in a claim (issue 17). Every function here runs inside the
 * claim's transaction after it has locked the function's row FOR NO KEY UPDATE (see
 * claim-executions.ts), so claims of one function, on any controller, count and take one after
 * the other: the starts counted in the window and the running counts per key are those the
 * previous claim committed, and nothing starts between this count and this claim's commit.
 */

/** The scheduling controls a claim reads from a `functions` row (migration 5). */
export interface ClaimControls {
  rate_limit: number | null;
  rate_period_ms: number | null;
  concurrency_limit: number | null;
}

/** A locked function and its controls. */
export interface ControlledFunction extends ClaimControls {
  namespace: string;
  name: string;
}

const refKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** A function without a rate limit or concurrency keys: its claim is a pick bounded by parallelism alone, in one statement. */
export function isPlain(fn: ClaimControls): boolean {
  return fn.rate_limit === null && fn.concurrency_limit === null;
}

/** How many attempts each of these functions may still start now; functions without a rate limit are left out (no limit). */
export async function rateAllowances(client: pg.PoolClient, functions: readonly ControlledFunction[], now: string): Promise<Map<string, number>> {
  const limited = functions.filter((fn) => fn.rate_limit !== null && fn.rate_period_ms !== null);
  if (limited.length === 0) return new Map();
  const { rows } = await client.query<{ namespace: string; name: string; started: number }>(
    `SELECT f.namespace, f.name, (
       SELECT COALESCE(SUM(s.count), 0)::int FROM rate_limit_starts s
       WHERE s.namespace = f.namespace AND s.function = f.name AND s.started_at > f.since
     ) AS started
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS f (namespace, name, since)`,
    [limited.map((fn) => fn.namespace), limited.map((fn) => fn.name), limited.map((fn) => rateWindowStart(now, fn.rate_period_ms!))],
  );
  const startedOf = new Map(rows.map((row) => [refKey(row.namespace, row.name), row.started]));
  return new Map(limited.map((fn) => [refKey(fn.namespace, fn.name), rateAllowance(fn.rate_limit!, startedOf.get(refKey(fn.namespace, fn.name)) ?? 0)]));
}

/** Records the attempts this claim started of rate-limited functions at `now`, and forgets starts older than their windows. */
export async function recordRateStarts(client: pg.PoolClient, started: readonly (ControlledFunction & { count: number })[], now: string): Promise<void> {
  const limited = started.filter((fn) => fn.rate_limit !== null && fn.rate_period_ms !== null && fn.count > 0);
  if (limited.length === 0) return;
  await client.query(
    `WITH f AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int[]) AS f (namespace, name, since, count)),
     pruned AS (
       DELETE FROM rate_limit_starts s USING f WHERE s.namespace = f.namespace AND s.function = f.name AND s.started_at <= f.since
     )
     INSERT INTO rate_limit_starts (namespace, function, started_at, count) SELECT namespace, name, $5::timestamptz, count FROM f`,
    [
      limited.map((fn) => fn.namespace),
      limited.map((fn) => fn.name),
      limited.map((fn) => rateWindowStart(now, fn.rate_period_ms!)),
      limited.map((fn) => fn.count),
      now,
    ],
  );
}

/**
 * The ready executions of a function with a concurrency key that this claim takes, at most
 * `take`, in the order pickByConcurrencyKey gives, locked. Reads each key's running count and, per
 * key, only as many of its best ready executions as the key may start (a window over the
 * function's ready rows: the cost grows with that function's ready backlog, which plain
 * functions, read by index seeks alone, do not pay). A window function cannot be read FOR
 * UPDATE, so the picks are locked after, SKIP LOCKED: claims of the function already wait for
 * each other on its row, and a pick a cancel holds is only left for the next claim.
 */
export async function keyedPicks(client: pg.PoolClient, namespace: string, fn: string, limitPerKey: number, take: number, now: string): Promise<(QueuePosition & { namespace: string; function: string })[]> {
  if (take <= 0) return [];
  const { rows: counts } = await client.query<{ key: string | null; running: number }>(
    `SELECT concurrency_key AS key, COUNT(*)::int AS running FROM executions
     WHERE namespace = $1 AND function = $2 AND status = 'running' GROUP BY concurrency_key`,
    [namespace, fn],
  );
  const running = new Map(counts.map((count) => [count.key, count.running]));
  const { rows } = await client.query<{ seq: string; priority: number; key: string | null }>(
    `SELECT seq, priority, key FROM (
       SELECT seq, priority, concurrency_key AS key,
              row_number() OVER (PARTITION BY concurrency_key ORDER BY priority DESC, seq) AS rank
       FROM executions
       WHERE namespace = $1 AND function = $2 AND status = 'queued' AND (not_before IS NULL OR not_before <= $3)
     ) ranked WHERE rank <= $4`,
    [namespace, fn, now, Math.min(limitPerKey, take)],
  );
  const candidates: KeyedCandidate[] = rows.map((row) => ({ sequence: Number(row.seq), priority: row.priority, key: row.key }));
  const picked = pickByConcurrencyKey(candidates, running, limitPerKey, take);
  if (picked.length === 0) return [];
  const { rows: locked } = await client.query<{ seq: string }>(
    `SELECT seq FROM executions WHERE seq = ANY($1::bigint[]) AND status = 'queued' FOR UPDATE SKIP LOCKED`,
    [picked.map((pick) => pick.sequence)],
  );
  const held = new Set(locked.map((row) => Number(row.seq)));
  return picked.filter((pick) => held.has(pick.sequence)).map((pick) => ({ sequence: pick.sequence, priority: pick.priority, namespace, function: fn }));
}

/**
 * The earliest time after `now` at which queued work that is not ready may become ready: the end
 * of a delay or a backoff, or, for a rate-limited function with ready work and no allowance left,
 * when the oldest start of its window leaves it. Null when no such time is known. One statement.
 */
export async function nextStartAt(db: Db, now: string): Promise<string | null> {
  const { rows } = await db.query<{ at: string | null }>(
    `SELECT LEAST(
       (SELECT MIN(not_before) FROM executions WHERE status = 'queued' AND not_before IS NOT NULL AND not_before > $1),
       (SELECT MIN(w.oldest + make_interval(secs => f.rate_period_ms / 1000.0))
        FROM functions f
        CROSS JOIN LATERAL (
          SELECT MIN(s.started_at) AS oldest, COALESCE(SUM(s.count), 0) AS started FROM rate_limit_starts s
          WHERE s.namespace = f.namespace AND s.function = f.name AND s.started_at > $1::timestamptz - make_interval(secs => f.rate_period_ms / 1000.0)
        ) w
        WHERE NOT f.deleted AND f.rate_limit IS NOT NULL AND w.started >= f.rate_limit AND EXISTS (
          SELECT 1 FROM executions e
          WHERE e.namespace = f.namespace AND e.function = f.name AND e.status = 'queued' AND (e.not_before IS NULL OR e.not_before <= $1)
        ))
     ) AS at`,
    [now],
  );
  return rows[0]?.at ?? null;
}
