import { v7 as uuidv7 } from 'uuid';
import type { Execution } from '../../domain/execution.js';
import type { Delivery, DeliveryOutcome, DeliveryStatus, ExecutionNotification } from '../store.js';
import { endedStatusList } from '../shared/sql-fragments.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import type { DeliveryRow } from '../shared/trigger-rows.js';
import { transaction, type Db, type Pool } from './connection.js';
import { selectExecutions, toDelivery } from './rows.js';

/** Ended executions whose completion events are not decided yet, oldest first. */
export async function listUnnotifiedExecutions(db: Db, limit: number): Promise<Execution[]> {
  const rows = await selectExecutions(db, `NOT e.notified AND e.status IN ${endedStatusList}`, [limit], 'ORDER BY e.seq LIMIT $1');
  return rows.map((row) => row.execution);
}

/**
 * Stores the deliveries of ended executions and marks them notified, together. The UPDATE …
 * WHERE NOT notified is the guard: a second controller deciding the same execution waits on
 * its row lock, then finds it notified and stores nothing.
 */
export async function notifyExecutions(pool: Pool, notifications: ExecutionNotification[], now: string): Promise<Delivery[]> {
  const at = isoTime(now);
  return transaction(pool, async (client) => {
    const created: Delivery[] = [];
    for (const notification of notifications) {
      const { rows } = await client.query<{ id: string; namespace: string; function: string }>(
        `UPDATE executions SET notified = true WHERE id = $1 AND NOT notified AND status IN ${endedStatusList} RETURNING id, namespace, function`,
        [notification.executionId],
      );
      const execution = rows[0];
      if (!execution) continue;
      for (const delivery of notification.deliveries) {
        const inserted = await client.query<DeliveryRow<unknown>>(
          `INSERT INTO deliveries (id, execution_id, namespace, function, kind, url, event, status, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7::json, 'pending', $8, $8) RETURNING *`,
          [uuidv7(), execution.id, execution.namespace, execution.function, delivery.kind, delivery.url, JSON.stringify(delivery.event), at],
        );
        created.push(toDelivery(inserted.rows[0]));
      }
    }
    return created;
  });
}

/**
 * Takes due pending deliveries for `leaseMs`. FOR UPDATE SKIP LOCKED lets controllers claiming
 * at the same moment take different deliveries instead of queueing behind each other.
 */
export async function claimDeliveries(pool: Pool, now: string, leaseMs: number, limit: number): Promise<Delivery[]> {
  const at = isoTime(now);
  const { rows } = await pool.query<DeliveryRow<unknown>>(
    `WITH due AS (
       SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1
       ORDER BY next_attempt_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED
     )
     UPDATE deliveries d SET next_attempt_at = $2 FROM due WHERE d.id = due.id
     RETURNING d.*`,
    [at, isoAfter(at, leaseMs), limit],
  );
  return rows.sort((a, b) => a.seq - b.seq).map(toDelivery);
}

/** Records one try of a delivery. A delivery already settled for good stays as it is. */
export async function settleDelivery(db: Db, id: string, outcome: DeliveryOutcome): Promise<void> {
  if (outcome.status === 'delivered') {
    await db.query(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, next_attempt_at = NULL WHERE id = $2 AND status = 'pending'`,
      [isoTime(outcome.at), id],
    );
  } else if (outcome.status === 'pending') {
    await db.query(`UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3 AND status = 'pending'`, [
      outcome.error,
      isoTime(outcome.nextAttemptAt),
      id,
    ]);
  } else {
    await db.query(`UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = $1, next_attempt_at = NULL WHERE id = $2 AND status = 'pending'`, [
      outcome.error,
      id,
    ]);
  }
}

/** Deliveries newest first, of a namespace, optionally of one execution or status. */
export async function listDeliveries(db: Db, query: { namespace: string; executionId?: string; status?: DeliveryStatus; limit: number }): Promise<Delivery[]> {
  const { rows } = await db.query<DeliveryRow<unknown>>(
    `SELECT * FROM deliveries WHERE namespace = $1 AND ($2::text IS NULL OR execution_id = $2) AND ($3::text IS NULL OR status = $3)
     ORDER BY seq DESC LIMIT $4`,
    [query.namespace, query.executionId ?? null, query.status ?? null, query.limit],
  );
  return rows.map(toDelivery);
}
