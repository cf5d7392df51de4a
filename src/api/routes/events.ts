import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { readEvents } from '../../triggers/incoming-events.js';
import type { ApiContext } from '../context.js';
import { errorResponses, executionSchema, namespaceParams } from '../schemas.js';

/** Schema of the answer to a POST of events. */
const eventsAnswerSchema = {
  type: 'object',
  properties: {
    mode: { enum: ['binary', 'structured', 'batch'] },
    received: { type: 'integer' },
    unmatched: { type: 'integer', description: 'events that matched no trigger or rule: accepted and counted' },
    executions: { type: 'array', items: executionSchema, description: 'executions of the matched events (existing ones for a redelivery)' },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          source: { type: 'string' },
          type: { type: 'string' },
          duplicate: { type: 'boolean' },
          matched: { type: 'array', items: { type: 'object', properties: { function: { type: 'string' }, via: { type: 'string' } } } },
          executions: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

/** `POST /v1/namespaces/{ns}/events`: CloudEvents 1.0 over HTTP, binary, structured or batch. */
export async function eventRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const triggers = context.triggers;
  if (!triggers) return;
  // This scope reads bodies as bytes: the mode decides how to parse them (binary data that is not
  // text is kept as data_base64), and a body that is not JSON must be an INVALID_EVENT naming the
  // event, not a generic parse error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post<{ Params: { ns: string }; Body: Buffer | undefined }>(
    '/v1/namespaces/:ns/events',
    {
      bodyLimit: Math.max(context.payloadLimit * 16, 16 * 2 ** 20),
      schema: {
        summary: 'Send CloudEvents (binary, structured or batch mode); each match of a trigger or rule starts an execution',
        tags: ['events'],
        params: namespaceParams,
        response: { 202: eventsAnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ns } = request.params;
      const { mode, events } = readEvents(request.headers, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      for (const [index, event] of events.entries()) {
        if (Buffer.byteLength(JSON.stringify(event)) > context.payloadLimit) {
          throw new PontoonError('PAYLOAD_TOO_LARGE', `event ${index} exceeds the payload limit of ${context.payloadLimit} bytes`, { index, limit: context.payloadLimit });
        }
      }
      const outcomes = await triggers.intake.receive(ns, events);
      const seen = new Set<string>();
      const executions = outcomes.flatMap((outcome) => outcome.executions).filter((execution) => !seen.has(execution.id) && seen.add(execution.id));
      return reply.status(202).send({
        mode,
        received: outcomes.length,
        unmatched: outcomes.filter((outcome) => outcome.matched.length === 0).length,
        executions,
        events: outcomes.map((outcome) => ({ ...outcome, executions: outcome.executions.map((execution) => execution.id) })),
      });
    },
  );
}
