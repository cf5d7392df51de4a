import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { isTerminal, type ExecutionStatus } from '../../domain/execution.js';
import { cursorPattern } from '../../store/shared/execution-listing.js';
import type { ApiContext } from '../context.js';
import { withWaitReason } from '../execution-wait.js';
import { errorResponsesFor, executionParams, executionSchema, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

type ExecutionPath = { ns: string; id: string };

/** Reads an execution of a namespace, or throws EXECUTION_NOT_FOUND. */
export async function findExecution(context: ApiContext, ns: string, id: string) {
  const execution = await context.store.getExecution(id);
  if (!execution || execution.namespace !== ns) {
    throw new PontoonError('EXECUTION_NOT_FOUND', `execution ${id} not found in namespace ${ns}; list them with GET /v1/namespaces/${ns}/executions`, { namespace: ns, id });
  }
  return execution;
}

/** Routes that list, read and cancel executions. */
export async function executionRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { ns: string }; Querystring: { function?: string; status?: ExecutionStatus; limit: number; cursor?: string; createdSince?: string; createdBefore?: string } }>(
    '/v1/namespaces/:ns/executions',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'List executions, newest first',
        tags: ['executions'],
        params: namespaceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            function: { type: 'string', minLength: 1 },
            status: { enum: ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
            cursor: { type: 'string', pattern: cursorPattern, description: 'the nextCursor of the previous page' },
            createdSince: { type: 'string', format: 'date-time', description: 'only executions created at or after this time' },
            createdBefore: { type: 'string', format: 'date-time', description: 'only executions created before this time' },
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: executionSchema }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponsesFor(400),
        },
      },
    },
    async (request) => {
      const { createdSince, createdBefore, ...filters } = request.query;
      // The store compares the stored form (toISOString's); any offset a caller sent is normalised.
      const iso = (time: string | undefined) => (time === undefined ? undefined : new Date(time).toISOString());
      return context.store.listExecutions({ namespace: request.params.ns, ...filters, createdSince: iso(createdSince), createdBefore: iso(createdBefore) });
    },
  );

  app.get<{ Params: ExecutionPath }>(
    '/v1/namespaces/:ns/executions/:id',
    {
    config: { access: inNamespace('read') }, schema: { summary: 'Read an execution with its attempts', tags: ['executions'], params: executionParams, response: { 200: executionSchema, ...errorResponsesFor(400, 404) } } },
    async (request) => withWaitReason(context.store, await findExecution(context, request.params.ns, request.params.id), new Date()),
  );

  app.post<{ Params: ExecutionPath }>(
    '/v1/namespaces/:ns/executions/:id/cancel',
    {
    config: { access: inNamespace('invoke') }, schema: { summary: 'Cancel a queued or running execution', tags: ['executions'], params: executionParams, response: { 200: executionSchema, ...errorResponsesFor(400, 404, 409) } } },
    async (request) => {
      const { ns, id } = request.params;
      const before = await findExecution(context, ns, id);
      if (isTerminal(before.status)) {
        throw new PontoonError('EXECUTION_FINISHED', `execution ${id} already ended (${before.status}); nothing to cancel`, { status: before.status });
      }
      return (await context.engine.cancel(id)) ?? before;
    },
  );
}
