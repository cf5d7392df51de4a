import { concurrencyBounds, concurrencyKeyPattern } from './concurrency-key.js';
import { durationPattern } from './duration.js';
import { cpuPattern, memoryPattern } from './quantity.js';
import { rateLimitBounds } from './rate-limit.js';

/** Name of a function or namespace: a DNS-1123 label, as Kubernetes names objects. */
export const namePattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

const duration = { type: 'string', pattern: durationPattern, description: 'a duration such as 500ms, 30s, 2m, 1h' };

/**
 * Shortest and longest value of each kind of duration in a spec. Outside them a function deploys
 * but cannot run as meant: a `0s` timeout ends every attempt at once, and a timeout of 10^20 hours
 * is past the last date JavaScript can represent, so every attempt failed on its deadline.
 */
export const durationBounds = {
  /** An attempt's deadline: long enough to start a process, at most a week (as Cloud Run jobs). */
  timeout: { min: '100ms', max: '7d' },
  /** Waits between attempts: 0 retries at once; past a day, a retry is better scheduled anew. */
  backoff: { min: '0ms', max: '1d' },
  /** How long an idle warm replica lives. */
  idleTimeout: { min: '1s', max: '1d' },
  /** A rate limit's window (see rate-limit.ts). */
  ratePeriod: rateLimitBounds.period,
  /** How long after its tick a schedule's execution may start: up to the 30 days an invocation may wait. */
  scheduleDelay: { min: '0ms', max: '30d' },
} as const;

/** A duration field's schema, its bounds said in its description (they are checked on deploy). */
function boundedDuration(bounds: { min: string; max: string }, description: string) {
  return { ...duration, description: `${description}: a duration from ${bounds.min} to ${bounds.max}, such as 500ms, 30s, 2m, 1h` };
}

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

/**
 * A string an operating system takes in argv or the environment: a NUL ends it there, so the
 * program would get less than the spec says (Node refuses to start it at all). `\x00` reads the
 * same in JavaScript and in the RE2 syntax of a CRD's patterns.
 */
export const withoutNulPattern = '^[^\\x00]*$';
/** An environment variable name: not empty, without `=` (which ends a name) or NUL. */
export const envNamePattern = '^[^=\\x00]+$';

/** The variable a secret is given as: a portable POSIX name (letters, digits, _; not a digit first). */
export const secretVariablePattern = '^[A-Za-z_][A-Za-z0-9_]*$';
/** A Kubernetes Secret's name (a DNS-1123 subdomain), which is also a safe file name: no '/', never '.' or '..'. */
export const secretNamePattern = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** A key of a Secret, as Kubernetes allows it, but never only dots (no '.' or '..' as a file name). */
export const secretKeyPattern = '^[-._a-zA-Z0-9]*[-_a-zA-Z0-9][-._a-zA-Z0-9]*$';

/** Matches one CloudEvent attribute: a string for an exact match, or `{prefix}`. */
const attributeMatch = {
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', required: ['prefix'], additionalProperties: false, properties: { prefix: { type: 'string', minLength: 1 } } },
  ],
};

/** Lowest and highest priority a function or an invocation may take. */
export const priorityRange = { minimum: -1000, maximum: 1000 } as const;

/**
 * The one JSON Schema of a Function document. The API serves it at /v1/schema, the CRD embeds it,
 * and every deploy is checked against it. Defaults here are applied on deploy, so a stored
 * document shows the values in force.
 */
