import type { Rule } from '../store.js';
import { isoTime } from '../shared/stored-values.js';
import type { RuleRow } from '../shared/trigger-rows.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { toRule } from './rows.js';

/** Creates or replaces a rule, keeping its creation time. */
export function putRule(db: Db, rule: Omit<Rule, 'createdAt' | 'updatedAt'>, now: string): { rule: Rule; created: boolean } {
  const at = isoTime(now);
  return writeTransaction(db, () => {
    const existing = sql(db, 'SELECT created_at FROM rules WHERE namespace = ? AND name = ?').get(rule.namespace, rule.name) as
      | { created_at: string }
      | undefined;
    const row = sql(
      db,
      `INSERT INTO rules (namespace, name, match, function, priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, name) DO UPDATE SET match = excluded.match, function = excluded.function,
         priority = excluded.priority, updated_at = excluded.updated_at
       RETURNING *`,
    ).get(rule.namespace, rule.name, JSON.stringify(rule.match), rule.function, rule.priority ?? null, existing?.created_at ?? at, at) as RuleRow<string>;
    return { rule: toRule(row), created: existing === undefined };
  });
}

/** One rule. */
export function getRule(db: Db, namespace: string, name: string): Rule | undefined {
  const row = sql(db, 'SELECT * FROM rules WHERE namespace = ? AND name = ?').get(namespace, name) as RuleRow<string> | undefined;
  return row && toRule(row);
}

/** Rules by name, of one namespace or all. */
export function listRules(db: Db, namespace?: string): Rule[] {
  const rows = namespace === undefined
    ? (sql(db, 'SELECT * FROM rules ORDER BY namespace, name').all() as RuleRow<string>[])
    : (sql(db, 'SELECT * FROM rules WHERE namespace = ? ORDER BY name').all(namespace) as RuleRow<string>[]);
  return rows.map(toRule);
}

/** Deletes a rule; false when absent. */
export function deleteRule(db: Db, namespace: string, name: string): boolean {
  return sql(db, 'DELETE FROM rules WHERE namespace = ? AND name = ?').run(namespace, name).changes > 0;
}
