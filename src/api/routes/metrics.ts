import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { PontoonMetrics } from '../../telemetry/metrics.js';
import type { ApiContext } from '../context.js';
import { inSomeNamespace, publicAccess } from '../auth/route-access.js';

/**
 * Prometheus metrics (see telemetry/metrics.ts): execution and attempt counters, durations, the
 * queue of each function, store latency, warm replicas, and the process's own.
 */
export async function metricsRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  // An API built without the controller's metrics (tests of routes alone) still answers, with the gauges.
  const metrics = context.metrics ?? new PontoonMetrics({ store: context.store, inFlight: () => context.engine.inFlightCount(), pools: () => context.engine.poolStatus(), scaleEvents: () => context.engine.scaleEvents() });
  const exposition = { content: { 'text/plain': { schema: { type: 'string', description: 'the Prometheus text format, version 0.0.4' } } } };
  app.get('/metrics', { config: { access: context.auth.openMetrics ? publicAccess : inSomeNamespace('read') }, schema: { summary: 'Prometheus metrics', tags: ['health'], response: { 200: exposition } } }, async (_request, reply) => {
    const triggerMetrics = context.triggers?.intake.metrics.registry;
    const merged = triggerMetrics ? Registry.merge([metrics.registry, triggerMetrics]) : metrics.registry;
    return reply.type(metrics.registry.contentType).send(await merged.metrics());
  });
}
