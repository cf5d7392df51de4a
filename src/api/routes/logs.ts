import type { FastifyInstance, FastifyReply } from 'fastify';
import { PontoonError, asError } from '../../domain/errors.js';
import { isTerminal, type Execution } from '../../domain/execution.js';
import type { StoredLogLine } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { errorResponses, executionParams } from '../schemas.js';
import { findExecution } from './executions.js';
import { inNamespace } from '../auth/route-access.js';

type LogQuery = { attempt?: number; after?: number; limit: number; follow?: boolean };

/** How long a follower sleeps when nothing wakes it: bounds how late a change by another controller is seen. */
const followPollMs = 1000;
/** A quiet stream gets a comment this often, so clients and proxies can tell it from a dead one. */
const heartbeatMs = 15_000;
const pageSize = 1000;

const logLineSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    attempt: { type: 'integer' },
    time: { type: 'string' },
    stream: { enum: ['stdout', 'stderr', 'system'] },
    line: { type: 'string' },
  },
} as const;

function sseEvent(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * Refuses an attempt number the execution has not had: its logs would be an empty page that reads
 * as "printed nothing". While the execution lives, the next attempt may still come, so it may be
 * asked for (a follower then waits for it).
 */
function requireAttempt(execution: Execution, attempt: number | undefined): void {
  if (attempt === undefined) return;
  const known = execution.attempts.length;
  const highest = isTerminal(execution.status) ? known : known + 1;
  if (attempt <= highest) return;
  const had = known === 1 ? '1 attempt' : `${known} attempts`;
  throw new PontoonError('ATTEMPT_NOT_FOUND', `execution ${execution.id} has had ${had}${isTerminal(execution.status) ? '' : ' so far'}; there is no attempt ${attempt}`, {
    field: 'querystring.attempt',
    attempts: known,
  });
}

/** Streams an execution's lines as server-sent events until it ends and every line is sent. */
async function follow(context: ApiContext, reply: FastifyReply, executionId: string, query: LogQuery, lastEventId: number | undefined, shutdown: AbortSignal) {
  const abort = new AbortController();
  reply.raw.once('close', () => abort.abort());
  const signal = AbortSignal.any([abort.signal, shutdown]);
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let after = lastEventId ?? query.after ?? 0;
  let lastWrite = Date.now();
  try {
    while (!signal.aborted) {
      // Read the status before the lines: if it is terminal, every line was stored before it.
      const execution = await context.store.getExecution(executionId);
      const lines: StoredLogLine[] = await context.store.readLogs(executionId, { afterSeq: after, attempt: query.attempt, limit: pageSize });
      for (const line of lines) reply.raw.write(sseEvent('log', line, line.seq));
      if (lines.length > 0) {
        after = lines[lines.length - 1].seq;
        lastWrite = Date.now();
      }
      if (lines.length === pageSize) continue;
      if (!execution || isTerminal(execution.status)) {
        reply.raw.end(sseEvent('end', { status: execution?.status ?? null }));
        return;
      }
      if (Date.now() - lastWrite >= heartbeatMs) {
        reply.raw.write(': ping\n\n');
        lastWrite = Date.now();
      }
      await context.events.next(executionId, followPollMs, signal);
    }
    // The server is stopping (or the client left): the client resumes elsewhere with Last-Event-ID.
    reply.raw.end();
  } catch (thrown) {
    reply.raw.end(sseEvent('error', { message: `log stream failed: ${asError(thrown).message}` }));
  }
}

/** The route that reads an execution's logs, or follows them live. */
export async function logRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  // Live streams never end on their own while an execution runs; closing the server ends them.
  const shutdown = new AbortController();
  app.addHook('preClose', async () => shutdown.abort());
  app.get<{ Params: { ns: string; id: string }; Querystring: LogQuery; Headers: { 'last-event-id'?: string } }>(
    '/v1/namespaces/:ns/executions/:id/logs',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'Read the log lines of an execution; follow=true streams them as server-sent events',
        tags: ['executions'],
        params: executionParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            attempt: { type: 'integer', minimum: 1 },
            after: { type: 'integer', minimum: 0, description: 'only lines with a greater seq' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
            follow: { type: 'boolean' },
          },
        },
        response: {
          200: {
            description: 'the lines; with follow=true a text/event-stream of `log` events and a last `end` event',
            content: {
              'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: logLineSchema }, status: { type: 'string' } } } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { ns, id } = request.params;
      const execution = await findExecution(context, ns, id);
      requireAttempt(execution, request.query.attempt);
      if (request.query.follow) {
        const lastEventId = Number(request.headers['last-event-id']);
        return follow(context, reply, id, request.query, Number.isInteger(lastEventId) ? lastEventId : undefined, shutdown.signal);
      }
      const items = await context.store.readLogs(id, { afterSeq: request.query.after, attempt: request.query.attempt, limit: request.query.limit });
      return { items, status: execution.status };
    },
  );
}
