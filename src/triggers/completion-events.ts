import type { Execution, ExecutionStatus } from '../domain/execution.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { NewDelivery } from '../store/store.js';

/** The event type of each way an execution ends. */
export const completionEventTypes: Record<Exclude<ExecutionStatus, 'queued' | 'running'>, string> = {
  succeeded: 'dev.pontoon.execution.succeeded',
  failed: 'dev.pontoon.execution.failed',
  timed_out: 'dev.pontoon.execution.timed_out',
  cancelled: 'dev.pontoon.execution.cancelled',
};

/**
 * The completion CloudEvent of an ended execution, in structured form. Its id is the execution's
 * id and final status: an execution ends once, so redeliveries of the same end share one id
 * (receivers deduplicate on source + id) and two ends never do.
 */
export function completionEvent(execution: Execution): Record<string, unknown> {
  const status = execution.status as keyof typeof completionEventTypes;
  return {
    specversion: '1.0',
    id: `${execution.id}/${status}`,
    source: `/pontoon/namespaces/${execution.namespace}/functions/${execution.function}`,
    type: completionEventTypes[status],
    subject: execution.id,
    time: execution.finishedAt ?? execution.createdAt,
    datacontenttype: 'application/json',
    data: execution,
  };
}

/**
 * Where an ended execution's completion event goes: each sink of its function version whose `on`
 * names its status (all statuses when `on` is absent), each global sink, and its callback URL.
 * A URL listed twice is sent to once.
 */
export function completionDeliveries(execution: Execution, fn: FunctionVersion | undefined, globalSinks: readonly string[]): NewDelivery[] {
  const event = completionEvent(execution);
  const status = execution.status;
  const urls = new Map<string, NewDelivery['kind']>();
  for (const sink of fn?.document.spec.sinks ?? []) {
    if (!sink.on || sink.on.includes(status)) urls.set(sink.url, 'sink');
  }
  for (const url of globalSinks) if (!urls.has(url)) urls.set(url, 'sink');
  if (execution.callbackUrl && !urls.has(execution.callbackUrl)) urls.set(execution.callbackUrl, 'callback');
  return [...urls].map(([url, kind]) => ({ url, kind, event }));
}
