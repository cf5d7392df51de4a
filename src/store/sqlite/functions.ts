import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import type { FunctionRow as SharedFunctionRow } from '../shared/execution-rows.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { toFunctionVersion, type FunctionVersionRow } from './rows.js';
import { controlColumns } from '../shared/control-columns.js';

/** The `functions` row, `deleted` as the dialect stores a boolean. */
export type FunctionRow = SharedFunctionRow<0 | 1>;

/** The `functions` row of a function, deleted or not. */
export function selectFunctionRow(db: Db, namespace: string, name: string): FunctionRow | undefined {
  return sql(db, 'SELECT * FROM functions WHERE namespace = ? AND name = ?').get(namespace, name) as FunctionRow | undefined;
}

/** One stored version of a function, deleted or not (executions keep running their version). */
export function selectFunctionVersion(db: Db, namespace: string, name: string, version: number): FunctionVersion | undefined {
  const row = sql(db, 'SELECT * FROM function_versions WHERE namespace = ? AND name = ? AND version = ?').get(namespace, name, version) as
    | FunctionVersionRow
    | undefined;
  return row && toFunctionVersion(row);
}

/**
 * Stores the next version of a function. Versions keep counting up across a delete, so a
 * redeployed function never reuses a version number that old executions still point at.
 */
export function putFunction(db: Db, document: FunctionDocument): FunctionVersion {
  return writeTransaction(db, () => {
    const { namespace, name } = document.metadata;
    const version = (selectFunctionRow(db, namespace, name)?.latest_version ?? 0) + 1;
    const createdAt = new Date().toISOString();
    sql(db, 'INSERT INTO function_versions (namespace, name, version, document, created_at) VALUES (?, ?, ?, ?, ?)').run(
      namespace,
      name,
      version,
      JSON.stringify(document),
      createdAt,
    );
    sql(
      db,
      `INSERT INTO functions (namespace, name, latest_version, deleted, parallelism, priority, rate_limit, rate_period_ms, concurrency_key, concurrency_limit)
       VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, name) DO UPDATE SET
         latest_version = excluded.latest_version, deleted = 0,
         parallelism = excluded.parallelism, priority = excluded.priority,
         rate_limit = excluded.rate_limit, rate_period_ms = excluded.rate_period_ms,
         concurrency_key = excluded.concurrency_key, concurrency_limit = excluded.concurrency_limit`,
    ).run(namespace, name, version, document.spec.parallelism, document.spec.priority, ...controlColumns(document));
    return { namespace, name, version, document, createdAt };
  });
}

/** The latest or a given version of a live function. */
export function getFunction(db: Db, namespace: string, name: string, version?: number): FunctionVersion | undefined {
  const current = selectFunctionRow(db, namespace, name);
  if (!current || current.deleted) return undefined;
  return selectFunctionVersion(db, namespace, name, version ?? current.latest_version);
}

/** Latest versions of the live functions, by namespace then name. */
export function listFunctions(db: Db, namespace?: string): FunctionVersion[] {
  const inNamespace = namespace === undefined ? '' : 'AND f.namespace = ?';
  const rows = sql(
    db,
    `SELECT v.* FROM functions f
     JOIN function_versions v ON v.namespace = f.namespace AND v.name = f.name AND v.version = f.latest_version
     WHERE f.deleted = 0 ${inNamespace}
     ORDER BY f.namespace, f.name`,
  ).all(...(namespace === undefined ? [] : [namespace])) as FunctionVersionRow[];
  return rows.map(toFunctionVersion);
}
