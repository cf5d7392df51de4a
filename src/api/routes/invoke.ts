import type { FastifyInstance, FastifyReply } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { durationPattern, parseDuration } from '../../domain/duration.js';
import { isTerminal, type Execution } from '../../domain/execution.js';
import { notBeforeOf } from '../../domain/run-later.js';
import { incomingTraceContext } from '../../telemetry/trace-propagation.js';
import type { ApiContext } from '../context.js';
import { checkCallbackUrl } from '../outbound-urls.js';
import { errorResponses, executionSchema, functionParams, httpUrlSchema, prioritySchema } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';
import { hangUpSignal } from '../../lib/hang-up.js';

type FunctionPath = { ns: string; name: string };

/** Longest a single request may wait for an execution to end. */
const maxWaitMs = 10 * 60_000;
/** What `wait=true` means. */
const defaultWaitMs = 60_000;
/** Most inputs one batch request may enqueue. */
export const maxBatchSize = 10_000;

const durationExpression = new RegExp(durationPattern);

/** `delay` and `runAt` of an invocation or a batch: run later (domain/run-later.ts checks them and names the field). */
const runLaterSchema = {
  delay: { type: 'string', maxLength: 32, description: 'start no sooner than this long from now, such as 30s or 10m (at most 30d); not with runAt' },
  runAt: { type: 'string', maxLength: 64, description: 'start no sooner than this time, ISO 8601 with a zone such as 2026-01-31T09:00:00Z (at most 30 days ahead); not with delay' },
} as const;

/** W3C Trace Context headers: documented, never refused (a malformed one is ignored, as the recommendation asks). */
const traceHeaders = {
  traceparent: { type: 'string', description: 'W3C traceparent: the execution’s trace continues it (docs/tracing.md); a malformed value is ignored' },
  tracestate: { type: 'string', description: 'W3C tracestate, kept with traceparent' },
};

function waitMs(wait: string | undefined): number | undefined {
  if (wait === undefined || wait === 'false') return undefined;
  if (wait === 'true' || wait === '') return defaultWaitMs;
  if (!durationExpression.test(wait)) {
    throw new PontoonError('INVALID_REQUEST', `wait must be true or a duration such as 30s, not ${JSON.stringify(wait)}`, { field: 'querystring.wait' });
  }
  // As RFC 7240's `Prefer: wait`: a longer wait is honoured up to the most this server holds a request.
  return Math.min(parseDuration(wait) ?? maxWaitMs, maxWaitMs);
}

function callbackUrl(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {
    // fall through to the error below
  }
  throw new PontoonError('INVALID_REQUEST', `X-Callback-Url must be an http(s) URL, not ${JSON.stringify(value)}`, { field: 'header.x-callback-url' });
}

function sizeOf(input: unknown): number {
  return Buffer.byteLength(JSON.stringify(input) ?? 'null');
}

/** A key that names another request's execution: answering with it would hide that this request never ran. */
function keyReused(idempotencyKey: string, execution: Execution): PontoonError {
  return new PontoonError(
    'IDEMPOTENCY_KEY_REUSED',
    `Idempotency-Key ${JSON.stringify(idempotencyKey)} was first used with a different request (input, priority or X-Callback-Url), which created execution ${execution.id}; repeat that request exactly, or use a new key for a new one`,
    { field: 'header.idempotency-key', idempotencyKey, executionId: execution.id },
  );
}

function answer(reply: FastifyReply, execution: Execution, waitExpired: boolean) {
  if (waitExpired) void reply.header('x-pontoon-wait-expired', 'true');
  return reply.status(isTerminal(execution.status) ? 200 : 202).send(execution);
}

