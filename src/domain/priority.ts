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
