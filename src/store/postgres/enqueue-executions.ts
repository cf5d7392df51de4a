import type { Enqueued, NewExecution } from '../store.js';
import type pg from 'pg';
import { functionKey, newExecutionValues, requireLiveFunction, type NewExecutionValues } from '../shared/new-execution.js';
import { matchesFingerprint } from '../shared/request-fingerprint.js';
import { isoTime } from '../shared/stored-values.js';
import { prepared, transaction, type Pool } from './connection.js';
import type { FunctionRow } from './functions.js';
import { notifyWake } from './notify.js';
import { readExecution, toExecution, type ExecutionRow } from './rows.js';

/** The live functions the requests name, each row locked FOR KEY SHARE; throws for an unknown one. */
async function lockFunctions(client: pg.PoolClient, requests: NewExecution[]): Promise<Map<string, FunctionRow>> {
  const functions = new Map<string, FunctionRow>();
  for (const request of requests) {
    const key = functionKey(request);
    if (functions.has(key)) continue;
    const { rows } = await client.query<FunctionRow>(prepared('SELECT * FROM functions WHERE namespace = $1 AND name = $2 FOR KEY SHARE', [request.namespace, request.function]));
    functions.set(key, requireLiveFunction(rows[0], request));
  }
  return functions;
}

/**
 * Inserts a batch without idempotency keys in one statement: a round trip per execution would
 * make a 1,000-execution batch cost 1,000 round trips. Rows are inserted in request order, so
 * seqs (the age order) follow the batch. Named, as the function's lock before it (lockFunctions):
 * a lone invoke runs both, and planning them anew each time cost more than running them.
 */
async function insertAll(client: pg.PoolClient, batch: NewExecutionValues[], createdAt: string): Promise<Enqueued[]> {
  const column = <K extends keyof NewExecutionValues>(name: K) => batch.map((values) => values[name]);
  const { rows } = await client.query<ExecutionRow>(
    prepared(
      `INSERT INTO executions (id, namespace, function, version, status, priority, input, callback_url, created_at, not_before, concurrency_key, traceparent, tracestate)
       SELECT id, namespace, function, version, 'queued', priority, input::json, callback_url, $8, not_before, concurrency_key, traceparent, tracestate
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[])
         WITH ORDINALITY AS r (id, namespace, function, version, priority, input, callback_url, not_before, concurrency_key, traceparent, tracestate, position)
       ORDER BY position
       RETURNING *`,
      [
        column('id'),
        column('namespace'),
        column('function'),
        column('version'),
        column('priority'),
        column('input'),
        column('callbackUrl'),
        createdAt,
        column('notBefore'),
        column('concurrencyKey'),
        column('traceparent'),
        column('tracestate'),
      ],
    ),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return batch.map(({ id }) => ({ execution: toExecution(byId.get(id)!, []), created: true, matchesRequest: true }));
}

/**
 * Stores a batch of new executions as `queued`, in one transaction: one unknown function fails
 * the whole batch. The function's row is read FOR KEY SHARE, which a concurrent delete (FOR
 * UPDATE) waits for and claims (FOR NO KEY UPDATE) do not, so enqueueing never stalls the
 * dispatchers. A repeated idempotency key returns the existing execution, saying whether the
 * request matches the one that created it; two controllers racing
 * with the same key meet at the unique index, where ON CONFLICT DO NOTHING lets the second one
 * wait for the first and then read its row.
 */
export async function enqueueExecutions(pool: Pool, requests: NewExecution[], now: string): Promise<Enqueued[]> {
  if (requests.length === 0) return [];
  return transaction(pool, (client) => enqueueIn(client, requests, now));
}

/** enqueueExecutions inside a transaction the caller holds (a schedule's tick enqueues with it). */
export async function enqueueIn(client: pg.PoolClient, requests: NewExecution[], now: string): Promise<Enqueued[]> {
  const results = await insertExecutionsIn(client, requests, now);
  if (results.some((result) => result.created)) await notifyWake(client, 'ready');
  return results;
}

/**
 * enqueueIn without its `ready` notification, for a caller that decides itself whether the new
 * executions are news to the other controllers (the direct handoff starts them at once).
 */
export async function insertExecutionsIn(client: pg.PoolClient, requests: NewExecution[], now: string): Promise<Enqueued[]> {
  const createdAt = isoTime(now);
  if (requests.length === 0) return [];
  {
    const functions = await lockFunctions(client, requests);
    if (requests.every((request) => request.idempotencyKey === undefined)) {
      const batch = requests.map((request) => newExecutionValues(request, functions.get(functionKey(request))!));
      return insertAll(client, batch, createdAt);
    }
    const results: Enqueued[] = [];
    for (const request of requests) {
      const values = newExecutionValues(request, functions.get(functionKey(request))!);
      const { rows } = await client.query<ExecutionRow>(
        `INSERT INTO executions (id, namespace, function, version, status, priority, input, idempotency_key, request_fingerprint, callback_url, created_at, not_before, concurrency_key, traceparent, tracestate)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6::json, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (namespace, function, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *`,
        [values.id, values.namespace, values.function, values.version, values.priority, values.input, values.idempotencyKey, values.requestFingerprint, values.callbackUrl, createdAt, values.notBefore, values.concurrencyKey, values.traceparent, values.tracestate],
      );
      if (rows[0]) {
        results.push({ execution: toExecution(rows[0], []), created: true, matchesRequest: true });
        continue;
      }
      const existing = await client.query<{ id: string; request_fingerprint: string | null }>(
        'SELECT id, request_fingerprint FROM executions WHERE namespace = $1 AND function = $2 AND idempotency_key = $3',
        [request.namespace, request.function, request.idempotencyKey],
      );
      const [{ id, request_fingerprint }] = existing.rows;
      results.push({ execution: (await readExecution(client, id))!, created: false, matchesRequest: matchesFingerprint(request_fingerprint, request) });
    }
    return results;
  }
}
