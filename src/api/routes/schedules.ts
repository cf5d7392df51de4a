import type { FastifyInstance } from 'fastify';
import { scheduleViews } from '../../triggers/schedule-view.js';
import type { ApiContext } from '../context.js';
import { errorResponsesFor, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

const nullableString = { type: ['string', 'null'] } as const;

/** Schema of one schedule in a listing. */
const scheduleViewSchema = {
  type: 'object',
  properties: {
    namespace: { type: 'string' },
    function: { type: 'string' },
    schedule: { type: 'string', description: 'its name, or its index in spec.schedules' },
    cron: { type: 'string' },
    timezone: { type: 'string' },
    concurrencyPolicy: { type: 'string' },
    missedRunPolicy: { type: 'string' },
    suspend: { type: 'boolean' },
    lastFireTime: nullableString,
    lastTick: nullableString,
    nextFireTime: nullableString,
  },
} as const;

/** `GET /v1/namespaces/{ns}/schedules`: every schedule of the namespace with its last and next fire times. */
export async function scheduleRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const clock = context.triggers?.clock ?? (() => new Date());
  app.get<{ Params: { ns: string }; Querystring: { function?: string } }>(
    '/v1/namespaces/:ns/schedules',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'List the cron schedules of the namespace’s functions with their last and next fire times',
        tags: ['schedules'],
        params: namespaceParams,
        querystring: { type: 'object', properties: { function: { type: 'string' } }, additionalProperties: false },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: scheduleViewSchema } } }, ...errorResponsesFor(400) },
      },
    },
    async (request) => {
      const { ns } = request.params;
      const [functions, states] = await Promise.all([store.listFunctions(ns), store.listScheduleStates(ns)]);
      const wanted = request.query.function;
      const items = scheduleViews(wanted === undefined ? functions : functions.filter((fn) => fn.name === wanted), states, clock());
      return { items };
    },
  );
}
