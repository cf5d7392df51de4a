import { durationMs } from './duration.js';
import type { AttemptStatus } from './execution.js';
import type { FunctionSpec, RetryableOutcome } from './function-spec.js';

/** What follows an attempt that did not succeed. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/** The settled attempt the policy judges. */
export interface SettledAttempt {
  number: number;
  status: Exclude<AttemptStatus, 'running' | 'succeeded' | 'cancelled'>;
  exitCode: number | null;
}

const outcomeOf: Record<SettledAttempt['status'], RetryableOutcome> = {
  failed: 'failure',
  timed_out: 'timeout',
  lost: 'lost',
};

/**
 * Decides whether an execution gets another attempt and after what delay. `random` returns a
 * number in [0, 1) and is injected so that jitter is testable.
 */
export function decideRetry(retry: FunctionSpec['retry'], attempt: SettledAttempt, random: () => number = Math.random): RetryDecision {
  const outcome = outcomeOf[attempt.status];
  if (!retry.on.includes(outcome)) return { retry: false, why: `retry.on does not include ${outcome}` };
  if (attempt.exitCode !== null && retry.nonRetryableExitCodes.includes(attempt.exitCode)) {
    return { retry: false, why: `exit code ${attempt.exitCode} is non-retryable` };
  }
  if (attempt.number > retry.limit) return { retry: false, why: `retry limit ${retry.limit} reached` };
  return { retry: true, delayMs: backoffDelay(retry.backoff, attempt.number, random) };
}

/**
 * Delay before retry number `retryNumber` (1 for the first retry): initial × factor^(n-1), capped
 * at max. With jitter the delay is drawn from [delay/2, delay] ("equal jitter"), which spreads a
 * burst of retries while keeping at least half the intended wait.
 */
export function backoffDelay(backoff: FunctionSpec['retry']['backoff'], retryNumber: number, random: () => number = Math.random): number {
  const initial = durationMs(backoff.initial);
  const max = durationMs(backoff.max);
  const exponential = Math.min(max, initial * Math.pow(backoff.factor, Math.max(0, retryNumber - 1)));
  if (!backoff.jitter) return Math.round(exponential);
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
