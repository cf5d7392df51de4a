import type { Attempt, AttemptReason, AttemptReport, AttemptStatus, Execution, ExecutionStatus } from '../../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import type { Db } from './connection.js';

/** A row of `executions`, as the pool's type parsers return it (json parsed, times as ISO text). */
export interface ExecutionRow {
  seq: number;
  id: string;
  namespace: string;
  function: string;
  version: number;
  status: ExecutionStatus;
  priority: number;
  input: unknown;
  result: unknown;
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
  late_report: AttemptReport | null;
}

/** A row of `function_versions`. */
export interface FunctionVersionRow {
  namespace: string;
  name: string;
  version: number;
  document: FunctionDocument;
  created_at: string;
}

/** JSON text for a json column; undefined is stored as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Checks a timestamp the caller passed; PostgreSQL would otherwise accept forms JavaScript reads differently. */
export function isoTime(value: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new Error(`not a timestamp: ${value}`);
  return time.toISOString();
}

/** The ISO timestamp `ms` milliseconds after `iso`. */
export function isoAfter(iso: string, ms: number): string {
  return new Date(new Date(iso).getTime() + ms).toISOString();
}

/** The Attempt shape of an attempt row. */
export function toAttempt(row: AttemptRow): Attempt {
  return {
    number: row.number,
    status: row.status,
    exitCode: row.exit_code,
    reason: row.reason,
    error: row.error,
    // Rows read through json carry PostgreSQL's own ISO form (+00:00); the port speaks toISOString's.
    startedAt: isoTime(row.started_at),
    finishedAt: row.finished_at === null ? null : isoTime(row.finished_at),
    owner: row.owner,
    lateReport: row.late_report,
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
    input: row.input,
    result: row.result,
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
  return { namespace: row.namespace, name: row.name, version: row.version, document: row.document, createdAt: row.created_at };
}

/**
 * Selects executions with their attempts in one statement, so that both come from one snapshot
 * (two statements could straddle another controller's commit) and one round trip. Attempts come
 * back as json, whose timestamps toAttempt normalizes.
 */
const selectWithAttempts = `
  SELECT e.*, (
    SELECT COALESCE(json_agg(a ORDER BY a.number), '[]'::json) FROM attempts a WHERE a.execution_id = e.id
  ) AS attempts
  FROM executions e`;

/** An execution row with its attempts as json. */
type ExecutionWithAttempts = ExecutionRow & { attempts: AttemptRow[] };

/** Executions matching `where` (over alias `e`), in the order `orderBy` gives. */
export async function selectExecutions(db: Db, where: string, values: unknown[], orderBy = ''): Promise<{ seq: number; execution: Execution }[]> {
  const { rows } = await db.query<ExecutionWithAttempts>(`${selectWithAttempts} WHERE ${where} ${orderBy}`, values);
  return rows.map((row) => ({ seq: row.seq, execution: toExecution(row, row.attempts) }));
}

/** One execution with its attempts, or undefined. */
export async function readExecution(db: Db, id: string): Promise<Execution | undefined> {
  const [found] = await selectExecutions(db, 'e.id = $1', [id]);
  return found?.execution;
}

/** Executions by id, in the order of `ids`. */
export async function readExecutionsById(db: Db, ids: string[]): Promise<Map<string, Execution>> {
  const found = await selectExecutions(db, 'e.id = ANY($1::text[])', [ids]);
  return new Map(found.map(({ execution }) => [execution.id, execution]));
}
