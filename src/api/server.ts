import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { redactUrlFields } from '../domain/url-credentials.js';
import { installBodyParsers } from './body-parsers.js';
import { installAuth } from './auth/install-auth.js';
import { authenticated } from './auth/route-access.js';
import type { ApiContext } from './context.js';
import { answerUnservedMethods, clientErrorHandler, frameworkErrors, installErrorHandling, maxParamLength } from './errors.js';
import { requestValidatorCompiler } from './request-validation.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { eventRoutes } from './routes/events.js';
import { executionRoutes } from './routes/executions.js';
import { functionRoutes } from './routes/functions.js';
import { packageRoutes } from './routes/packages.js';
import { openapiOptions } from './openapi.js';
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
    // No child logger per request (pino builds one with its bindings, ~15 µs of each invoke's
    // CPU): the API logs from a request only a failure, which names the request itself (errors.ts).
    childLoggerFactory: (logger) => logger,
    // Errors met before a route is chosen get the API's error shape too.
    routerOptions: { maxParamLength },
    frameworkErrors: frameworkErrors(context.payloadLimit),
    clientErrorHandler,
  });
  app.setValidatorCompiler(requestValidatorCompiler);
  installBodyParsers(app);
  installErrorHandling(app, context.payloadLimit);
  await app.register(swagger, openapiOptions);
  await installAuth(app, context.auth, context.store);
  // Every answer shows URLs without their credentials, whichever route built it.
  app.addHook('preSerialization', async (_request, _reply, payload) => redactUrlFields(payload));
  const addMethodNotAllowedRoutes = answerUnservedMethods(app);
  for (const routes of [functionRoutes, invokeRoutes, executionRoutes, logRoutes, healthRoutes, metricsRoutes, scheduleRoutes, eventRoutes, ruleRoutes, deliveryRoutes, statsRoutes, dashboardRoutes, packageRoutes]) {
    await app.register(async (scope) => routes(scope, context));
  }
  app.get('/openapi.json', { schema: { hide: true }, config: { access: authenticated } }, async () => app.swagger());
  addMethodNotAllowedRoutes();
  return app;
}