export const functionSchema = {
  $id: 'https://pontoon.dev/schemas/function.json',
  title: 'Function',
  description: 'A Pontoon function: how to run a program, its limits, retries, parallelism, priority, schedules and triggers.',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'pontoon.dev/v1' },
    kind: { const: 'Function' },
    metadata: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: namePattern, maxLength: 63, description: 'function name, a DNS-1123 label' },
        namespace: { type: 'string', pattern: namePattern, maxLength: 63, default: 'default' },
        labels: stringMap,
        annotations: stringMap,
      },
    },
    spec: {
      type: 'object',
      required: ['runtime'],
      additionalProperties: false,
      properties: {
        runtime: { enum: ['node', 'python', 'java', 'go', 'command'], description: 'how the program is started' },
        image: { type: 'string', minLength: 1, description: 'container image, for the kubernetes executor' },
        source: {
          type: 'string',
          minLength: 1,
          description: 'directory of the program; relative paths resolve against the spec file. The CLI packs it and uploads it as spec.package; sent to the API as a path, it must lie under one of the server\'s --source-root directories',
        },
        package: {
          type: 'object',
          additionalProperties: false,
          required: ['sha256'],
          description: 'an uploaded source package (POST /v1/namespaces/{ns}/packages answers its sha256 and size); the CLI fills it in from spec.source',
          properties: {
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'sha256 of the package archive, hex' },
            size: { type: 'integer', minimum: 0, description: 'size of the archive in bytes; filled in by the server' },
          },
        },
        handler: { type: 'string', minLength: 1, description: 'entry point in the language’s own terms' },
        command: { type: 'array', minItems: 1, items: { type: 'string', pattern: withoutNulPattern }, description: 'program and arguments, for runtime: command' },
        env: {
          type: 'object',
          propertyNames: { pattern: envNamePattern },
          additionalProperties: { type: 'string', pattern: withoutNulPattern },
          description: 'environment variables of every attempt; a name has no = or NUL, a value no NUL',
        },
        timeout: { ...boundedDuration(durationBounds.timeout, 'how long an attempt may run before it is stopped and timed_out'), default: '5m' },
        resources: {
          type: 'object',
          additionalProperties: false,
          properties: {
            memory: { type: 'string', pattern: memoryPattern, description: 'memory limit such as 256Mi' },
            cpu: { type: 'string', pattern: cpuPattern, description: 'CPU limit such as 500m' },
          },
        },
        retry: {
          type: 'object',
          additionalProperties: false,
          // Without a retry block only lost attempts (a dead observer, controller or node: never the
          // program's fault) are retried. A block without `on` is a request for retries, so its
          // default `on` retries everything, as a Kubernetes Job's backoffLimit and Temporal's default
          // policy do: a user who writes `limit: 3` expects a failed attempt to be tried again.
          default: { on: ['lost'] },
          description: 'when and how attempts are retried; without this block, only lost attempts are retried (up to 3 times)',
          properties: {
            limit: { type: 'integer', minimum: 0, maximum: 100, default: 3, description: 'retries after the first attempt' },
            backoff: {
              type: 'object',
              additionalProperties: false,
              default: {},
              properties: {
                initial: { ...boundedDuration(durationBounds.backoff, 'wait before the first retry'), default: '1s' },
                factor: { type: 'number', minimum: 1, maximum: 10, default: 2 },
                max: { ...boundedDuration(durationBounds.backoff, 'longest wait between attempts, at least backoff.initial'), default: '5m' },
                jitter: { type: 'boolean', default: true },
              },
            },
            on: {
              type: 'array',
              uniqueItems: true,
              items: { enum: ['failure', 'timeout', 'lost'] },
              default: ['failure', 'timeout', 'lost'],
              description: 'which attempt outcomes are retried; all three when a retry block leaves it out (only lost without a retry block)',
            },
            nonRetryableExitCodes: {
              type: 'array',
              uniqueItems: true,
              items: { type: 'integer', minimum: 1, maximum: 255 },
              default: [],
              description: 'exit codes that fail the execution at once',
            },
          },
        },
        parallelism: { type: 'integer', minimum: 1, maximum: 10000, default: 10, description: 'most executions of this function at once' },
        priority: { type: 'integer', ...priorityRange, default: 0, description: 'higher runs first; an invocation may override' },
        rateLimit: {
          type: 'object',
          required: ['limit', 'period'],
          additionalProperties: false,
          description: 'at most limit attempts of this function start in any window of period, across all controllers; retries count; the rest wait, in priority order',
          properties: {
            limit: { type: 'integer', ...rateLimitBounds.limit, description: 'attempt starts allowed per period' },
            period: boundedDuration(durationBounds.ratePeriod, 'the window the limit counts over'),
          },
        },
        concurrency: {
          type: 'object',
          required: ['key', 'limit'],
          additionalProperties: false,
          description: 'at most limit running executions per value of key in the input (one tenant cannot take all of parallelism); keys take turns within a priority',
          properties: {
            key: {
              type: 'string',
              pattern: concurrencyKeyPattern,
              maxLength: concurrencyBounds.keyLength,
              description: 'a JSON Pointer (RFC 6901) into the input, such as /tenant or /customer/id; inputs without it share one key',
            },
            limit: { type: 'integer', ...concurrencyBounds.limit, description: 'most running executions per key' },
          },
        },
        limits: {
          type: 'object',
          additionalProperties: false,
          properties: {
            logs: { type: 'string', pattern: memoryPattern, description: 'log bytes kept per attempt, beyond which logs are truncated' },
            result: { type: 'string', pattern: memoryPattern, description: 'largest result accepted' },
          },
        },
        warm: {
          type: 'object',
          additionalProperties: false,
          description: 'warm replicas (docs/warm-replicas.md): long-lived processes of a handler that take executions one after another; on-demand when absent',
          properties: {
            min: { type: 'integer', minimum: 0, maximum: 1000, default: 0, description: 'replicas kept even when idle' },
            max: { type: 'integer', minimum: 0, maximum: 1000, default: 0, description: 'most replicas; at least 1 for the function to be warm' },
            idleTimeout: { ...boundedDuration(durationBounds.idleTimeout, 'how long a pool without work keeps its replicas before scaling down to min'), default: '5m' },
            concurrency: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'executions one replica runs at once' },
            prefetch: {
              type: 'integer',
              minimum: 0,
              maximum: 1000,
              description: 'invocations one replica may hold beyond concurrency (none when absent), claimed before a slot frees so that a batch is ready when one does; they count as running (parallelism, deadline) from their claim',
            },
          },
        },
        schedules: {
          type: 'array',
          items: {
            type: 'object',
            required: ['cron'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', pattern: namePattern, maxLength: 63 },
              cron: { type: 'string', minLength: 1, description: 'five or six fields' },
              timezone: { type: 'string', default: 'UTC' },
              input: { description: 'input of every scheduled execution' },
              delay: boundedDuration(durationBounds.scheduleDelay, 'how long after its tick each execution may start'),
              concurrencyPolicy: { enum: ['Allow', 'Forbid', 'Replace'], default: 'Allow' },
              missedRunPolicy: { enum: ['Skip', 'RunOnce', 'CatchUp'], default: 'RunOnce', description: 'what to do with ticks missed while down' },
              catchUpLimit: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
              suspend: { type: 'boolean', default: false },
            },
          },
        },
        triggers: {
          type: 'array',
          items: {
            type: 'object',
            required: ['cloudevent'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', pattern: namePattern, maxLength: 63 },
              cloudevent: {
                type: 'object',
                additionalProperties: false,
                minProperties: 1,
                properties: {
                  type: attributeMatch,
                  source: attributeMatch,
                  subject: attributeMatch,
                  extensions: { type: 'object', additionalProperties: attributeMatch },
                },
              },
              priority: { type: 'integer', ...priorityRange },
            },
          },
        },
        sinks: {
          type: 'array',
          description: 'HTTP endpoints that receive a CloudEvent when an execution ends',
          items: {
            type: 'object',
            required: ['url'],
            additionalProperties: false,
            properties: {
              url: { type: 'string', format: 'uri', pattern: '^https?://' },
              on: { type: 'array', items: { enum: ['succeeded', 'failed', 'timed_out', 'cancelled'] } },
            },
          },
        },
        secrets: {
          type: 'array',
          maxItems: 100,
          description: 'variables whose values come from the secret store the operator configured (files, the environment, Kubernetes Secrets), resolved when an attempt starts; never stored, never shown',
          items: {
            type: 'object',
            required: ['name', 'from'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', pattern: secretVariablePattern, maxLength: 256, description: 'the environment variable the function reads the value from' },
              from: {
                type: 'object',
                required: ['secret', 'key'],
                additionalProperties: false,
                properties: {
                  secret: { type: 'string', pattern: secretNamePattern, maxLength: 253, description: 'the secret, as a Kubernetes Secret is named' },
                  key: { type: 'string', pattern: secretKeyPattern, maxLength: 253, description: 'the key of the secret holding the value' },
                },
              },
            },
          },
        },
        serviceAccountName: { type: 'string', pattern: namePattern, description: 'Kubernetes ServiceAccount the function runs as' },
        podSecurity: {
          type: 'object',
          additionalProperties: false,
          description:
            "Kubernetes only: the security context of the function's pods (docs/security.md). Absent, or profile restricted: non-root, read-only root filesystem with a writable /tmp, no privilege escalation, every capability dropped, the runtime's default seccomp profile",
          properties: {
            profile: {
              enum: ['restricted', 'baseline'],
              default: 'restricted',
              description: "restricted (the default), or baseline for an image that must run as root or write its own filesystem: privilege escalation stays off and seccomp on, the rest is the image's",
            },
            runAsUser: { type: 'integer', minimum: 0, maximum: 2147483647, description: "uid of the function's container (default: the image's USER, which restricted requires to be a non-root uid)" },
            runAsGroup: { type: 'integer', minimum: 0, maximum: 2147483647, description: "gid of the function's container (default: the image's)" },
            readOnlyRootFilesystem: { type: 'boolean', description: 'default true under restricted, false under baseline; /tmp is a writable emptyDir either way' },
          },
        },
      },
    },
  },
} as const;
