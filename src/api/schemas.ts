// JSON schemas of the API's resources: they validate requests, shape responses, and make the
// OpenAPI document.
import { functionSchema, namePattern, priorityRange } from '../domain/spec-schema.js';

const functionSpecSchema = functionSchema.properties.spec.properties;
import { errorBodySchema } from './errors.js';
import { waitReasonSchema } from './execution-wait.js';

const nullableString = { type: ['string', 'null'] } as const;

/** Schema of an Attempt. */
export const attemptSchema = {
  type: 'object',
  properties: {
    number: { type: 'integer' },
    status: { enum: ['running', 'succeeded', 'failed', 'timed_out', 'lost', 'cancelled'] },
    exitCode: { type: ['integer', 'null'] },
    reason: nullableString,
    error: nullableString,
    startedAt: { type: 'string' },
    finishedAt: nullableString,
    owner: nullableString,
    lateReport: {},
  },
} as const;

/** Schema of an Execution. */
export const executionSchema = {
  $id: 'Execution',
  type: 'object',
  properties: {
    id: { type: 'string' },
    namespace: { type: 'string' },
    function: { type: 'string' },
    version: { type: 'integer' },
    status: { enum: ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] },
    priority: { type: 'integer' },
    input: {},
    result: {},
    error: nullableString,
    idempotencyKey: nullableString,
    callbackUrl: nullableString,
    createdAt: { type: 'string' },
    startedAt: nullableString,
    finishedAt: nullableString,
    notBefore: { ...nullableString, description: 'when a queued execution may start: run later (delay, runAt) or a retry waiting out its backoff' },
    concurrencyKey: { ...nullableString, description: 'the value of the function’s spec.concurrency.key in the input' },
    waiting: waitReasonSchema,
    attempts: { type: 'array', items: attemptSchema },
  },
} as const;

/** Schema of a Function resource: the stored document with its version and status. */
export const functionResourceSchema = {
  $id: 'FunctionResource',
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object', additionalProperties: true },
    spec: {
      type: 'object',
      additionalProperties: true,
      description: 'the spec as deployed, defaults applied; the whole schema is at /v1/schema',
      // Named here so the OpenAPI document shows the scheduling controls (docs/scheduling-controls.md).
      properties: {
        parallelism: functionSpecSchema.parallelism,
        priority: functionSpecSchema.priority,
        rateLimit: functionSpecSchema.rateLimit,
        concurrency: functionSpecSchema.concurrency,
      },
    },
    status: { type: 'object', additionalProperties: true },
  },
} as const;

/** Path parameters naming a namespace. */
export const namespaceParams = {
  type: 'object',
  required: ['ns'],
  properties: { ns: { type: 'string', pattern: namePattern, maxLength: 63, examples: ['default'] } },
} as const;

/** Path parameters naming a function. */
export const functionParams = {
  type: 'object',
  required: ['ns', 'name'],
  properties: { ns: namespaceParams.properties.ns, name: { type: 'string', pattern: namePattern, maxLength: 63, examples: ['hello'] } },
} as const;

/** Path parameters naming an execution. */
export const executionParams = {
  type: 'object',
  required: ['ns', 'id'],
  properties: { ns: namespaceParams.properties.ns, id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const octet = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const port = '(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)';
const label = '[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?';
/** RFC 3986 userinfo: sent as Basic credentials, never shown. */
const userinfo = "[A-Za-z0-9._~!$&'()*+,;=:%-]*@";

/**
 * An http(s) URL the server can deliver to: a host name whose labels start with a letter or an
 * IPv4 address, a port up to 65535, then printable ASCII. Narrower than RFC 3986 on purpose: every
 * string it admits is one that WHATWG's URL parser (and so fetch) accepts, which `format: uri`
 * alone does not promise (`http://a.1`, port 99999).
 */
export const httpUrlSchema = {
  type: 'string',
  format: 'uri',
  maxLength: 2048,
  pattern: `^[Hh][Tt][Tt][Pp][Ss]?://(${userinfo})?(${label}(\\.${label})*|${octet}(\\.${octet}){3})(:${port})?([/?#][!-~]*)?$`,
} as const;

/** The integer priority an invocation may ask for. */
export const prioritySchema = { type: 'integer', ...priorityRange } as const;

/** Error answers with the given statuses, for a route schema's `response`. */
export function errorResponsesFor<Status extends number>(...statuses: Status[]): Record<Status, typeof errorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema])) as Record<Status, typeof errorBodySchema>;
}

/** Error answers, by status, for route schemas. */
export const errorResponses = {
  400: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  413: errorBodySchema,
  422: errorBodySchema,
} as const;
