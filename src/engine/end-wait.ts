import { isTerminal, type Execution } from '../domain/execution.js';
import type { Store } from '../store/store.js';
import { wakeTimeoutOrAbort, type StopSignal } from '../lib/wake-timeout.js';
import type { ExecutionEvents } from './execution-events.js';

/** How long a waiter trusts events alone: another controller's change is seen by the next read. */
const rereadMs = 1000;

/**
 * Reads an execution until it is terminal or `timeoutMs` passes; returns it as last read. It
 * listens before it reads, so an ending between the read and the wait is not missed, and reads
 * again only when the execution ended (not at its start, its logs, or a retry), or every second.
 * `current`: the execution as the caller just stored it (an invoke), in place of the first read:
 * nothing can end it before the caller listens, which is within the same turn of the event loop.
 */
export async function waitForEnd(
  store: Pick<Store, 'getExecution'>,
  events: ExecutionEvents,
  id: string,
  timeoutMs: number,
  signal?: StopSignal,
  current?: Execution,
): Promise<Execution | undefined> {
  const until = Date.now() + timeoutMs;
  let ended = false;
  let wakeUp: (() => void) | undefined;
  const onEnd = (wake: () => void) => {
    wakeUp = wake;
    return () => (wakeUp = undefined);
  };
  const unwatch = events.watch(id, (change) => {
    if (change === 'logs' || !isTerminal(change)) return;
    ended = true;
    wakeUp?.();
  });
  try {
    for (;;) {
      // An ending heard during the read that the read did not show (a report fenced as late) is
      // looked at once more, not waited on.
      ended = false;
      const execution = current ?? (await store.getExecution(id));
      current = undefined;
      const remaining = until - Date.now();
      if (!execution || isTerminal(execution.status) || remaining <= 0 || signal?.aborted) return execution;
      if (!ended) await wakeTimeoutOrAbort([onEnd], Math.min(remaining, rereadMs), signal);
    }
  } finally {
    unwatch();
  }
}
