import type { Rule } from '../store.js';
import { isoTime } from '../shared/stored-values.js';
import type { RuleRow } from '../shared/trigger-rows.js';
import type { Db } from './connection.js';
import { toRule } from './rows.js';

/** Creates or replaces a rule in one statement, keeping its creation time; `created` tells which. */
export async function putRule(db: Db, rule: Omit<Rule, 'createdAt' | 'updatedAt'>, now: string): Promise<{ rule: Rule; created: boolean }> {
  const at = isoTime(now);
  const { rows } = await db.query<RuleRow<unknown> & { inserted: boolean }>(
    `INSERT INTO rules AS r (namespace, name, match, function, priority, created_at, updated_at) VALUES ($1, $2, $3::json, $4, $5, $6, $6)
     ON CONFLICT (namespace, name) DO UPDATE SET match = excluded.match, function = excluded.function,
       priority = excluded.priority, updated_at = excluded.updated_at
     RETURNING *, (xmax = 0) AS inserted`,
    [rule.namespace, rule.name, JSON.stringify(rule.match), rule.function, rule.priority ?? null, at],
  );
  // xmax is 0 on a freshly inserted row and set on one the upsert updated.
  const { inserted, ...row } = rows[0];
  return { rule: toRule(row), created: inserted };
}

/** One rule. */
export async function getRule(db: Db, namespace: string, name: string): Promise<Rule | undefined> {
  const { rows } = await db.query<RuleRow<unknown>>('SELECT * FROM rules WHERE namespace = $1 AND name = $2', [namespace, name]);
  return rows[0] && toRule(rows[0]);
}

/** Rules by name, of one namespace or all. */
export async function listRules(db: Db, namespace?: string): Promise<Rule[]> {
  const { rows } = await db.query<RuleRow<unknown>>(
    'SELECT * FROM rules WHERE ($1::text IS NULL OR namespace = $1) ORDER BY namespace COLLATE "C", name COLLATE "C"',
    [namespace ?? null],
  );
  return rows.map(toRule);
}

/** Deletes a rule; false when absent. */
export async function deleteRule(db: Db, namespace: string, name: string): Promise<boolean> {
  const result = await db.query('DELETE FROM rules WHERE namespace = $1 AND name = $2', [namespace, name]);
  return (result.rowCount ?? 0) > 0;
}
