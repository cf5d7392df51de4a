import type { Execution } from '../../client/index.js';
import { formatMs, formatTime } from '../format.js';
import { StatusBadge } from './status-badge.js';

/** One step of an execution's life, in order. */
interface Step {
  time: string;
  label: string;
  detail?: string;
  attempt?: number;
}

/** The steps of an execution: queued, each attempt's start and end, the backoff before each retry, its end. */
export function timelineOf(execution: Execution): Step[] {
  const steps: Step[] = [{ time: execution.createdAt, label: 'queued', detail: `priority ${execution.priority}` }];
  execution.attempts.forEach((attempt, index) => {
    const previous = execution.attempts[index - 1];
    if (previous?.finishedAt) {
      const waited = Date.parse(attempt.startedAt) - Date.parse(previous.finishedAt);
      steps.push({ time: previous.finishedAt, label: 'retry scheduled', detail: `backoff ${formatMs(waited)} before attempt ${attempt.number}` });
    }
    steps.push({ time: attempt.startedAt, label: `attempt ${attempt.number} started`, detail: attempt.owner ? `on ${attempt.owner}` : undefined, attempt: attempt.number });
    if (attempt.finishedAt) {
      const took = formatMs(Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt));
      const why = [attempt.exitCode !== null ? `exit ${attempt.exitCode}` : undefined, attempt.reason ?? undefined, attempt.error ?? undefined].filter(Boolean).join(', ');
      steps.push({ time: attempt.finishedAt, label: `attempt ${attempt.number} ${attempt.status.replace('_', ' ')}`, detail: [`after ${took}`, why].filter(Boolean).join(' — '), attempt: attempt.number });
    }
  });
  const last = execution.attempts.at(-1);
  // Asked to run later: queued with its start time, no attempt yet.
  if (execution.status === 'queued' && !last && execution.notBefore) steps.push({ time: execution.createdAt, label: 'runs later', detail: `not before ${formatTime(execution.notBefore)}` });
  if (execution.status === 'queued' && last?.finishedAt) {
    const waits = execution.notBefore ? `retry not before ${formatTime(execution.notBefore)}` : 'waiting for a slot';
    steps.push({ time: last.finishedAt, label: 'retry scheduled', detail: waits });
  }
  if (execution.finishedAt) steps.push({ time: execution.finishedAt, label: execution.status.replace('_', ' '), detail: execution.error ?? undefined });
  return steps;
}

/** The attempts as a timeline, each step with its time. */
export function AttemptTimeline({ execution }: { execution: Execution }) {
  return (
    <ol class="timeline" aria-label="Timeline">
      {timelineOf(execution).map((step, index) => (
        <li key={index} data-step={step.label}>
          <time dateTime={step.time}>{formatTime(step.time)}</time>
          <span class="step-label">{step.label}</span>
          {step.detail && <span class="muted"> {step.detail}</span>}
        </li>
      ))}
      {execution.attempts.length > 0 && (
        <li class="attempt-summary">
          {execution.attempts.map((attempt) => (
            <StatusBadge key={attempt.number} status={attempt.status} />
          ))}
        </li>
      )}
    </ol>
  );
}
