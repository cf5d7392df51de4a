// JSON schemas of the API's resources: they validate requests, shape responses, and make the
// OpenAPI document.
import { namePattern, priorityRange } from '../domain/spec-schema.js';
import { errorBodySchema } from './errors.js';

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
    notBefore: nullableString,
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
    spec: { type: 'object', additionalProperties: true },
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
