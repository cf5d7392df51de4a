import type { ConcurrencySpec } from './concurrency-key.js';
import type { RateLimit } from './rate-limit.js';
/** A runtime Pontoon knows how to start. */
export type Runtime = 'node' | 'python' | 'java' | 'go' | 'command';
/** An attempt outcome the retry policy may name. */
export type RetryableOutcome = 'failure' | 'timeout' | 'lost';
/** Matches one CloudEvent attribute exactly (a string) or by prefix. */
export type AttributeMatch = string | { prefix: string };

/** A cron schedule of a function. */
export interface ScheduleSpec {
  name?: string;
  cron: string;
  timezone: string;
  input?: unknown;
  /** How long after its tick each execution of the schedule may start. */
  delay?: string;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  missedRunPolicy: 'Skip' | 'RunOnce' | 'CatchUp';
  catchUpLimit: number;
  suspend: boolean;
}

/** A CloudEvent trigger of a function. */
export interface TriggerSpec {
  name?: string;
  cloudevent: { type?: AttributeMatch; source?: AttributeMatch; subject?: AttributeMatch; extensions?: Record<string, AttributeMatch> };
  priority?: number;
}

/** A variable of a function whose value comes from the operator's secret store, as Kubernetes' secretKeyRef. */
export interface SecretRef {
  /** The environment variable the function reads. */
  name: string;
  from: { secret: string; key: string };
}

/** The `spec` of a Function document, with schema defaults applied. */
export interface FunctionSpec {
  runtime: Runtime;
  image?: string;
  /** A directory on the server's disk, allowed only under the operator's source roots. */
  source?: string;
  /** An uploaded source package (what `pontoon deploy` packs from `source`), by the sha256 of its archive. */
  package?: { sha256: string; size?: number };
  handler?: string;
  command?: string[];
  env?: Record<string, string>;
  timeout: string;
  resources?: { memory?: string; cpu?: string };
  retry: {
    limit: number;
    backoff: { initial: string; factor: number; max: string; jitter: boolean };
    on: RetryableOutcome[];
    nonRetryableExitCodes: number[];
  };
  parallelism: number;
  priority: number;
  /** At most `limit` attempt starts per `period`, across all controllers. */
  rateLimit?: RateLimit;
  /** At most `limit` running executions per concurrency key of the input. */
  concurrency?: ConcurrencySpec;
  limits?: { logs?: string; result?: string };
  warm?: { min: number; max: number; idleTimeout: string; concurrency: number; /** Absent in documents stored before it existed: 0. */ prefetch?: number };
  schedules?: ScheduleSpec[];
  triggers?: TriggerSpec[];
  sinks?: { url: string; on?: string[] }[];
  secrets?: SecretRef[];
  serviceAccountName?: string;
  podSecurity?: PodSecuritySpec;
}

/** spec.podSecurity: how locked down a function's Kubernetes pods are (restricted when absent). */
export interface PodSecuritySpec {
  profile: 'restricted' | 'baseline';
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
}

/** A Function document as users write it (YAML or JSON), after validation. */
export interface FunctionDocument {
  apiVersion: 'pontoon.dev/v1';
  kind: 'Function';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: FunctionSpec;
}

/** A stored version of a function. */
export interface FunctionVersion {
  namespace: string;
  name: string;
  version: number;
  document: FunctionDocument;
  createdAt: string;
}
