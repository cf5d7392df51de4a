import type { AttemptReport } from '../domain/execution.js';
import type { FunctionSpec } from '../domain/function-spec.js';
import { decideRetry } from '../domain/retry-policy.js';
import type { AttemptCompletion, AttemptRef } from '../store/store.js';

/** How an attempt ended, as the engine learned it: a report from its observer or replica, a lost lease, or a lost replica. */
export type AttemptOutcome = AttemptReport | { status: 'lost'; reason: 'LeaseExpired' | 'Interrupted' | 'ReplicaLost' | 'OOMKilled'; error: string };

/**
 * Turns an attempt's outcome into the completion the store applies: success finishes the
 * execution; anything else goes through the function's retry policy. Pure: the clock and the
 * jitter source are passed in. `retry` is undefined when the function no longer exists, and then
 * nothing is retried.
 */
export function settleAttempt(
  ref: AttemptRef,
  outcome: AttemptOutcome,
  retry: FunctionSpec['retry'] | undefined,
  now: Date,
  random: () => number = Math.random,
): AttemptCompletion {
  const base = {
    ...ref,
    status: outcome.status,
    exitCode: 'exitCode' in outcome ? outcome.exitCode : null,
    reason: outcome.reason,
    error: outcome.error,
    result: outcome.status === 'succeeded' ? outcome.result : null,
    finishedAt: now.toISOString(),
  };
  if (outcome.status === 'succeeded') return { ...base, settlement: { next: 'finish', status: 'succeeded' } };

  const finalStatus = outcome.status === 'timed_out' ? 'timed_out' : 'failed';
  if (!retry) return { ...base, settlement: { next: 'finish', status: finalStatus } };
  const decision = decideRetry(retry, { number: ref.attempt, status: outcome.status, exitCode: base.exitCode }, random);
  if (decision.retry) {
    return { ...base, settlement: { next: 'retry', notBefore: new Date(now.getTime() + decision.delayMs).toISOString() } };
  }
  const nonRetryable = base.exitCode !== null && retry.nonRetryableExitCodes.includes(base.exitCode);
  return {
    ...base,
    reason: nonRetryable ? 'NonRetryableExitCode' : base.reason,
    settlement: { next: 'finish', status: finalStatus },
  };
}
