import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiContext } from '../context.js';

/** Prometheus metrics: queue depth by status, attempts in flight, and the process's own. */
export async function metricsRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pontoon_process_' });
  new Gauge({
    name: 'pontoon_executions',
    help: 'Executions in the store by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await context.store.countExecutions();
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'pontoon_attempts_in_flight',
    help: 'Attempts this controller runs now',
    registers: [registry],
    collect() {
      this.set(context.engine.inFlightCount());
    },
  });
  const pools = () => context.engine.poolStatus();
  new Gauge({
    name: 'pontoon_warm_replicas_desired',
    help: 'Replicas the Scalar wants for a warm function',
    labelNames: ['namespace', 'function'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of pools()) this.set({ namespace: pool.namespace, function: pool.name }, pool.desired);
    },
  });
  new Gauge({
    name: 'pontoon_warm_replicas_ready',
    help: 'Replicas of a warm function that take work',
    labelNames: ['namespace', 'function'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of pools()) this.set({ namespace: pool.namespace, function: pool.name }, pool.ready);
    },
  });
  new Gauge({
    name: 'pontoon_warm_invocations_in_flight',
    help: 'Executions in flight on the replicas of a warm function',
    labelNames: ['namespace', 'function'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of pools()) this.set({ namespace: pool.namespace, function: pool.name }, pool.inFlight);
    },
  });
  new Counter({
    name: 'pontoon_scalar_scale_events_total',
    help: 'Pool size changes the Scalar decided',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(context.engine.scaleEvents());
    },
  });
  const exposition = { content: { 'text/plain': { schema: { type: 'string', description: 'the Prometheus text format, version 0.0.4' } } } };
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'], response: { 200: exposition } } }, async (_request, reply) => {
    const triggerMetrics = context.triggers?.intake.metrics.registry;
    const merged = triggerMetrics ? Registry.merge([registry, triggerMetrics]) : registry;
    return reply.type(registry.contentType).send(await merged.metrics());
  });
}
