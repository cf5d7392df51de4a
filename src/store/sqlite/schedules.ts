import type { ScheduleAdvance, ScheduleAdvanced, ScheduleState } from '../store.js';
import { isExpectedTick, needsLiveExecutions, notApplied, planConcurrency } from '../shared/schedule-advance.js';
import { isoTime } from '../shared/stored-values.js';
import { toScheduleState, type ScheduleStateRow } from '../shared/trigger-rows.js';
import { cancelExecution } from './cancel-execution.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { enqueueExecutions } from './enqueue-executions.js';

/** Stored schedule states, of one namespace or all. */
export function listScheduleStates(db: Db, namespace?: string): ScheduleState[] {
  const rows = namespace === undefined
    ? (sql(db, 'SELECT * FROM schedule_states ORDER BY namespace, function, schedule').all() as ScheduleStateRow[])
    : (sql(db, 'SELECT * FROM schedule_states WHERE namespace = ? ORDER BY function, schedule').all(namespace) as ScheduleStateRow[]);
  return rows.map(toScheduleState);
}

/** Ids of this schedule's executions still queued or running (keys are `keyPrefix…`). */
function liveExecutionIds(db: Db, advance: ScheduleAdvance): string[] {
  // A range on the key, not LIKE, so that the partial index executions_live_keys serves it and
  // no character of the prefix is read as a wildcard.
  const rows = sql(
    db,
    `SELECT id FROM executions
     WHERE namespace = ? AND function = ? AND idempotency_key IS NOT NULL AND status IN ('queued', 'running')
       AND idempotency_key >= ? AND idempotency_key < ?`,
  ).all(advance.namespace, advance.function, advance.keyPrefix, `${advance.keyPrefix}\uffff`) as { id: string }[];
  return rows.map((row) => row.id);
}

/**
 * Records a schedule's newest tick and starts its executions in one transaction, compare-and-set
 * on the stored last tick: the tick and its executions are written together or not at all, so a
 * crash between them cannot fire a tick twice or lose it.
 */
export function advanceSchedule(db: Db, advance: ScheduleAdvance, now: string): ScheduleAdvanced {
  const at = isoTime(now);
  const tick = isoTime(advance.tick);
  return writeTransaction(db, () => {
    const stored = sql(db, 'SELECT last_tick FROM schedule_states WHERE namespace = ? AND function = ? AND schedule = ?').get(
      advance.namespace,
      advance.function,
      advance.schedule,
    ) as { last_tick: string } | undefined;
    if (!isExpectedTick(stored?.last_tick, advance)) return notApplied();

    const { forbidden, cancel } = planConcurrency(advance, needsLiveExecutions(advance) ? liveExecutionIds(db, advance) : []);
    for (const id of cancel) cancelExecution(db, id, at);
    const started = forbidden ? [] : enqueueExecutions(db, advance.executions, at).filter((entry) => entry.created).map((entry) => entry.execution);
    const fired = started.length > 0 ? tick : null;
    sql(
      db,
      `INSERT INTO schedule_states (namespace, function, schedule, last_tick, last_fired_tick, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, function, schedule) DO UPDATE SET last_tick = excluded.last_tick,
         last_fired_tick = COALESCE(excluded.last_fired_tick, schedule_states.last_fired_tick), recorded_at = excluded.recorded_at`,
    ).run(advance.namespace, advance.function, advance.schedule, tick, fired, at);
    return { applied: true, started, cancelled: cancel, forbidden };
  });
}
