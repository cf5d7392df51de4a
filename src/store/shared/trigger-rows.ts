import type { Delivery, DeliveryStatus, Rule, ScheduleState } from '../store.js';
import type { JsonReader } from './stored-values.js';

/** A row of `schedule_states`. */
export interface ScheduleStateRow {
  namespace: string;
  function: string;
  schedule: string;
  last_tick: string;
  last_fired_tick: string | null;
  recorded_at: string;
}

/** A row of `rules`; `Json` is how the driver returns the json `match` column. */
export interface RuleRow<Json> {
  namespace: string;
  name: string;
  match: Json;
  function: string;
  priority: number | null;
  created_at: string;
  updated_at: string;
}

/** A row of `deliveries`; `Json` is how the driver returns the json `event` column. */
export interface DeliveryRow<Json> {
  seq: number;
  id: string;
  execution_id: string;
  namespace: string;
  function: string;
  kind: 'sink' | 'callback';
  url: string;
  event: Json;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** The ScheduleState shape of a schedule state row. */
export function toScheduleState(row: ScheduleStateRow): ScheduleState {
  return { namespace: row.namespace, function: row.function, schedule: row.schedule, lastTick: row.last_tick, lastFiredTick: row.last_fired_tick, recordedAt: row.recorded_at };
}

/** The Rule shape of a rule row; a rule without its own priority has no `priority` key. */
export function toRule<Json>(row: RuleRow<Json>, readJson: JsonReader<Json>): Rule {
  const rule: Rule = {
    namespace: row.namespace,
    name: row.name,
    match: readJson(row.match) as Rule['match'],
    function: row.function,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.priority !== null) rule.priority = row.priority;
  return rule;
}

/** The Delivery shape of a delivery row. */
export function toDelivery<Json>(row: DeliveryRow<Json>, readJson: JsonReader<Json>): Delivery {
  return {
    id: row.id,
    executionId: row.execution_id,
    namespace: row.namespace,
    function: row.function,
    kind: row.kind,
    url: row.url,
    event: readJson(row.event) as Record<string, unknown>,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}
