/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/) as it travels: the `traceparent`
 * value (`00-<trace id>-<span id>-<flags>`) and, when the caller sent one, `tracestate`. Stored
 * with an execution, so whichever controller runs or settles an attempt continues the same trace.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** The trace id (32 hex digits) of a well-formed traceparent. */
export function traceIdOf(context: TraceContext): string {
  return context.traceparent.split('-')[1];
}

/** The span id (16 hex digits) of a well-formed traceparent: the span its holder continues. */
export function spanIdOf(context: TraceContext): string {
  return context.traceparent.split('-')[2];
}

/** The environment variables that hand a trace context to a program (TRACEPARENT, and TRACESTATE when present). */
export function traceEnv(context: TraceContext | undefined): Record<string, string> {
  if (!context) return {};
  return context.tracestate ? { TRACEPARENT: context.traceparent, TRACESTATE: context.tracestate } : { TRACEPARENT: context.traceparent };
}
