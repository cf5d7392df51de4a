import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import type { ApiContext } from '../context.js';
import { errorResponsesFor } from '../schemas.js';
import { publicAccess } from '../auth/route-access.js';

const statusSchema = (status: string) => ({ type: 'object', required: ['status'], properties: { status: { const: status } } }) as const;

/** Liveness and readiness probes, as Kubernetes calls them. */
export async function healthRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get('/healthz', { config: { access: publicAccess }, schema: { summary: 'Liveness', tags: ['health'], response: { 200: statusSchema('ok') } } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    {
    config: { access: publicAccess }, schema: { summary: 'Readiness: the store answers and the engine runs', tags: ['health'], response: { 200: statusSchema('ready'), ...errorResponsesFor(503) } } },
    async () => {
      if (!context.isReady()) throw new PontoonError('NOT_READY', 'the engine is not running yet');
      // One index step: counting every execution would make the probe as slow as the queue is long.
      await context.store.listExecutions({ namespace: 'default', limit: 1 });
      return { status: 'ready' };
    },
  );
}
