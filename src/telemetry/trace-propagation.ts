import { createHash } from 'node:crypto';
import { ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceContext } from '../domain/trace-context.js';

/*
 * W3C Trace Context in and out, by OpenTelemetry's own propagator: what it rejects (a malformed
 * traceparent, an all-zero id, version ff) is treated as absent, as the recommendation asks of a
 * receiver, so a bad header starts a new trace rather than failing the request.
 */

const propagator = new W3CTraceContextPropagator();

type Carrier = Record<string, string | string[] | undefined>;

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => carrier[key],
};

const setter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** The OpenTelemetry context whose parent is this trace context (the root context without one). */
export function parentContext(context: TraceContext | undefined): Context {
  if (!context) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent: context.traceparent, tracestate: context.tracestate }, getter);
}

/** The trace context that continues a span. */
export function traceContextOf(spanContext: SpanContext): TraceContext {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, setter);
  return carrier.tracestate ? { traceparent: carrier.traceparent, tracestate: carrier.tracestate } : { traceparent: carrier.traceparent };
}

/**
 * The trace context a request carries (the `traceparent` and `tracestate` headers, or a
 * CloudEvent's distributed-tracing extension), normalized; undefined when absent or malformed.
 */
export function incomingTraceContext(carrier: object): TraceContext | undefined {
  const { traceparent, tracestate } = carrier as { traceparent?: unknown; tracestate?: unknown };
  const headers: Carrier = {};
  if (typeof traceparent === 'string') headers.traceparent = traceparent;
  if (typeof tracestate === 'string' || Array.isArray(tracestate)) headers.tracestate = tracestate as string | string[];
  if (headers.traceparent === undefined) return undefined;
  const spanContext = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, getter));
  return spanContext && trace.isSpanContextValid(spanContext) ? traceContextOf(spanContext) : undefined;
}

/**
 * The span id of an attempt's span, derived from its trace, execution and number: every
 * controller computes the same one, so the span the program was told about (TRACEPARENT) is the
 * one recorded when the attempt is settled, even by another controller or after a restart.
 */
export function attemptSpanId(traceId: string, executionId: string, attempt: number): string {
  const id = createHash('sha256').update(`${traceId}/${executionId}/${attempt}`).digest('hex').slice(0, 16);
  return id === '0000000000000000' ? '0000000000000001' : id;
}
