import type { ScheduleAdvance, ScheduleAdvanced } from '../store.js';
import { isoTime } from './stored-values.js';

/** True when the stored last tick (undefined: no state stored yet) is the one the advance was decided from. */
export function isExpectedTick(storedLastTick: string | undefined, advance: ScheduleAdvance): boolean {
  const expected = advance.expectedLastTick === null ? null : isoTime(advance.expectedLastTick);
  return (storedLastTick ?? null) === expected;
}

/** The answer to an advance whose compare-and-set failed: another decision got there first. */
export function notApplied(): ScheduleAdvanced {
  return { applied: false, started: [], cancelled: [], forbidden: false };
}

/** True when the concurrency policy depends on this schedule's live executions, so they must be read. */
export function needsLiveExecutions(advance: ScheduleAdvance): boolean {
  return advance.executions.length > 0 && advance.concurrencyPolicy !== 'Allow';
}

/** What the concurrency policy makes of the schedule's live executions. */
export interface ConcurrencyPlan {
  /** Forbid with a live execution: start nothing (the tick is still recorded). */
  forbidden: boolean;
  /** Replace: the live executions to cancel before starting. */
  cancel: string[];
}

/** Applies the advance's concurrency policy to the ids of its schedule's queued or running executions. */
export function planConcurrency(advance: ScheduleAdvance, liveIds: string[]): ConcurrencyPlan {
  switch (advance.concurrencyPolicy) {
    case 'Forbid':
      return { forbidden: liveIds.length > 0, cancel: [] };
    case 'Replace':
      return { forbidden: false, cancel: liveIds };
    default:
      return { forbidden: false, cancel: [] };
  }
}
