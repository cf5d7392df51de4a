import { performance } from 'node:perf_hooks';
import type { AttemptCompletion, Store } from '../store/store.js';
import type { PontoonMetrics } from './metrics.js';
import { TransitionMetrics } from './transition-metrics.js';

/** Methods that are not store operations: not timed. */
const untimed = new Set<PropertyKey>(['onWake', 'leaderLock', 'constructor']);

/**
 * The Store port with metrics around it, for either adapter unchanged: every operation is timed
 * into `pontoon_store_operation_duration_seconds{operation}`, and the answers of those that move
 * an execution feed the transition counters. Whatever the adapter has beyond the port (the
 * PostgreSQL leader lock) passes through.
 */
export function instrumentStore<S extends Store>(store: S, metrics: PontoonMetrics, clock: () => Date = () => new Date()): S {
  const transitions = new TransitionMetrics(metrics);
  const settledBatch = (completions: AttemptCompletion[], applied: boolean[]) => transitions.completedBatch(completions, applied);
  const observe: Partial<Record<keyof Store, (args: any[], result: any) => void>> = {
    enqueueExecutions: (_args, result) => transitions.enqueued(result),
    advanceSchedule: ([advance], result) => transitions.scheduleAdvanced(advance, result),
    claimExecutions: (_args, result) => transitions.claimed(result, clock()),
    adoptAttempts: (_args, result) => {
      transitions.seen(result.adopted.map((adopted: { execution: unknown; attempt: number }) => adopted));
      transitions.forgotten(result.over);
    },
    listExpiredAttempts: (_args, result) => transitions.seen(result.map((expired: { execution: unknown; attempt: number }) => expired)),
    renewLeases: (_args, result) => transitions.forgotten(result),
    completeAttempt: ([completion], applied) => transitions.completed(completion as AttemptCompletion, applied),
    completeAndClaim: ([completion], result) => {
      transitions.completed(completion as AttemptCompletion, result.applied);
      transitions.claimed(result.claimed, clock());
    },
    // The warm replicas' batched steps move executions as the dispatcher's do, and count the same.
    claimFunctionExecutions: (_args, result) => transitions.claimed(result, clock()),
    completeAttempts: ([completions], applied) => settledBatch(completions, applied),
    completeAndClaimFunction: ([completions], result) => {
      settledBatch(completions, result.applied);
      transitions.claimed(result.claimed, clock());
    },
    enqueueAndClaimFunction: (_args, result) => {
      transitions.enqueued(result.enqueued);
      transitions.claimed(result.claimed, clock());
    },
    cancelExecution: ([, now], result) => transitions.cancelled(result, now),
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || untimed.has(property)) return value;
      const operation = String(property);
      const after = observe[operation as keyof Store];
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = value.apply(target, args);
        if (!(result instanceof Promise)) {
          metrics.storeLatency.observe({ operation }, (performance.now() - started) / 1000);
          return result;
        }
        return result.then((answer) => {
          metrics.storeLatency.observe({ operation }, (performance.now() - started) / 1000);
          try {
            after?.(args, answer);
          } catch {
            // A metric is never worth failing the operation it describes.
          }
          return answer;
        });
      };
    },
  });
}
