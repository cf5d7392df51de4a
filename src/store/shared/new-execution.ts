import { v7 as uuidv7 } from 'uuid';
import type { Execution } from '../../domain/execution.js';
import { concurrencyKeyOf } from '../../domain/concurrency-key.js';
import { effectivePriority } from '../../domain/priority.js';
import type { NewExecution } from '../store.js';
import { functionNotFound } from './errors.js';
import { requestFingerprint } from './request-fingerprint.js';
import type { ExecutionRow, FunctionRow } from './execution-rows.js';
import { isoTime, toJson } from './stored-values.js';

/** How a batch looks up the function of a request: `namespace/name`. */
export function functionKey(request: Pick<NewExecution, 'namespace' | 'function'>): string {
  return `${request.namespace}/${request.function}`;
}

/** The function a request runs, when it is deployed and not deleted; FUNCTION_NOT_FOUND otherwise. */
export function requireLiveFunction<Flag>(fn: FunctionRow<Flag> | undefined, request: NewExecution): FunctionRow<Flag> {
  if (!fn || fn.deleted) throw functionNotFound(request.namespace, request.function);
  return fn;
}

/**
 * The values a request stores in its new `executions` row (status `queued`, created now). The
 * version is the function's latest: an execution runs the version current at its enqueue.
 */
export interface NewExecutionValues
  extends Pick<Execution, 'id' | 'namespace' | 'function' | 'version' | 'priority' | 'idempotencyKey' | 'callbackUrl' | 'notBefore' | 'concurrencyKey'> {
  /** JSON text of the input. */
  input: string;
  /** What the request asked for, kept to tell a repeat of its idempotency key from a reuse. */
  requestFingerprint: string | null;
  traceparent: string | null;
  tracestate: string | null;
}

/**
 * Resolves a request against its function: a fresh id, the latest version, the effective
 * priority, and the concurrency key its input gives under the latest version's spec.
 */
export function newExecutionValues(request: NewExecution, fn: Pick<FunctionRow<unknown>, 'latest_version' | 'priority' | 'concurrency_key'>): NewExecutionValues {
  return {
    id: uuidv7(),
    namespace: request.namespace,
    function: request.function,
    version: fn.latest_version,
    priority: effectivePriority(fn.priority, request.priority),
    input: toJson(request.input),
    idempotencyKey: request.idempotencyKey ?? null,
    requestFingerprint: request.idempotencyKey === undefined ? null : requestFingerprint(request),
    callbackUrl: request.callbackUrl ?? null,
    notBefore: request.notBefore === undefined ? null : isoTime(request.notBefore),
    concurrencyKey: fn.concurrency_key === null || fn.concurrency_key === undefined ? null : concurrencyKeyOf(fn.concurrency_key, request.input),
    traceparent: request.traceContext?.traceparent ?? null,
    tracestate: request.traceContext?.tracestate ?? null,
  };
}

/** The `executions` row an insert of `values` stored as `seq`, as reading it back would give it. */
export function newExecutionRow(values: NewExecutionValues, createdAt: string, seq: number): ExecutionRow<string> {
  return {
    seq,
    id: values.id,
    namespace: values.namespace,
    function: values.function,
    version: values.version,
    status: 'queued',
    priority: values.priority,
    input: values.input,
    result: null,
    error: null,
    idempotency_key: values.idempotencyKey,
    request_fingerprint: values.requestFingerprint,
    callback_url: values.callbackUrl,
    created_at: createdAt,
    started_at: null,
    finished_at: null,
    not_before: values.notBefore,
    concurrency_key: values.concurrencyKey,
    traceparent: values.traceparent,
    tracestate: values.tracestate,
  };
}
