import type { AttemptStatus, ExecutionStatus } from '../../client/index.js';

/** An execution's or attempt's status as a coloured label (the word is always written, not only the colour). */
export function StatusBadge({ status }: { status: ExecutionStatus | AttemptStatus }) {
  return <span class={`badge status-${status}`} data-status={status}>{status.replace('_', ' ')}</span>;
}
