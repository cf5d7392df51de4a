import type { ScheduleView } from '../client/types.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { ScheduleState } from '../store/store.js';
import { nextTick, scheduleId } from './schedule-ticks.js';

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
