/**
 * The replica protocol, version 1 (docs/warm-replicas.md): what a warm replica and Pontoon's
 * runtime API exchange. Only data and names here; the server is runtime-api.ts.
 */

/** The protocol version Pontoon speaks; replicas see it in PONTOON_REPLICA_PROTOCOL. */
export const replicaProtocolVersion = 1;

/** Variables a replica is started with, besides the function's own environment. */
export const replicaEnv = {
  runtimeApi: 'PONTOON_RUNTIME_API',
  token: 'PONTOON_REPLICA_TOKEN',
  id: 'PONTOON_REPLICA_ID',
  concurrency: 'PONTOON_REPLICA_CONCURRENCY',
  /** Invocations the replica may hold beyond its concurrency (spec.warm.prefetch): asked for ahead of a free slot. */
  prefetch: 'PONTOON_REPLICA_PREFETCH',
  /** Post cycles the replica splits its slots into: a default Pontoon sets for its store (openStore in app/start.ts), under spec.env. */
  lanes: 'PONTOON_REPLICA_LANES',
  protocol: 'PONTOON_REPLICA_PROTOCOL',
  function: 'PONTOON_FUNCTION',
  namespace: 'PONTOON_NAMESPACE',
  version: 'PONTOON_VERSION',
} as const;

/** A log line starting with this byte, then an invocation id and a space, belongs to that invocation. */
export const logTagByte = 0x1e;

/** One invocation handed to a replica by `GET /v1/invocations/next`. */
export interface Invocation {
  id: string;
  executionId: string;
  attempt: number;
  /** ISO instant after which the replica is stopped if the invocation is still in flight. */
  deadline: string;
  input: unknown;
  /** The W3C trace context of the attempt's span (docs/tracing.md); absent when the execution has no trace. */
  traceparent?: string;
  tracestate?: string;
}

/** One outcome posted by a replica in `POST /v1/invocations/results`. */
export type InvocationResult = { id: string; status: 'succeeded'; result?: unknown } | { id: string; status: 'failed'; error: string };

/** Why a posted result was not applied. */
export type RejectionCode = 'INVOCATION_NOT_IN_FLIGHT';

/** The answer to a results request. */
export interface ResultsAnswer {
  accepted: string[];
  rejected: { id: string; code: RejectionCode }[];
}

/** The invocation id of an attempt: unique, and readable in logs. */
export function invocationId(executionId: string, attempt: number): string {
  return `${executionId}#${attempt}`;
}

/** Longest failure message kept from a replica, as from an on-demand program's error file. */
export const errorMessageLimit = 4096;
/** Most invocations in one `next` answer or one results request. */
export const batchLimit = 1000;
/** Longest long poll a replica may ask for. */
export const maxWaitMs = 60_000;
/** Long poll when the replica does not say. */
export const defaultWaitMs = 20_000;
/** Largest request body. */
export const bodyLimitBytes = 16 * 2 ** 20;

/** JSON Schema of a results request body. */
export const resultsBodySchema = {
  type: 'object',
  required: ['results'],
  additionalProperties: false,
  properties: {
    results: {
      type: 'array',
      minItems: 1,
      maxItems: batchLimit,
      items: {
        oneOf: [
          {
            type: 'object',
            required: ['id', 'status'],
            additionalProperties: false,
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 }, status: { const: 'succeeded' }, result: {} },
          },
          {
            type: 'object',
            required: ['id', 'status', 'error'],
            additionalProperties: false,
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 }, status: { const: 'failed' }, error: { type: 'string', minLength: 1 } },
          },
        ],
      },
    },
  },
} as const;

/** JSON Schema of an init error body. */
export const initErrorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', minLength: 1 } },
} as const;
