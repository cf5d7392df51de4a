import type { Execution } from '../../domain/execution.js';
import type * as shared from '../shared/execution-rows.js';
import { rowMappers } from '../shared/row-mappers.js';
import { fromParsedJson, isoTime } from '../shared/stored-values.js';
import type { Db } from './connection.js';

/** A row of `executions`, as the pool's type parsers return it (json parsed, times as ISO text). */
export type ExecutionRow = shared.ExecutionRow<unknown>;
/** A row of `attempts`, json parsed. */
export type AttemptRow = shared.AttemptRow<unknown>;
/** A row of `function_versions`, the document parsed. */
export type FunctionVersionRow = shared.FunctionVersionRow<unknown>;

/** This dialect's row mappers: json columns come back parsed. */
export const { toExecution, toFunctionVersion, toRule, toDelivery } = rowMappers(fromParsedJson);

/**
 * An attempt row read through json, its timestamps in the port's form: json carries
 * PostgreSQL's own ISO form (+00:00), where the type parsers give toISOString's.
 */
export function withIsoTimes(row: AttemptRow): AttemptRow {
  return { ...row, started_at: isoTime(row.started_at), finished_at: row.finished_at === null ? null : isoTime(row.finished_at) };
}

/**
 * Selects executions with their attempts in one statement, so that both come from one snapshot
 * (two statements could straddle another controller's commit) and one round trip. Attempts come
 * back as json, whose timestamps withIsoTimes normalizes.
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
  return rows.map((row) => ({ seq: row.seq, execution: toExecution(row, row.attempts.map(withIsoTimes)) }));
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
