import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import type { ApiContext } from '../context.js';

/** Liveness and readiness probes, as Kubernetes calls them. */
export async function healthRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the store answers and the engine runs', tags: ['health'] } }, async () => {
    if (!context.isReady()) throw new PontoonError('NOT_READY', 'the engine is not running yet');
    // One index step: counting every execution would make the probe as slow as the queue is long.
    await context.store.listExecutions({ namespace: 'default', limit: 1 });
    return { status: 'ready' };
  });
}
