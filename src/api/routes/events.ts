import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { incomingTraceContext } from '../../telemetry/trace-propagation.js';
import { readEvents } from '../../triggers/incoming-events.js';
import type { ApiContext } from '../context.js';
import { errorResponsesFor, executionSchema, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

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

/** One CloudEvent in structured mode, as readEvents accepts it (CloudEvents 1.0 and its JSON format). */
const eventSchema = {
  type: 'object',
  required: ['specversion', 'id', 'source', 'type'],
  properties: {
    specversion: { const: '1.0' },
    id: { type: 'string', minLength: 1 },
    source: { type: 'string', minLength: 1, format: 'uri-reference' },
    type: { type: 'string', minLength: 1 },
    datacontenttype: { type: 'string', minLength: 1 },
    dataschema: { type: 'string', minLength: 1, format: 'uri' },
    subject: { type: 'string', minLength: 1 },
    time: { type: 'string', format: 'date-time', description: 'RFC 3339' },
    data: { description: 'the payload, any JSON' },
    data_base64: { type: 'string', pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$', description: 'a binary payload, base64 (RFC 4648 §4)' },
  },
  propertyNames: { pattern: '^(?:[a-z0-9]+|data_base64)$' },
  // Extensions: the CloudEvents type system's scalars.
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'integer', minimum: -2147483648, maximum: 2147483647 }, { type: 'null' }] },
  not: { required: ['data', 'data_base64'], description: 'data and data_base64 are never both present' },
} as const;

/** The documented request body: structured and batch modes (binary mode is described in prose). */
const documentedBody = {
  content: {
    'application/cloudevents+json': { schema: eventSchema },
    'application/cloudevents-batch+json': { schema: { type: 'array', minItems: 1, items: eventSchema } },
  },
};

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
        description:
          'Structured mode sends one event as application/cloudevents+json, batch mode an array as application/cloudevents-batch+json. ' +
          'Binary mode sends the attributes as percent-encoded ce-* headers (ce-specversion, ce-id, ce-source, ce-type required) ' +
          'and the data as the body with its own content type: JSON (or no content type) becomes data, text becomes a string, anything else data_base64.',
        tags: ['events'],
        params: namespaceParams,
        response: { 202: eventsAnswerSchema, ...errorResponsesFor(400, 413) },
      },
      // The body is read by hand (binary mode has no JSON body); the document still shows it. A
      // browser cannot send ce-* headers or a CloudEvents type cross-site without asking first.
      config: { documentedBody, access: inNamespace('invoke'), enqueues: true },
    },
    async (request, reply) => {
      const { ns } = request.params;
      const { mode, events } = readEvents(request.headers, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
      for (const [index, event] of events.entries()) {
        if (Buffer.byteLength(JSON.stringify(event)) > context.payloadLimit) {
          throw new PontoonError('PAYLOAD_TOO_LARGE', `event ${index} exceeds the payload limit of ${context.payloadLimit} bytes`, { index, limit: context.payloadLimit });
        }
      }
      const outcomes = await triggers.intake.receive(ns, events, incomingTraceContext(request.headers));
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
