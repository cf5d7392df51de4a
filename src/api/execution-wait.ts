import type { Execution } from '../domain/execution.js';
import { waitReason, type WaitReason } from '../domain/wait-reason.js';
import type { Store } from '../store/store.js';

/** An execution as GET /executions/:id answers it: a queued one says why it waits. */
export type ExecutionWithWait = Execution & { waiting?: WaitReason };

/**
 * Adds `waiting` to a queued execution: not before a time, rate limited, its concurrency key at
 * its limit, its function at its parallelism, or ready. Read from the function's latest version,
 * whose controls the claims enforce, and the store's counts at `now`.
 */
export async function withWaitReason(store: Store, execution: Execution, now: Date): Promise<ExecutionWithWait> {
  if (execution.status !== 'queued') return execution;
  const fn = await store.getFunction(execution.namespace, execution.function);
  if (!fn) return execution;
  const at = now.toISOString();
  const load = await store.functionLoad({ namespace: execution.namespace, name: execution.function }, execution.concurrencyKey, at);
  return { ...execution, waiting: waitReason(execution, fn.document.spec, load, at) };
}

/** JSON Schema of WaitReason, for the Execution schema and the OpenAPI document. */
export const waitReasonSchema = {
  type: 'object',
  description: 'why a queued execution has not started: notBefore (until), rateLimited (until, limit, period), concurrencyKey (key, running, limit), parallelism (running, limit) or ready',
  required: ['reason'],
  properties: {
    reason: { enum: ['notBefore', 'rateLimited', 'concurrencyKey', 'parallelism', 'ready'] },
    until: { type: 'string', description: 'when it may start: notBefore, rateLimited' },
    limit: { type: 'integer' },
    period: { type: 'string' },
    key: { type: ['string', 'null'] },
    running: { type: 'integer' },
  },
} as const;
