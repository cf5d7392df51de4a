import type pg from 'pg';
import type { ScheduleAdvance, ScheduleAdvanced, ScheduleState } from '../store.js';
import { isExpectedTick, needsLiveExecutions, notApplied, planConcurrency } from '../shared/schedule-advance.js';
import { isoTime } from '../shared/stored-values.js';
import { toScheduleState, type ScheduleStateRow } from '../shared/trigger-rows.js';
import { cancelIn } from './cancel-execution.js';
import { lockClass, transaction, type Db, type Pool } from './connection.js';
import { enqueueIn } from './enqueue-executions.js';

/** Stored schedule states, of one namespace or all. */
export async function listScheduleStates(db: Db, namespace?: string): Promise<ScheduleState[]> {
  const { rows } = await db.query<ScheduleStateRow>(
    `SELECT * FROM schedule_states WHERE ($1::text IS NULL OR namespace = $1)
     ORDER BY namespace COLLATE "C", function COLLATE "C", schedule COLLATE "C"`,
    [namespace ?? null],
  );
  return rows.map(toScheduleState);
}

/** Ids of this schedule's executions still queued or running (keys are `keyPrefix…`), oldest first. */
async function liveExecutionIds(client: pg.PoolClient, advance: ScheduleAdvance): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id FROM executions
     WHERE namespace = $1 AND function = $2 AND idempotency_key IS NOT NULL AND status IN ('queued', 'running')
       AND starts_with(idempotency_key, $3)
     ORDER BY seq`,
    [advance.namespace, advance.function, advance.keyPrefix],
  );
  return rows.map((row) => row.id);
}

/**
 * Records a schedule's newest tick and starts its executions in one transaction, compare-and-set
 * on the stored last tick. Two controllers may both believe they lead for a moment (see
 * leader-lock.ts), so the compare-and-set must hold across connections: a transaction-level
 * advisory lock per schedule makes the second wait for the first and then see its tick, which a
 * row lock could not do for a schedule that has no row yet.
 */
export async function advanceSchedule(pool: Pool, advance: ScheduleAdvance, now: string): Promise<ScheduleAdvanced> {
  const at = isoTime(now);
  const tick = isoTime(advance.tick);
  return transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockClass.schedule, `${advance.namespace}/${advance.function}/${advance.schedule}`]);
    const { rows } = await client.query<{ last_tick: string }>('SELECT last_tick FROM schedule_states WHERE namespace = $1 AND function = $2 AND schedule = $3', [
      advance.namespace,
      advance.function,
      advance.schedule,
    ]);
    if (!isExpectedTick(rows[0]?.last_tick, advance)) return notApplied();

    const { forbidden, cancel } = planConcurrency(advance, needsLiveExecutions(advance) ? await liveExecutionIds(client, advance) : []);
    for (const id of cancel) await cancelIn(client, id, at);
    const started = forbidden ? [] : (await enqueueIn(client, advance.executions, at)).filter((entry) => entry.created).map((entry) => entry.execution);
    await client.query(
      `INSERT INTO schedule_states AS s (namespace, function, schedule, last_tick, last_fired_tick, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (namespace, function, schedule) DO UPDATE SET last_tick = excluded.last_tick,
         last_fired_tick = COALESCE(excluded.last_fired_tick, s.last_fired_tick), recorded_at = excluded.recorded_at`,
      [advance.namespace, advance.function, advance.schedule, tick, started.length > 0 ? tick : null, at],
    );
    return { applied: true, started, cancelled: cancel, forbidden };
  });
}
