import type { Execution } from '../../domain/execution.js';
import type * as shared from '../shared/execution-rows.js';
import { rowMappers } from '../shared/row-mappers.js';
import { fromJsonText } from '../shared/stored-values.js';
import { sql, type Db } from './connection.js';

/** A row of `executions`, json columns as text. */
export type ExecutionRow = shared.ExecutionRow<string>;
/** A row of `attempts`, json columns as text. */
export type AttemptRow = shared.AttemptRow<string>;
/** A row of `function_versions`, the document as text. */
export type FunctionVersionRow = shared.FunctionVersionRow<string>;

/** This dialect's row mappers: json columns come back as the stored text. */
export const { toExecution, toFunctionVersion, toRule, toDelivery } = rowMappers(fromJsonText);

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
