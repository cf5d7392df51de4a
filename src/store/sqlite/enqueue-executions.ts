import type { Enqueued, NewExecution } from '../store.js';
import { functionKey, newExecutionRow, newExecutionValues, requireLiveFunction } from '../shared/new-execution.js';
import { matchesFingerprint } from '../shared/request-fingerprint.js';
import { isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionRow, type FunctionRow } from './functions.js';
import { readExecution, toExecution } from './rows.js';

/**
 * Stores a batch of new executions as `queued`, in one transaction: one unknown function fails
 * the whole batch, so a caller never has to guess which requests were acknowledged. A repeated
 * idempotency key, in an earlier call or earlier in this batch, returns the existing execution,
 * saying whether the request matches the one that created it.
 */
export function enqueueExecutions(db: Db, requests: NewExecution[], now: string): Enqueued[] {
  const createdAt = isoTime(now);
  return writeTransaction(db, () => {
    const functions = new Map<string, FunctionRow | undefined>();
    return requests.map((request): Enqueued => {
      const key = functionKey(request);
      if (!functions.has(key)) functions.set(key, selectFunctionRow(db, request.namespace, request.function));
      const fn = requireLiveFunction(functions.get(key), request);

      if (request.idempotencyKey !== undefined) {
        const existing = sql(db, 'SELECT id, request_fingerprint FROM executions WHERE namespace = ? AND function = ? AND idempotency_key = ?').get(
          request.namespace,
          request.function,
          request.idempotencyKey,
        ) as { id: string; request_fingerprint: string | null } | undefined;
        if (existing) {
          return { execution: readExecution(db, existing.id)!, created: false, matchesRequest: matchesFingerprint(existing.request_fingerprint, request) };
        }
      }

      const values = newExecutionValues(request, fn);
      const inserted = sql(
        db,
        `INSERT INTO executions (id, namespace, function, version, status, priority, input, idempotency_key, request_fingerprint, callback_url, created_at, not_before, concurrency_key, traceparent, tracestate)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        values.id,
        values.namespace,
        values.function,
        values.version,
        values.priority,
        values.input,
        values.idempotencyKey,
        values.requestFingerprint,
        values.callbackUrl,
        createdAt,
        values.notBefore,
        values.concurrencyKey,
        values.traceparent,
        values.tracestate,
      );
      // Not read back with RETURNING, which SQLite answers through a temporary table per statement
      // (bench/store-enqueue.ts): the row is what was just bound.
      const row = newExecutionRow(values, createdAt, Number(inserted.lastInsertRowid));
      return { execution: toExecution(row, []), created: true, matchesRequest: true };
    });
  });
}
