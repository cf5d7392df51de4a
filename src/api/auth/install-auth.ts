import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allowedSomewhere, decide, everything, type Principal } from '../../domain/access.js';
import { PontoonError } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import type { AuthSettings } from './auth-settings.js';
import { checkHost, checkOrigin } from './browser-guard.js';
import { undeclaredAccess, type RouteAccess } from './route-access.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request, once authenticated (anonymous admin when auth is off). */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The route starts executions: the namespace's queue limit applies. */
    enqueues?: boolean;
  }
}

const anonymous: Principal = { name: 'anonymous', grants: everything };

/** The bearer token of a request, if it sent one. */
function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

async function principalOf(request: FastifyRequest, settings: AuthSettings): Promise<Principal> {
  if (settings.mode === 'open') return anonymous;
  const token = bearerToken(request);
  if (token === undefined) {
    throw new PontoonError('UNAUTHENTICATED', 'this API needs a bearer token: send Authorization: Bearer <token> (the CLI reads PONTOON_TOKEN or ~/.config/pontoon/config.yaml; an admin makes one with pontoon token create)');
  }
  for (const authenticator of settings.authenticators) {
    const principal = await authenticator.authenticate(token);
    if (principal) return principal;
  }
  throw new PontoonError('UNAUTHENTICATED', 'the bearer token is not recognised (revoked, mistyped or from another server); ask an admin for a token');
}

function authorize(request: FastifyRequest, access: RouteAccess, principal: Principal): void {
  if (access.kind === 'authenticated') return;
  if (access.kind === 'some-namespace') {
    if (allowedSomewhere(principal.grants, access.action)) return;
    throw new PontoonError('FORBIDDEN', `token ${principal.name} may not ${access.action} in any namespace; this needs the ${access.action} action in at least one`, { action: access.action });
  }
  if (access.kind !== 'namespace') return;
  const namespace = (request.params as { ns?: string }).ns ?? '';
  const decision = decide(principal.grants, namespace, access.action);
  if (decision === 'allowed') return;
  if (decision === 'hidden') {
    throw new PontoonError('NAMESPACE_NOT_FOUND', `namespace ${namespace} not found (or your token holds no role in it)`, { namespace });
  }
  throw new PontoonError('FORBIDDEN', `token ${principal.name} may not ${access.action} in namespace ${namespace}: its role there is too weak (viewer reads; invoker invokes and cancels; deployer deploys and deletes)`, { namespace, action: access.action });
}

/** The access of the route a request matched; undefined when no route matched (the 404 answer). */
function accessOf(request: FastifyRequest): RouteAccess | undefined {
  const { url, config } = request.routeOptions;
  if (url === undefined) return undefined;
  return config.access ?? undeclaredAccess(url);
}

/**
 * The one place every request passes through: the Host and Origin checks, the bearer token and
 * the route's access (onRequest, before any body is read), then the per-token rate and the
 * namespace's queue limit on routes that invoke.
 */
export async function installAuth(app: FastifyInstance, settings: AuthSettings, store: Store): Promise<void> {
  if (settings.corsOrigins.length > 0) {
    await app.register(cors, { origin: settings.corsOrigins, allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-callback-url'] });
  }
  await app.register(rateLimit, { global: false });

  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access?.kind === 'own-credential') return;
    checkHost(request, settings.allowedHosts);
    checkOrigin(request, settings.corsOrigins);
    if (access === undefined || access.kind === 'public') return;
    const principal = await principalOf(request, settings).catch((thrown: unknown) => {
      // RFC 6750: a 401 names the scheme it wants.
      void reply.header('www-authenticate', 'Bearer realm="pontoon"');
      throw thrown;
    });
    authorize(request, access, principal);
    request.principal = principal;
  });

  const invokeRate =
    settings.invokeRate > 0
      ? app.rateLimit({
          max: settings.invokeRate,
          timeWindow: 1000,
          keyGenerator: (request) => request.principal?.key ?? request.principal?.name ?? request.ip,
          errorResponseBuilder: (_request, context) =>
            new PontoonError('RATE_LIMITED', `more than ${context.max} invoking requests a second from this token; wait ${context.after} (Retry-After) and send again`, { limit: context.max, perMs: 1000 }),
        })
      : undefined;
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = accessOf(request);
    if (invokeRate && access?.kind === 'namespace' && access.action === 'invoke') await invokeRate.call(app, request, reply);
    if (settings.maxQueuedPerNamespace > 0 && request.routeOptions.config.enqueues) {
      const namespace = (request.params as { ns?: string }).ns ?? '';
      const { queued } = await store.countExecutions(namespace, undefined, ['queued']);
      if (queued >= settings.maxQueuedPerNamespace) {
        reply.header('retry-after', '1');
        throw new PontoonError('QUEUE_FULL', `namespace ${namespace} already has ${queued} queued executions, its limit: wait for some to start, or cancel some, and send again`, { namespace, queued, limit: settings.maxQueuedPerNamespace });
      }
    }
  });
}
