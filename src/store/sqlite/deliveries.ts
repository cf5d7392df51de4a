import { v7 as uuidv7 } from 'uuid';
import type { Execution } from '../../domain/execution.js';
import type { Delivery, DeliveryOutcome, DeliveryStatus, ExecutionNotification } from '../store.js';
import { endedStatusList } from '../shared/sql-fragments.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import type { DeliveryRow } from '../shared/trigger-rows.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { type ExecutionRow, readExecutions, selectExecutionRow, toDelivery } from './rows.js';
import { boundLimit } from './bound-limit.js';

/** Ended executions whose completion events are not decided yet, oldest first. */
export function listUnnotifiedExecutions(db: Db, limit: number): Execution[] {
  const rows = sql(
    db,
    `SELECT * FROM executions WHERE notified = 0 AND status IN ${endedStatusList} ORDER BY seq ${boundLimit}`,
  ).all(limit) as ExecutionRow[];
  return readExecutions(db, rows);
}

/**
 * Stores the deliveries of ended executions and marks them notified, together: a crash before
 * the commit leaves the execution unnotified, so the deliverer decides it again; after it, the
 * deliveries exist. Either way none is lost and none is made twice.
 */
export function notifyExecutions(db: Db, notifications: ExecutionNotification[], now: string): Delivery[] {
  const at = isoTime(now);
  return writeTransaction(db, () => {
    const created: Delivery[] = [];
    for (const notification of notifications) {
      const execution = selectExecutionRow(db, notification.executionId);
      const marked = sql(
        db,
        `UPDATE executions SET notified = 1
         WHERE id = ? AND notified = 0 AND status IN ${endedStatusList}`,
      ).run(notification.executionId);
      if (!execution || marked.changes === 0) continue;
      for (const delivery of notification.deliveries) {
        const row = sql(
          db,
          `INSERT INTO deliveries (id, execution_id, namespace, function, kind, url, event, status, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
        ).get(uuidv7(), execution.id, execution.namespace, execution.function, delivery.kind, delivery.url, JSON.stringify(delivery.event), at, at) as DeliveryRow<string>;
        created.push(toDelivery(row));
      }
    }
    return created;
  });
}

/** Takes due pending deliveries for `leaseMs` (see TriggerStore.claimDeliveries). */
export function claimDeliveries(db: Db, now: string, leaseMs: number, limit: number): Delivery[] {
  const at = isoTime(now);
  return writeTransaction(db, () => {
    const rows = sql(db, `SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq ${boundLimit}`).all(
      at,
      limit,
    ) as DeliveryRow<string>[];
    const until = isoAfter(at, leaseMs);
    for (const row of rows) {
      sql(db, 'UPDATE deliveries SET next_attempt_at = ? WHERE id = ?').run(until, row.id);
      row.next_attempt_at = until;
    }
    return rows.map(toDelivery);
  });
}

/** Records one try of a delivery. A delivery already settled for good stays as it is. */
export function settleDelivery(db: Db, id: string, outcome: DeliveryOutcome): void {
  writeTransaction(db, () => {
    if (outcome.status === 'delivered') {
      sql(db, `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'`).run(
        isoTime(outcome.at),
        id,
      );
    } else if (outcome.status === 'pending') {
      sql(db, `UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`).run(
        outcome.error,
        isoTime(outcome.nextAttemptAt),
        id,
      );
    } else {
      sql(db, `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'`).run(
        outcome.error,
        id,
      );
    }
  });
}

/** Deliveries newest first, of a namespace, optionally of one execution or status. */
export function listDeliveries(db: Db, query: { namespace: string; executionId?: string; status?: DeliveryStatus; limit: number }): Delivery[] {
  const rows = sql(
    db,
    `SELECT * FROM deliveries WHERE namespace = ? AND (? IS NULL OR execution_id = ?) AND (? IS NULL OR status = ?)
     ORDER BY seq DESC ${boundLimit}`,
  ).all(query.namespace, query.executionId ?? null, query.executionId ?? null, query.status ?? null, query.status ?? null, query.limit) as DeliveryRow<string>[];
  return rows.map(toDelivery);
}
