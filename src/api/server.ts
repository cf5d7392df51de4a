import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { installBodyParsers } from './body-parsers.js';
import type { ApiContext } from './context.js';
import { installErrorHandling } from './errors.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { eventRoutes } from './routes/events.js';
import { executionRoutes } from './routes/executions.js';
import { functionRoutes } from './routes/functions.js';
import { healthRoutes } from './routes/health.js';
import { invokeRoutes } from './routes/invoke.js';
import { logRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { ruleRoutes } from './routes/rules.js';
import { scheduleRoutes } from './routes/schedules.js';
import { statsRoutes } from './routes/stats.js';

/** Builds the HTTP API on an engine and a store; the caller listens. */
export async function buildApi(context: ApiContext, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: context.payloadLimit,
    // Per-request lines at info level would drown the engine's own; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  installBodyParsers(app);
  installErrorHandling(app, context.payloadLimit);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Pontoon API', version: '1', description: 'Register, invoke and watch functions.' },
      tags: [{ name: 'functions' }, { name: 'executions' }, { name: 'schedules' }, { name: 'events' }, { name: 'rules' }, { name: 'stats' }, { name: 'health' }],
    },
  });
  for (const routes of [functionRoutes, invokeRoutes, executionRoutes, logRoutes, healthRoutes, metricsRoutes, scheduleRoutes, eventRoutes, ruleRoutes, deliveryRoutes, statsRoutes, dashboardRoutes]) {
    await app.register(async (scope) => routes(scope, context));
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
