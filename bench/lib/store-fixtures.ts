/** What the store benches deploy and report through the Store port, without a server. */
import type { FunctionDocument } from '../../src/domain/function-spec.js';
import type { AttemptCompletion, ClaimedAttempt } from '../../src/store/store.js';

/** A `runtime: command` function running `true`, no retries. */
export function commandFunction(name: string, parallelism: number, priority = 0): FunctionDocument {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name, namespace: 'default' },
    spec: {
      runtime: 'command',
      command: ['true'],
      timeout: '1m',
      retry: { limit: 0, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: ['failure'], nonRetryableExitCodes: [] },
      parallelism,
      priority,
    },
  };
}

/** The completion of an attempt that succeeded with no result, ending its execution with nothing to deliver. */
export function succeeded(claimed: ClaimedAttempt, finishedAt: string): AttemptCompletion {
  return {
    executionId: claimed.execution.id,
    attempt: claimed.attempt,
    status: 'succeeded',
    exitCode: 0,
    reason: null,
    error: null,
    result: null,
    finishedAt,
    settlement: { next: 'finish', status: 'succeeded', notified: true },
  };
}
