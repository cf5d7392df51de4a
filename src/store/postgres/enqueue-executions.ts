import { v7 as uuidv7 } from 'uuid';
import { PontoonError } from '../../domain/errors.js';
import { effectivePriority } from '../../domain/priority.js';
import type { Enqueued, NewExecution } from '../store.js';
import type pg from 'pg';
import { transaction, type Pool } from './connection.js';
import type { FunctionRow } from './functions.js';
import { notifyWake } from './notify.js';
import { isoTime, readExecution, toExecution, toJson, type ExecutionRow } from './rows.js';

function functionNotFound(namespace: string, name: string): PontoonError {
  return new PontoonError('FUNCTION_NOT_FOUND', `function ${namespace}/${name} not found; deploy it first`, { namespace, name });
}

/** The live functions the requests name, each row locked FOR KEY SHARE; throws for an unknown one. */
async function lockFunctions(client: pg.PoolClient, requests: NewExecution[]): Promise<Map<string, FunctionRow>> {
  const functions = new Map<string, FunctionRow>();
  for (const request of requests) {
    const key = `${request.namespace}/${request.function}`;
    if (functions.has(key)) continue;
    const { rows } = await client.query<FunctionRow>('SELECT * FROM functions WHERE namespace = $1 AND name = $2 FOR KEY SHARE', [
      request.namespace,
      request.function,
    ]);
    if (!rows[0] || rows[0].deleted) throw functionNotFound(request.namespace, request.function);
    functions.set(key, rows[0]);
  }
  return functions;
}

/**
 * Inserts a batch without idempotency keys in one statement: a round trip per execution would
 * make a 1,000-execution batch cost 1,000 round trips. Rows are inserted in request order, so
 * seqs (the age order) follow the batch.
 */
async function insertAll(client: pg.PoolClient, requests: NewExecution[], functions: Map<string, FunctionRow>, createdAt: string): Promise<Enqueued[]> {
  const columns = { id: [] as string[], namespace: [] as string[], fn: [] as string[], version: [] as number[], priority: [] as number[], input: [] as string[], callback: [] as (string | null)[] };
  for (const request of requests) {
    const fn = functions.get(`${request.namespace}/${request.function}`)!;
    columns.id.push(uuidv7());
    columns.namespace.push(request.namespace);
    columns.fn.push(request.function);
    columns.version.push(fn.latest_version);
    columns.priority.push(effectivePriority(fn.priority, request.priority));
    columns.input.push(toJson(request.input));
    columns.callback.push(request.callbackUrl ?? null);
  }
  const { rows } = await client.query<ExecutionRow>(
    `INSERT INTO executions (id, namespace, function, version, status, priority, input, callback_url, created_at)
     SELECT id, namespace, function, version, 'queued', priority, input::json, callback_url, $8
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[])
       WITH ORDINALITY AS r (id, namespace, function, version, priority, input, callback_url, position)
     ORDER BY position
     RETURNING *`,
    [columns.id, columns.namespace, columns.fn, columns.version, columns.priority, columns.input, columns.callback, createdAt],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return columns.id.map((id) => ({ execution: toExecution(byId.get(id)!, []), created: true }));
}

/**
 * Stores a batch of new executions as `queued`, in one transaction: one unknown function fails
 * the whole batch. The function's row is read FOR KEY SHARE, which a concurrent delete (FOR
 * UPDATE) waits for and claims (FOR NO KEY UPDATE) do not, so enqueueing never stalls the
 * dispatchers. A repeated idempotency key returns the existing execution; two controllers racing
 * with the same key meet at the unique index, where ON CONFLICT DO NOTHING lets the second one
 * wait for the first and then read its row.
 */
export async function enqueueExecutions(pool: Pool, requests: NewExecution[], now: string): Promise<Enqueued[]> {
  if (requests.length === 0) return [];
  return transaction(pool, (client) => enqueueIn(client, requests, now));
}

/** enqueueExecutions inside a transaction the caller holds (a schedule's tick enqueues with it). */
export async function enqueueIn(client: pg.PoolClient, requests: NewExecution[], now: string): Promise<Enqueued[]> {
  const createdAt = isoTime(now);
  if (requests.length === 0) return [];
  {
    const functions = await lockFunctions(client, requests);
    if (requests.every((request) => request.idempotencyKey === undefined)) {
      const results = await insertAll(client, requests, functions, createdAt);
      await notifyWake(client, 'ready');
      return results;
    }
    const results: Enqueued[] = [];
    for (const request of requests) {
      const fn = functions.get(`${request.namespace}/${request.function}`)!;

      const { rows } = await client.query<ExecutionRow>(
        `INSERT INTO executions (id, namespace, function, version, status, priority, input, idempotency_key, callback_url, created_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6::json, $7, $8, $9)
         ON CONFLICT (namespace, function, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *`,
        [
          uuidv7(),
          request.namespace,
          request.function,
          fn.latest_version,
          effectivePriority(fn.priority, request.priority),
          toJson(request.input),
          request.idempotencyKey ?? null,
          request.callbackUrl ?? null,
          createdAt,
        ],
      );
      if (rows[0]) {
        results.push({ execution: toExecution(rows[0], []), created: true });
        continue;
      }
      const existing = await client.query<{ id: string }>('SELECT id FROM executions WHERE namespace = $1 AND function = $2 AND idempotency_key = $3', [
        request.namespace,
        request.function,
        request.idempotencyKey,
      ]);
      results.push({ execution: (await readExecution(client, existing.rows[0].id))!, created: false });
    }
    if (results.some((result) => result.created)) await notifyWake(client, 'ready');
    return results;
  }
}
