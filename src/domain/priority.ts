/** What orders ready executions: priority first, then age. */
export interface QueuePosition {
  priority: number;
  /** Monotonic enqueue order; lower is older. */
  sequence: number;
}

/** Sort comparator: higher priority first; within a priority, older first. */
export function compareQueuePositions(a: QueuePosition, b: QueuePosition): number {
  return b.priority - a.priority || a.sequence - b.sequence;
}

/** The effective priority of an invocation: its own override, else the function's. */
export function effectivePriority(functionPriority: number, override: number | undefined): number {
  return override ?? functionPriority;
}

/**
 * Merges queues, each already in the order its executions should start, into one of at most
 * `limit`: the best head (priority, then age) goes next. A queue's own order is kept, so a
 * function whose executions take turns by concurrency key keeps its turns.
 */
export function mergeQueues<T extends QueuePosition>(queues: readonly (readonly T[])[], limit: number): T[] {
  const positions = queues.map(() => 0);
  const merged: T[] = [];
  while (merged.length < limit) {
    let best = -1;
    queues.forEach((queue, index) => {
      const head = queue[positions[index]];
      if (head && (best < 0 || compareQueuePositions(head, queues[best][positions[best]]) < 0)) best = index;
    });
    if (best < 0) break;
    merged.push(queues[best][positions[best]++]);
  }
  return merged;
}
