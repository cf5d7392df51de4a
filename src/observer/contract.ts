import { traceEnv, type TraceContext } from '../domain/trace-context.js';

/**
 * The function contract, as environment variables a program receives for each attempt. The same
 * names hold for local child processes and for a container in a Kubernetes pod, so a function that
 * runs locally runs unchanged on a cluster.
 *
 * - `PONTOON_INPUT`: path of a file holding the input as JSON.
 * - `PONTOON_OUTPUT`: path where the program may write its result as JSON. Absent or empty after
 *   exit 0 means the result is `null`.
 * - `PONTOON_ERROR`: path where a failing program may write its failure message as plain text
 *   before exiting non-zero. This is how an SDK's `fail(message)` reports: the message becomes the
 *   attempt's error instead of the generic `exited with code N`.
 * - `PONTOON_EXECUTION_ID`, `PONTOON_ATTEMPT` (1 for the first try), `PONTOON_FUNCTION`,
 *   `PONTOON_NAMESPACE`, `PONTOON_VERSION` (the function version): who is running.
 * - `PONTOON_DEADLINE`: ISO 8601 instant after which the program is sent SIGTERM, then SIGKILL.
 * - `TRACEPARENT` (and `TRACESTATE`), when the execution has a trace (docs/tracing.md): the W3C
 *   trace context of the attempt's span, for the program's own spans to continue.
 */
export const contractVariables = [
  'PONTOON_INPUT',
  'PONTOON_OUTPUT',
  'PONTOON_ERROR',
  'PONTOON_EXECUTION_ID',
  'PONTOON_ATTEMPT',
  'PONTOON_FUNCTION',
  'PONTOON_NAMESPACE',
  'PONTOON_VERSION',
  'PONTOON_DEADLINE',
] as const;

/** One variable of the function contract. */
export type ContractVariable = (typeof contractVariables)[number];

/**
 * File names inside an attempt's work dir (`cgroup` holds the path of its memory cgroup, if any;
 * `pid` the program's pid, which is also its process group id, then on a second line the
 * attempt's own cgroup if it has one, for the orphan sweep).
 */
export const workDirFiles = { input: 'input.json', output: 'output.json', error: 'error.txt', cgroup: 'cgroup', pid: 'pid' } as const;

/** Who an attempt is: the identity its program sees through the contract. */
export interface AttemptIdentity {
  executionId: string;
  attempt: number;
  namespace: string;
  function: string;
  version: number;
  /** The trace context the program continues (ClaimedAttempt.traceContext); none when the execution has no trace. */
  traceContext?: TraceContext;
}

/** The contract variables of one attempt whose files live in `workDir`. */
export function contractEnv(
  identity: AttemptIdentity,
  files: { input: string; output: string; error: string },
  deadline: Date,
): Record<ContractVariable, string> & Partial<Record<'TRACEPARENT' | 'TRACESTATE', string>> {
  return {
    ...traceEnv(identity.traceContext),
    PONTOON_INPUT: files.input,
    PONTOON_OUTPUT: files.output,
    PONTOON_ERROR: files.error,
    PONTOON_EXECUTION_ID: identity.executionId,
    PONTOON_ATTEMPT: String(identity.attempt),
    PONTOON_FUNCTION: identity.function,
    PONTOON_NAMESPACE: identity.namespace,
    PONTOON_VERSION: String(identity.version),
    PONTOON_DEADLINE: deadline.toISOString(),
  };
}
