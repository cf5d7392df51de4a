import type { Attempt, AttemptReport, Execution } from '../../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import { readNullableJson, type JsonReader } from './stored-values.js';

/*
 * The rows of both stores' tables and their domain shapes. The tables have the same columns in
 * both dialects; what differs is how a driver hands back a json column (text in SQLite, parsed
 * in PostgreSQL), which is the type parameter `Json` and the JsonReader each mapper is given.
 * Columns that carry a domain field's name and type unchanged are picked from the domain type,
 * so the two cannot drift apart.
 */

/** A row of `executions`; timestamps are ISO strings. */
export interface ExecutionRow<Json> extends Pick<Execution, 'id' | 'namespace' | 'function' | 'version' | 'status' | 'priority' | 'error'> {
  seq: number;
  input: Json;
  result: Json | null;
  idempotency_key: string | null;
  /** See request-fingerprint.ts; null without an idempotency key. */
  request_fingerprint: string | null;
  callback_url: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  not_before: string | null;
  /** See Execution.concurrencyKey. */
  concurrency_key: string | null;
  /** Execution.traceContext; null without one (and before migration 7). */
  traceparent: string | null;
  tracestate: string | null;
}

/** A row of `attempts`. */
export interface AttemptRow<Json> extends Pick<Attempt, 'number' | 'status' | 'reason' | 'error' | 'owner'> {
  execution_id: string;
  exit_code: number | null;
  started_at: string;
  finished_at: string | null;
  lease_expires_at: string | null;
  late_report: Json | null;
}

/** A row of `function_versions`. */
export interface FunctionVersionRow<Json> {
  namespace: string;
  name: string;
  version: number;
  document: Json;
  created_at: string;
}

/** The `functions` row: the latest version and what a claim needs of it; `Flag` is the dialect's boolean. */
export interface FunctionRow<Flag> {
  namespace: string;
  name: string;
  latest_version: number;
  deleted: Flag;
  parallelism: number;
  priority: number;
  /** The latest version's spec.rateLimit, both null without one (migration 5). */
  rate_limit: number | null;
  rate_period_ms: number | null;
  /** The latest version's spec.concurrency: the key's JSON Pointer and the limit per key. */
  concurrency_key: string | null;
  concurrency_limit: number | null;
}

/** The Attempt shape of an attempt row. */
export function toAttempt<Json>(row: AttemptRow<Json>, readJson: JsonReader<Json>): Attempt {
  return {
    number: row.number,
    status: row.status,
    exitCode: row.exit_code,
    reason: row.reason,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    owner: row.owner,
    lateReport: readNullableJson(row.late_report, readJson) as AttemptReport | null,
  };
}

/** The Execution shape of an execution row and its attempt rows. */
export function toExecution<Json>(row: ExecutionRow<Json>, attempts: AttemptRow<Json>[], readJson: JsonReader<Json>): Execution {
  return {
    id: row.id,
    namespace: row.namespace,
    function: row.function,
    version: row.version,
    status: row.status,
    priority: row.priority,
    input: readNullableJson(row.input, readJson),
    result: readNullableJson(row.result, readJson),
    error: row.error,
    idempotencyKey: row.idempotency_key,
    callbackUrl: row.callback_url,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    notBefore: row.not_before,
    concurrencyKey: row.concurrency_key ?? null,
    attempts: attempts.map((attempt) => toAttempt(attempt, readJson)),
    // Listings that read selected columns have neither: an execution there carries no trace context.
    ...(row.traceparent ? { traceContext: row.tracestate ? { traceparent: row.traceparent, tracestate: row.tracestate } : { traceparent: row.traceparent } } : {}),
  };
}

/** The FunctionVersion shape of a version row. */
export function toFunctionVersion<Json>(row: FunctionVersionRow<Json>, readJson: JsonReader<Json>): FunctionVersion {
  return {
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    document: readJson(row.document) as FunctionDocument,
    createdAt: row.created_at,
  };
}
