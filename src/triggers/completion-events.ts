import type { Execution, ExecutionStatus } from '../domain/execution.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import { redactUrlCredentials } from '../domain/url-credentials.js';
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
 * (receivers deduplicate on source + id) and two ends never do. An execution with a trace carries
 * it as the CloudEvents distributed-tracing extension (`traceparent`, `tracestate`), so a receiver
 * continues the trace; the data is the execution as the API shows it.
 */
export function completionEvent(stored: Execution): Record<string, unknown> {
  const { traceContext, ...execution } = stored;
  const status = execution.status as keyof typeof completionEventTypes;
  return {
    ...(traceContext && { traceparent: traceContext.traceparent }),
    ...(traceContext?.tracestate && { tracestate: traceContext.tracestate }),
    specversion: '1.0',
    id: `${execution.id}/${status}`,
    source: `/pontoon/namespaces/${execution.namespace}/functions/${execution.function}`,
    type: completionEventTypes[status],
    subject: execution.id,
    time: execution.finishedAt ?? execution.createdAt,
    datacontenttype: 'application/json',
    // A sink learns of the callback URL but never of its credentials.
    data: execution.callbackUrl ? { ...execution, callbackUrl: redactUrlCredentials(execution.callbackUrl) } : execution,
  };
}

/**
 * Where an ended execution's completion event goes: each sink of its function version whose `on`
 * names its status (all statuses when `on` is absent), each global sink, and its callback URL.
 * A URL listed twice is sent to once.
 */
export function completionDeliveries(execution: Execution, fn: FunctionVersion | undefined, globalSinks: readonly string[]): NewDelivery[] {
  const event = completionEvent(execution);
  return [...completionTargets(execution.status, execution.callbackUrl, fn, globalSinks)].map(([url, kind]) => ({ url, kind, event }));
}

/** Whether an execution ending with `status` has a completion event to deliver anywhere. */
export function hasCompletionDeliveries(status: ExecutionStatus, callbackUrl: string | null, fn: FunctionVersion | undefined, globalSinks: readonly string[]): boolean {
  return completionTargets(status, callbackUrl, fn, globalSinks).size > 0;
}

function completionTargets(status: ExecutionStatus, callbackUrl: string | null, fn: FunctionVersion | undefined, globalSinks: readonly string[]): Map<string, NewDelivery['kind']> {
  const urls = new Map<string, NewDelivery['kind']>();
  for (const sink of fn?.document.spec.sinks ?? []) {
    if (!sink.on || sink.on.includes(status)) urls.set(sink.url, 'sink');
  }
  for (const url of globalSinks) if (!urls.has(url)) urls.set(url, 'sink');
  if (callbackUrl && !urls.has(callbackUrl)) urls.set(callbackUrl, 'callback');
  return urls;
}
