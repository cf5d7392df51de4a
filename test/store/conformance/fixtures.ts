import type { AttemptReason } from '../../../src/domain/execution.js';
import type { FunctionDocument } from '../../../src/domain/function-spec.js';
import type { AttemptCompletion, AttemptRef, AttemptSettlement, Enqueued, NewExecution, Store } from '../../../src/store/store.js';

/** Opens a fresh, empty store of the adapter under test. */
export type OpenStore = () => Promise<Store>;

/** Wraps a test body so it gets a fresh store that is closed afterwards, pass or fail. */
export function withStore(open: OpenStore, body: (store: Store) => Promise<void>): () => Promise<void> {
  return async () => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };
}

const base = Date.parse('2030-01-01T00:00:00.000Z');

/** The ISO timestamp `seconds` after the tests' fixed origin; the store only ever sees these clocks. */
export function at(seconds: number): string {
  return new Date(base + seconds * 1000).toISOString();
}

/** A valid Function document; `revision` lands in a label so tests can tell versions apart. */
export function functionDocument(
  name: string,
  options: { namespace?: string; parallelism?: number; priority?: number; revision?: string } = {},
): FunctionDocument {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name, namespace: options.namespace ?? 'default', labels: { revision: options.revision ?? 'r1' } },
    spec: {
      runtime: 'command',
      command: ['node', '-e', 'process.exit(0)'],
      timeout: '1m',
      retry: { limit: 2, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: ['failure', 'timeout', 'lost'], nonRetryableExitCodes: [] },
      parallelism: options.parallelism ?? 10,
      priority: options.priority ?? 0,
    },
  };
}

/** Enqueues one execution and returns it. */
export async function enqueueOne(store: Store, request: Partial<NewExecution> & { function: string }, now = at(0)): Promise<Enqueued> {
  const [enqueued] = await store.enqueueExecutions([{ namespace: 'default', input: null, ...request }], now);
  return enqueued;
}

/** Enqueues `count` executions of one function, oldest first, with inputs 0..count-1. */
export async function enqueueMany(store: Store, fn: string, count: number, namespace = 'default', now = at(0)): Promise<string[]> {
  const requests = Array.from({ length: count }, (_, index) => ({ namespace, function: fn, input: index }));
  return (await store.enqueueExecutions(requests, now)).map((enqueued) => enqueued.execution.id);
}

/** A completion of an attempt; a success that finishes unless told otherwise. */
export function completion(
  ref: AttemptRef,
  options: {
    status?: AttemptCompletion['status'];
    settlement?: AttemptSettlement;
    result?: unknown;
    error?: string | null;
    exitCode?: number | null;
    reason?: AttemptReason | null;
    finishedAt?: string;
  } = {},
): AttemptCompletion {
  const status = options.status ?? 'succeeded';
  return {
    executionId: ref.executionId,
    attempt: ref.attempt,
    status,
    exitCode: options.exitCode !== undefined ? options.exitCode : status === 'succeeded' ? 0 : status === 'lost' ? null : 1,
    reason: options.reason !== undefined ? options.reason : status === 'succeeded' ? null : status === 'lost' ? 'LeaseExpired' : 'Error',
    error: options.error !== undefined ? options.error : status === 'succeeded' ? null : `attempt ${ref.attempt} ${status}`,
    result: options.result ?? null,
    finishedAt: options.finishedAt ?? at(5),
    settlement: options.settlement ?? { next: 'finish', status: status === 'succeeded' ? 'succeeded' : status === 'timed_out' ? 'timed_out' : 'failed' },
  };
}

/** The ref of a claimed attempt. */
export function refOf(claimed: { execution: { id: string }; attempt: number }): AttemptRef {
  return { executionId: claimed.execution.id, attempt: claimed.attempt };
}

/** A rejection check for a PontoonError with this code. */
export function hasCode(code: string): (thrown: unknown) => boolean {
  return (thrown) => typeof thrown === 'object' && thrown !== null && (thrown as { code?: unknown }).code === code;
}
