import type { FunctionVersion } from '../domain/function-spec.js';
import type { ScheduleState } from '../store/store.js';
import { nextTick, scheduleId } from './schedule-ticks.js';

/** A schedule as `get schedules` shows it: its spec, its last ticks and its next one. */
export interface ScheduleView {
  namespace: string;
  function: string;
  schedule: string;
  cron: string;
  timezone: string;
  concurrencyPolicy: string;
  missedRunPolicy: string;
  suspend: boolean;
  /** The newest tick that started an execution. */
  lastFireTime: string | null;
  /** The newest tick accounted for (fired, or skipped by policy). */
  lastTick: string | null;
  /** The next tick the scheduler will consider; null when suspended or when the cron has none. */
  nextFireTime: string | null;
}

/** The schedules of these functions with their stored states, in function then schedule order. */
export function scheduleViews(functions: FunctionVersion[], states: ScheduleState[], now: Date): ScheduleView[] {
  const byKey = new Map(states.map((state) => [`${state.namespace}/${state.function}/${state.schedule}`, state]));
  return functions.flatMap((fn) =>
    (fn.document.spec.schedules ?? []).map((schedule, index): ScheduleView => {
      const id = scheduleId(schedule, index);
      const state = byKey.get(`${fn.namespace}/${fn.name}/${id}`);
      const from = state && new Date(state.lastTick) > now ? new Date(state.lastTick) : now;
      return {
        namespace: fn.namespace,
        function: fn.name,
        schedule: id,
        cron: schedule.cron,
        timezone: schedule.timezone,
        concurrencyPolicy: schedule.concurrencyPolicy,
        missedRunPolicy: schedule.missedRunPolicy,
        suspend: schedule.suspend,
        lastFireTime: state?.lastFiredTick ?? null,
        lastTick: state?.lastTick ?? null,
        nextFireTime: schedule.suspend ? null : (nextTick(schedule.cron, schedule.timezone, from)?.toISOString() ?? null),
      };
    }),
  );
}
