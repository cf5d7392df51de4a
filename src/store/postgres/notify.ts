import type pg from 'pg';
import type { FunctionRef } from '../store.js';
import { prepared } from './connection.js';

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

/**
 * Queues a `freed` notification only when one of the functions has an execution ready to start:
 * a slot freed with nothing waiting for it would wake the other controllers into claims that find
 * nothing, and every notifying commit takes PostgreSQL's global notify lock. A settlement with no
 * claim of its own (a replica that found its queue empty) sent one for every execution that
 * arrived alone.
 */
export async function notifyFreedIfReady(client: pg.PoolClient, functions: readonly FunctionRef[]): Promise<void> {
  await client.query(
    prepared(
      `SELECT pg_notify(current_schema(), 'freed')
       WHERE EXISTS (
         SELECT 1 FROM unnest($1::text[], $2::text[]) AS f (namespace, name)
         WHERE EXISTS (
           SELECT 1 FROM executions e
           WHERE e.namespace = f.namespace AND e.function = f.name AND e.status = 'queued' AND (e.not_before IS NULL OR e.not_before <= now())
         )
       )`,
      [functions.map((fn) => fn.namespace), functions.map((fn) => fn.name)],
    ),
  );
}
