import type { FunctionDocument, FunctionVersion } from '../../domain/function-spec.js';
import type { FunctionRow as SharedFunctionRow } from '../shared/execution-rows.js';
import { transaction, type Db, type Pool } from './connection.js';
import { toFunctionVersion, type FunctionVersionRow } from './rows.js';
import { controlColumns } from '../shared/control-columns.js';

/** The `functions` row, `deleted` as the dialect stores a boolean. */
export type FunctionRow = SharedFunctionRow<boolean>;

/** One stored version of a function, deleted or not (executions keep running their version). */
export async function selectFunctionVersion(db: Db, namespace: string, name: string, version: number): Promise<FunctionVersion | undefined> {
  const { rows } = await db.query<FunctionVersionRow>('SELECT * FROM function_versions WHERE namespace = $1 AND name = $2 AND version = $3', [
    namespace,
    name,
    version,
  ]);
  return rows[0] && toFunctionVersion(rows[0]);
}

/**
 * Stores the next version of a function. The upsert of `functions` locks its row first, so two
 * controllers deploying the same function at once get versions n and n+1, never both n.
 * Versions keep counting up across a delete, so a redeployed function never reuses a version
 * number that old executions still point at.
 */
export async function putFunction(pool: Pool, document: FunctionDocument): Promise<FunctionVersion> {
  const { namespace, name } = document.metadata;
  return transaction(pool, async (client) => {
    const { rows } = await client.query<{ latest_version: number }>(
      `INSERT INTO functions AS f (namespace, name, latest_version, deleted, parallelism, priority, rate_limit, rate_period_ms, concurrency_key, concurrency_limit)
       VALUES ($1, $2, 1, false, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (namespace, name) DO UPDATE SET
         latest_version = f.latest_version + 1, deleted = false,
         parallelism = excluded.parallelism, priority = excluded.priority,
         rate_limit = excluded.rate_limit, rate_period_ms = excluded.rate_period_ms,
         concurrency_key = excluded.concurrency_key, concurrency_limit = excluded.concurrency_limit
       RETURNING latest_version`,
      [namespace, name, document.spec.parallelism, document.spec.priority, ...controlColumns(document)],
    );
    const version = rows[0].latest_version;
    const inserted = await client.query<FunctionVersionRow>(
      `INSERT INTO function_versions (namespace, name, version, document, created_at) VALUES ($1, $2, $3, $4::json, now()) RETURNING *`,
      [namespace, name, version, JSON.stringify(document)],
    );
    return toFunctionVersion(inserted.rows[0]);
  });
}

/** The latest or a given version of a live function, read in one statement. */
export async function getFunction(db: Db, namespace: string, name: string, version?: number): Promise<FunctionVersion | undefined> {
  const { rows } = await db.query<FunctionVersionRow>(
    `SELECT v.* FROM functions f
     JOIN function_versions v ON v.namespace = f.namespace AND v.name = f.name AND v.version = COALESCE($3, f.latest_version)
     WHERE f.namespace = $1 AND f.name = $2 AND NOT f.deleted`,
    [namespace, name, version ?? null],
  );
  return rows[0] && toFunctionVersion(rows[0]);
}

/** Latest versions of the live functions, by namespace then name. */
export async function listFunctions(db: Db, namespace?: string): Promise<FunctionVersion[]> {
  const { rows } = await db.query<FunctionVersionRow>(
    `SELECT v.* FROM functions f
     JOIN function_versions v ON v.namespace = f.namespace AND v.name = f.name AND v.version = f.latest_version
     WHERE NOT f.deleted AND ($1::text IS NULL OR f.namespace = $1)
     ORDER BY f.namespace COLLATE "C", f.name COLLATE "C"`,
    [namespace ?? null],
  );
  return rows.map(toFunctionVersion);
}
