// The OpenAPI document: @fastify/swagger builds it from the route schemas; this file adds what
// every operation shares, so that the document lists each status the server can answer.
// scripts/schemathesis.sh checks the document against the server.
import type { FastifySchema, RouteOptions } from 'fastify';
import { undeclaredAccess } from './auth/route-access.js';
import { errorBodySchema } from './errors.js';

declare module 'fastify' {
  /** What a route's `config` may carry for the document alone. */
  interface FastifyContextConfig {
    /** The request body as documented, for a route that reads its body by hand (no validation by fastify). */
    documentedBody?: unknown;
  }
}

const bodyMethods = new Set(['POST', 'PUT', 'PATCH', 'QUERY']);

function error(description: string) {
  return { description, ...errorBodySchema };
}

/**
 * Completes one operation: a route that takes any input (path, query, headers or body) can answer
 * 400, and one that takes a body can answer 413; a route that reads its body by hand gets its
 * documented body.
 */
function documentOperation({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }) {
  if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
  const methods = [route.method].flat().map((method) => method.toUpperCase());
  const config = route.config ?? {};
  const takesBody = methods.some((method) => bodyMethods.has(method));
  const response = { ...(schema.response as Record<string, unknown> | undefined) };
  const takesInput = takesBody || schema.params !== undefined || schema.querystring !== undefined || schema.headers !== undefined;
  if (takesInput) response[400] ??= error('the request is invalid: the error names the field');
  if (takesBody) response[413] ??= error('the body is larger than the payload limit');
  // Who may call it: `security` for clients (Schemathesis sends the token it is given), and the
  // access the route declared (the auth matrix test reads it, so no route goes unchecked).
  const access = config.access ?? undeclaredAccess(url);
  const open = access.kind === 'public' || access.kind === 'own-credential';
  if (!open) {
    response[401] ??= error('no bearer token, or one the server does not recognise');
    response[403] ??= error("the token's role is too weak here, or a browser sent the request from another site");
  }
  if (access.kind === 'namespace') response[404] ??= error('not found, or the token holds no role in the namespace');
  if (takesBody) response[415] ??= error('the body is not application/json (or YAML where documented)');
  if (config.enqueues) response[429] ??= error("too many invoking requests from this token (see Retry-After), or the namespace's queue is full");
  const documented: FastifySchema & Record<string, unknown> = { ...schema, response, security: open ? [] : [{ bearerAuth: [] }], 'x-pontoon-access': config.access ? access : { ...access, undeclared: true } };
  if (config.documentedBody !== undefined) documented.body = config.documentedBody;
  return { schema: documented, url };
}

/** Options for @fastify/swagger. */
export const openapiOptions = {
  openapi: {
    openapi: '3.1.0',
    info: { title: 'Pontoon API', version: '1', description: 'Register, invoke and watch functions.' },
    components: { securitySchemes: { bearerAuth: { type: 'http' as const, scheme: 'bearer', description: 'a token from the server\'s tokens file (pontoon token create) or, with --token-review, a Kubernetes token' } } },
    tags: [{ name: 'functions' }, { name: 'executions' }, { name: 'schedules' }, { name: 'events' }, { name: 'rules' }, { name: 'stats' }, { name: 'health' }],
  },
  // Every GET answers HEAD too (fastify adds the route): the document says so.
  exposeHeadRoutes: true,
  transform: documentOperation,
};
