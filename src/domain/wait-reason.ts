import type { ConcurrencySpec } from './concurrency-key.js';
import { rateAllowance, rateSlotFreesAt, ratePeriodMs, type RateLimit } from './rate-limit.js';

/**
 * Why a queued execution has not started, the first that holds of:
 * - `notBefore`: it was asked to run later, or waits out a retry's backoff, until `until`;
 * - `rateLimited`: its function started `limit` attempts in the last `period`; one may start at `until`;
 * - `concurrencyKey`: its key has `limit` executions running;
 * - `parallelism`: its function has `limit` executions running;
 * - `ready`: nothing holds it back but its turn (priority, then age) and free capacity.
 */
export type WaitReason =
  | { reason: 'notBefore'; until: string }
  | { reason: 'rateLimited'; until: string; limit: number; period: string }
  | { reason: 'concurrencyKey'; key: string | null; running: number; limit: number }
  | { reason: 'parallelism'; running: number; limit: number }
  | { reason: 'ready' };

/** What a function's executions use now, as the store counts it. */
export interface FunctionLoad {
  /** Running executions of the function. */
  running: number;
  /** Running executions with the execution's concurrency key. */
  keyRunning: number;
  /** Attempts started in the rate limit's current window. */
  startedInWindow: number;
  /** The oldest start in that window, null when none. */
  oldestStartInWindow: string | null;
}

/** The controls of a function that can hold an execution back. */
export interface SchedulingControls {
  parallelism: number;
  rateLimit?: RateLimit;
  concurrency?: ConcurrencySpec;
}

/** Why a queued execution waits (see WaitReason), from its function's controls and load at `now`. */
export function waitReason(
  execution: { notBefore: string | null; concurrencyKey: string | null },
  controls: SchedulingControls,
  load: FunctionLoad,
  now: string,
): WaitReason {
  if (execution.notBefore !== null && Date.parse(execution.notBefore) > Date.parse(now)) return { reason: 'notBefore', until: execution.notBefore };
  const { rateLimit, concurrency, parallelism } = controls;
  if (rateLimit && rateAllowance(rateLimit.limit, load.startedInWindow) === 0 && load.oldestStartInWindow !== null) {
    return { reason: 'rateLimited', until: rateSlotFreesAt(load.oldestStartInWindow, ratePeriodMs(rateLimit)), limit: rateLimit.limit, period: rateLimit.period };
  }
  if (concurrency && load.keyRunning >= concurrency.limit) {
    return { reason: 'concurrencyKey', key: execution.concurrencyKey, running: load.keyRunning, limit: concurrency.limit };
  }
  if (load.running >= parallelism) return { reason: 'parallelism', running: load.running, limit: parallelism };
  return { reason: 'ready' };
}

/** One line saying why an execution waits, for the CLI and the dashboard. */
export function describeWait(wait: WaitReason): string {
  switch (wait.reason) {
    case 'notBefore':
      return `not before ${wait.until}`;
    case 'rateLimited':
      return `rate limited (${wait.limit} per ${wait.period}) until ${wait.until}`;
    case 'concurrencyKey':
      return `concurrency key ${wait.key === null ? '(none)' : JSON.stringify(wait.key)} at its limit (${wait.running} of ${wait.limit} running)`;
    case 'parallelism':
      return `function at its parallelism (${wait.running} of ${wait.limit} running)`;
    case 'ready':
      return 'ready: waiting for its turn and a free slot';
  }
}
