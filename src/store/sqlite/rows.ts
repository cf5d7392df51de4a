import type { Attempt, AttemptReason, AttemptReport, AttemptStatus, Execution, ExecutionStatus } from '../../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import { sql, type Db } from './connection.js';

/** A row of `executions`. */
export interface ExecutionRow {
  seq: number;
  id: string;
  namespace: string;
  function: string;
  version: number;
  status: ExecutionStatus;
  priority: number;
  input: string;
  result: string | null;
  error: string | null;
  idempotency_key: string | null;
  callback_url: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  not_before: string | null;
}

/** A row of `attempts`. */
export interface AttemptRow {
  execution_id: string;
  number: number;
  status: AttemptStatus;
  exit_code: number | null;
  reason: AttemptReason | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  owner: string | null;
  lease_expires_at: string | null;
  late_report: string | null;
}

/** A row of `function_versions`. */
export interface FunctionVersionRow {
  namespace: string;
  name: string;
  version: number;
  document: string;
  created_at: string;
}

/**
 * Normalizes a timestamp to the ISO form `toISOString` writes. Timestamps are stored as these
 * strings because they then order correctly as text, which every lease and backoff comparison
 * relies on; `2024-01-01T00:00:00Z` and `…00.000Z` would not compare equal otherwise.
 */
export function isoTime(value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new Error(`not a timestamp: ${value}`);
  return time.toISOString();
}

/** The ISO timestamp `ms` milliseconds after `iso`. */
export function isoAfter(iso: string, ms: number): string {
  return new Date(new Date(iso).getTime() + ms).toISOString();
}

/** JSON text for a stored payload; undefined is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** The Attempt shape of an attempt row. */
export function toAttempt(row: AttemptRow): Attempt {
  return {
    number: row.number,
    status: row.status,
    exitCode: row.exit_code,
    reason: row.reason,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    owner: row.owner,
    lateReport: row.late_report === null ? null : (JSON.parse(row.late_report) as AttemptReport),
  };
}

/** The Execution shape of an execution row and its attempt rows. */
export function toExecution(row: ExecutionRow, attempts: AttemptRow[]): Execution {
  return {
    id: row.id,
    namespace: row.namespace,
    function: row.function,
    version: row.version,
    status: row.status,
    priority: row.priority,
    input: JSON.parse(row.input) as unknown,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    idempotencyKey: row.idempotency_key,
    callbackUrl: row.callback_url,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    notBefore: row.not_before,
    attempts: attempts.map(toAttempt),
  };
}

/** The FunctionVersion shape of a version row. */
export function toFunctionVersion(row: FunctionVersionRow): FunctionVersion {
  return {
    namespace: row.namespace,
    name: row.name,
    version: row.version,
    document: JSON.parse(row.document) as FunctionDocument,
    createdAt: row.created_at,
  };
}

/** An execution row by id. */
export function selectExecutionRow(db: Db, id: string): ExecutionRow | undefined {
  return sql(db, 'SELECT * FROM executions WHERE id = ?').get(id) as ExecutionRow | undefined;
}

/** The attempt rows of an execution, first attempt first. */
export function selectAttemptRows(db: Db, executionId: string): AttemptRow[] {
  return sql(db, 'SELECT * FROM attempts WHERE execution_id = ? ORDER BY number').all(executionId) as AttemptRow[];
}

/** One execution with its attempts, as the API shows it. */
export function readExecution(db: Db, id: string): Execution | undefined {
  const row = selectExecutionRow(db, id);
  return row && toExecution(row, selectAttemptRows(db, id));
}

/** Executions of these rows with their attempts, read in one query, in the rows' order. */
export function readExecutions(db: Db, rows: ExecutionRow[]): Execution[] {
  if (rows.length === 0) return [];
  const attemptRows = sql(
    db,
    'SELECT * FROM attempts WHERE execution_id IN (SELECT value FROM json_each(?)) ORDER BY execution_id, number',
  ).all(JSON.stringify(rows.map((row) => row.id))) as AttemptRow[];
  const byExecution = new Map<string, AttemptRow[]>();
  for (const attempt of attemptRows) {
    const list = byExecution.get(attempt.execution_id) ?? [];
    list.push(attempt);
    byExecution.set(attempt.execution_id, list);
  }
  return rows.map((row) => toExecution(row, byExecution.get(row.id) ?? []));
}
