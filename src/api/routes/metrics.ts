import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { PontoonMetrics } from '../../telemetry/metrics.js';
import type { ApiContext } from '../context.js';

/**
 * Prometheus metrics (see telemetry/metrics.ts): execution and attempt counters, durations, the
 * queue of each function, store latency, warm replicas, and the process's own.
 */
export async function metricsRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  // An API built without the controller's metrics (tests of routes alone) still answers, with the gauges.
  const metrics = context.metrics ?? new PontoonMetrics({ store: context.store, inFlight: () => context.engine.inFlightCount() });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'] } }, async (_request, reply) => {
    const triggerMetrics = context.triggers?.intake.metrics.registry;
    const merged = triggerMetrics ? Registry.merge([metrics.registry, triggerMetrics]) : metrics.registry;
    return reply.type(metrics.registry.contentType).send(await merged.metrics());
  });
}
