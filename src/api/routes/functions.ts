import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import type { FunctionVersion } from '../../domain/function-spec.js';
import { functionSchema } from '../../domain/spec-schema.js';
import type { Store } from '../../store/store.js';
import type { Engine } from '../../engine/engine.js';
import { warmSettings } from '../../domain/warm.js';
import type { ApiContext } from '../context.js';
import { checkSinkUrls } from '../outbound-urls.js';
import { checkSecretsPresent } from '../secret-check.js';
import { errorResponses, functionParams, functionResourceSchema, namespaceParams } from '../schemas.js';
import { roleIn } from '../../domain/access.js';
import { authenticated, inNamespace, inSomeNamespace } from '../auth/route-access.js';

type FunctionPath = { ns: string; name: string };

/** What a warm function's pool shows in its status; null for an on-demand function. */
function replicasOf(engine: Engine, fn: FunctionVersion) {
  if (!warmSettings(fn)) return null;
  const pool = engine.poolStatus().find((status) => status.namespace === fn.namespace && status.name === fn.name);
  return { desired: pool?.desired ?? 0, ready: pool?.ready ?? 0, starting: pool?.starting ?? 0, draining: pool?.draining ?? 0, inFlight: pool?.inFlight ?? 0 };
}

/** The API's view of a function version: the document, its version, and what its executions and replicas are doing. */
async function toResource(store: Store, engine: Engine, fn: FunctionVersion) {
  const [counts, last] = await Promise.all([
    // Only the live statuses: a function's history can be millions of executions long.
    store.countExecutions(fn.namespace, fn.name, ['queued', 'running']),
    store.listExecutions({ namespace: fn.namespace, function: fn.name, limit: 1 }),
  ]);
  const lastExecution = last.items[0];
  return {
    apiVersion: fn.document.apiVersion,
    kind: fn.document.kind,
    metadata: { ...fn.document.metadata, version: fn.version, createdAt: fn.createdAt },
    spec: fn.document.spec,
    status: {
      queued: counts.queued,
      running: counts.running,
      lastExecution: lastExecution ? { id: lastExecution.id, status: lastExecution.status, createdAt: lastExecution.createdAt } : null,
      replicas: replicasOf(engine, fn),
    },
  };
}

function notFound(ns: string, name: string): PontoonError {
  return new PontoonError('FUNCTION_NOT_FOUND', `function ${ns}/${name} not found; deploy it with PUT /v1/namespaces/${ns}/functions/${name}`, { namespace: ns, name });
}

/** Path and body must agree on the function's name and namespace; the path fills in what the body omits. */
function withPathIdentity(body: unknown, ns: string, name: string): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new PontoonError('INVALID_SPEC', 'the body must be a Function document (an object)', { problems: [{ field: '(document)', message: 'must be an object' }] });
  }
  const document = body as { metadata?: Record<string, unknown> };
  if (document.metadata !== undefined && (document.metadata === null || typeof document.metadata !== 'object' || Array.isArray(document.metadata))) {
    throw new PontoonError('INVALID_SPEC', 'invalid function spec: metadata must be an object', { problems: [{ field: 'metadata', message: 'must be an object' }] });
  }
  const metadata = { ...(document.metadata ?? {}) };
  const problems = [];
  if (metadata.name !== undefined && metadata.name !== name) problems.push({ field: 'metadata.name', message: `must match the path (${name})` });
  if (metadata.namespace !== undefined && metadata.namespace !== ns) problems.push({ field: 'metadata.namespace', message: `must match the path (${ns})` });
  if (problems.length > 0) throw new PontoonError('INVALID_SPEC', `invalid function spec: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems });
  return { ...document, metadata: { ...metadata, name, namespace: ns } };
}

/** Routes that deploy, read and delete functions, and serve their schema. */
export async function functionRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store, engine } = context;

  app.get(
    '/v1/schema',
    {
    config: { access: authenticated }, schema: { summary: 'The Function JSON Schema', tags: ['functions'], response: { 200: { type: 'object', additionalProperties: true, description: 'the JSON Schema of a Function document' } } } },
    async () => functionSchema,
  );

  app.put<{ Params: FunctionPath }>(
    '/v1/namespaces/:ns/functions/:name',
    {
      config: { access: inNamespace('deploy') },
      schema: {
        summary: 'Deploy a function (a new version each time)',
        tags: ['functions'],
        params: functionParams,
        // The top level only: the spec's schema is served at /v1/schema, and what no schema can say
        // (a cron expression that parses, a source directory that exists) is a 422 naming the field.
        body: {
          type: 'object',
          description: 'a Function document, JSON or YAML (application/yaml); its schema is served at /v1/schema; metadata.name and namespace default to the path',
          required: ['apiVersion', 'kind', 'spec'],
          properties: { apiVersion: { const: 'pontoon.dev/v1' }, kind: { const: 'Function' }, metadata: { type: 'object' }, spec: { type: 'object' } },
        },
        response: { 200: functionResourceSchema, 201: functionResourceSchema, ...errorResponses },
      },
      // The domain validates the document and names every wrong field; fastify would stop at the first.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      checkSinkUrls(request.body, context.outboundAllowance);
      const document = withPathIdentity(request.body, ns, name);
      await checkSecretsPresent(document, context.missingSecrets);
      const { fn, created } = await engine.deploy(document);
      return reply.status(created ? 201 : 200).send(await toResource(store, engine, fn));
    },
  );

  app.get<{ Params: FunctionPath }>(
    '/v1/namespaces/:ns/functions/:name',
    {
    config: { access: inNamespace('read') }, schema: { summary: 'Read a function', tags: ['functions'], params: functionParams, response: { 200: functionResourceSchema, ...errorResponses } } },
    async (request) => {
      const { ns, name } = request.params;
      const fn = await store.getFunction(ns, name);
      if (!fn) throw notFound(ns, name);
      return toResource(store, engine, fn);
    },
  );

  const listResponse = { 200: { type: 'object', properties: { items: { type: 'array', items: functionResourceSchema } } } };
  app.get<{ Params: { ns: string } }>(
    '/v1/namespaces/:ns/functions',
    {
    config: { access: inNamespace('read') }, schema: { summary: 'List the functions of a namespace', tags: ['functions'], params: namespaceParams, response: listResponse } },
    async (request) => ({ items: await Promise.all((await store.listFunctions(request.params.ns)).map((fn) => toResource(store, engine, fn))) }),
  );
  app.get(
    '/v1/functions',
    {
    config: { access: inSomeNamespace('read') }, schema: { summary: 'List the functions of every namespace', tags: ['functions'], response: listResponse } },
    async (request) => {
      // Only the namespaces the caller may read: the others' functions are not even named.
      const visible = (await store.listFunctions()).filter((fn) => roleIn(request.principal?.grants ?? {}, fn.namespace) !== undefined);
      return { items: await Promise.all(visible.map((fn) => toResource(store, engine, fn))) };
    },
  );

  app.delete<{ Params: FunctionPath }>(
    '/v1/namespaces/:ns/functions/:name',
    {
      config: { access: inNamespace('deploy') },
      schema: {
        summary: 'Delete a function; its queued executions are cancelled, running ones finish',
        tags: ['functions'],
        params: functionParams,
        response: {
          200: { type: 'object', properties: { namespace: { type: 'string' }, name: { type: 'string' }, deleted: { type: 'boolean' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { ns, name } = request.params;
      if (!(await store.deleteFunction(ns, name))) throw notFound(ns, name);
      return { namespace: ns, name, deleted: true };
    },
  );
}
