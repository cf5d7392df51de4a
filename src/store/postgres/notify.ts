import type pg from 'pg';

/**
 * What a notification on the store's channel means; listeners only use it to wake up early, so
 * a lost one costs a poll interval, never correctness.
 * - `ready`: executions were enqueued or requeued;
 * - `freed`: an attempt ended, so a function may have a free slot.
 */
export type WakeReason = 'ready' | 'freed';

/**
 * Queues a notification on the store's channel (named after its schema, so stores in other
 * schemas of the same database do not wake each other). PostgreSQL delivers it at commit, and
 * folds identical ones of one transaction into one, so a batch costs one wake-up.
 */
export async function notifyWake(client: pg.PoolClient, reason: WakeReason): Promise<void> {
  await client.query('SELECT pg_notify(current_schema(), $1)', [reason]);
}
