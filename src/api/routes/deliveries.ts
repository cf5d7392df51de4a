import type { FastifyInstance } from 'fastify';
import type { DeliveryStatus } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { errorResponsesFor, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

const nullableString = { type: ['string', 'null'] } as const;

/** Schema of one completion-event delivery. */
const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    executionId: { type: 'string' },
    namespace: { type: 'string' },
    function: { type: 'string' },
    kind: { enum: ['sink', 'callback'] },
    url: { type: 'string' },
    event: { type: 'object', additionalProperties: true },
    status: { enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    lastError: nullableString,
    nextAttemptAt: nullableString,
    createdAt: { type: 'string' },
    deliveredAt: nullableString,
  },
} as const;

/** `GET /v1/namespaces/{ns}/deliveries`: completion events sent, pending or given up, newest first. */
export async function deliveryRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get<{ Params: { ns: string }; Querystring: { execution?: string; status?: DeliveryStatus; limit: number } }>(
    '/v1/namespaces/:ns/deliveries',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'List deliveries of completion events (to sinks and callback URLs), newest first',
        tags: ['events'],
        params: namespaceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            execution: { type: 'string', description: 'only the deliveries of this execution' },
            status: { enum: ['pending', 'delivered', 'failed'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: deliverySchema } } }, ...errorResponsesFor(400) },
      },
    },
    async (request) => {
      const { execution, status, limit } = request.query;
      return { items: await context.store.listDeliveries({ namespace: request.params.ns, executionId: execution, status, limit }) };
    },
  );
}
