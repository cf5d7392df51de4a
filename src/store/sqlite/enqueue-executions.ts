import { v7 as uuidv7 } from 'uuid';
import { PontoonError } from '../../domain/errors.js';
import { effectivePriority } from '../../domain/priority.js';
import type { Enqueued, NewExecution } from '../store.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionRow, type FunctionRow } from './functions.js';
import { isoTime, readExecution, toExecution, toJson, type ExecutionRow } from './rows.js';

function functionNotFound(namespace: string, name: string): PontoonError {
  return new PontoonError('FUNCTION_NOT_FOUND', `function ${namespace}/${name} not found; deploy it first`, { namespace, name });
}

/**
 * Stores a batch of new executions as `queued`, in one transaction: one unknown function fails
 * the whole batch, so a caller never has to guess which requests were acknowledged. A repeated
 * idempotency key, in an earlier call or earlier in this batch, returns the existing execution.
 */
export function enqueueExecutions(db: Db, requests: NewExecution[], now: string): Enqueued[] {
  const createdAt = isoTime(now);
  return writeTransaction(db, () => {
    const functions = new Map<string, FunctionRow | undefined>();
    return requests.map((request): Enqueued => {
      const key = `${request.namespace}/${request.function}`;
      if (!functions.has(key)) functions.set(key, selectFunctionRow(db, request.namespace, request.function));
      const fn = functions.get(key);
      if (!fn || fn.deleted) throw functionNotFound(request.namespace, request.function);

      if (request.idempotencyKey !== undefined) {
        const existing = sql(db, 'SELECT id FROM executions WHERE namespace = ? AND function = ? AND idempotency_key = ?').get(
          request.namespace,
          request.function,
          request.idempotencyKey,
        ) as { id: string } | undefined;
        if (existing) return { execution: readExecution(db, existing.id)!, created: false };
      }

      const row = sql(
        db,
        `INSERT INTO executions (id, namespace, function, version, status, priority, input, idempotency_key, callback_url, created_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
      ).get(
        uuidv7(),
        request.namespace,
        request.function,
        fn.latest_version,
        effectivePriority(fn.priority, request.priority),
        toJson(request.input),
        request.idempotencyKey ?? null,
        request.callbackUrl ?? null,
        createdAt,
      ) as ExecutionRow;
      return { execution: toExecution(row, []), created: true };
    });
  });
}