/** Routes that start executions: one input (optionally waiting for the end) or a batch. */
export async function invokeRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { engine, payloadLimit } = context;

  app.post<{ Params: FunctionPath; Querystring: { wait?: string; priority?: number; delay?: string; runAt?: string }; Headers: { 'idempotency-key'?: string; 'x-callback-url'?: string } }>(
    '/v1/namespaces/:ns/functions/:name/invoke',
    {
      config: { access: inNamespace('invoke'), enqueues: true },
      bodyLimit: payloadLimit,
      schema: {
        summary: 'Invoke a function: the body is its input (any JSON)',
        tags: ['executions'],
        params: functionParams,
        querystring: {
          type: 'object',
          properties: {
            wait: {
              type: 'string',
              pattern: `^(|true|false|${durationPattern.slice(1, -1)})$`,
              description: 'true (60s), or how long to wait for the end (30s); at most 10m is waited, then 202 with x-pontoon-wait-expired',
            },
            priority: prioritySchema,
            ...runLaterSchema,
          },
          additionalProperties: false,
        },
        headers: {
          type: 'object',
          properties: {
            'idempotency-key': { type: 'string', minLength: 1, maxLength: 256 },
            'x-callback-url': { ...httpUrlSchema, description: 'an http(s) URL that gets the completion event' },
            ...traceHeaders,
          },
        },
        response: { 200: executionSchema, 202: executionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const wait = waitMs(request.query.wait);
      const idempotencyKey = request.headers['idempotency-key'];
      const notBefore = notBeforeOf(request.query, new Date(), 'querystring');
      const [{ execution, created, matchesRequest }] = await engine.invoke([
        {
          namespace: ns,
          function: name,
          input: request.body ?? null,
          priority: request.query.priority,
          idempotencyKey,
          callbackUrl: checkCallbackUrl(callbackUrl(request.headers['x-callback-url']), context.outboundAllowance),
          notBefore,
          traceContext: incomingTraceContext(request.headers),
        },
      ]);
      if (!matchesRequest) throw keyReused(idempotencyKey!, execution);
      if (!created) void reply.header('x-pontoon-idempotent-replay', 'true');
      if (wait === undefined || isTerminal(execution.status)) return answer(reply, execution, false);
      // The caller hanging up ends the wait.
      const latest = (await engine.waitForEnd(execution.id, wait, hangUpSignal(reply.raw), execution)) ?? execution;
      return answer(reply, latest, !isTerminal(latest.status));
    },
  );

  app.post<{ Params: FunctionPath; Body: { inputs: unknown[]; priority?: number; delay?: string; runAt?: string } }>(
    '/v1/namespaces/:ns/functions/:name/batch',
    {
      config: { access: inNamespace('invoke'), enqueues: true },
      bodyLimit: Math.max(payloadLimit * 16, 64 * 2 ** 20),
      schema: {
        summary: `Invoke a function once per input, up to ${maxBatchSize} inputs in one request`,
        tags: ['executions'],
        params: functionParams,
        headers: { type: 'object', properties: traceHeaders },
        body: {
          type: 'object',
          required: ['inputs'],
          additionalProperties: false,
          properties: { inputs: { type: 'array', minItems: 1, maxItems: maxBatchSize }, priority: prioritySchema, ...runLaterSchema },
        },
        response: { 202: { type: 'object', properties: { items: { type: 'array', items: executionSchema } } }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const oversized = request.body.inputs.findIndex((input) => sizeOf(input) > payloadLimit);
      if (oversized >= 0) {
        throw new PontoonError('PAYLOAD_TOO_LARGE', `inputs[${oversized}] exceeds the payload limit of ${payloadLimit} bytes`, { index: oversized, limit: payloadLimit });
      }
      const notBefore = notBeforeOf(request.body, new Date(), 'body');
      const traceContext = incomingTraceContext(request.headers);
      const enqueued = await engine.invoke(request.body.inputs.map((input) => ({ namespace: ns, function: name, input, priority: request.body.priority, notBefore, traceContext })));
      return reply.status(202).send({ items: enqueued.map((entry) => entry.execution) });
    },
  );
}
