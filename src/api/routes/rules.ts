import type { FastifyInstance } from 'fastify';
import { PontoonError } from '../../domain/errors.js';
import { namePattern, priorityRange } from '../../domain/spec-schema.js';
import type { Rule } from '../../store/store.js';
import type { ApiContext } from '../context.js';
import { errorResponses, namespaceParams } from '../schemas.js';
import { inNamespace } from '../auth/route-access.js';

type RulePath = { ns: string; name: string };
type RuleBody = Pick<Rule, 'match' | 'function' | 'priority'>;

const attributeMatch = {
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'object', required: ['prefix'], additionalProperties: false, properties: { prefix: { type: 'string', minLength: 1 } } },
  ],
} as const;

/** Schema of a rule's body: which events, and which function they start. */
const ruleBodySchema = {
  type: 'object',
  required: ['match', 'function'],
  additionalProperties: false,
  properties: {
    match: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: 'CloudEvent attributes to match: a string matches exactly, {prefix} by prefix',
      properties: { type: attributeMatch, source: attributeMatch, subject: attributeMatch, extensions: { type: 'object', additionalProperties: attributeMatch } },
    },
    function: { type: 'string', pattern: namePattern, maxLength: 63, description: 'the function each matching event starts' },
    priority: { type: 'integer', ...priorityRange },
  },
} as const;

/** Schema of a stored rule. */
const ruleSchema = {
  type: 'object',
  properties: {
    namespace: { type: 'string' },
    name: { type: 'string' },
    match: { type: 'object', additionalProperties: true },
    function: { type: 'string' },
    priority: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

const ruleParams = {
  type: 'object',
  required: ['ns', 'name'],
  properties: { ns: namespaceParams.properties.ns, name: { type: 'string', pattern: namePattern, maxLength: 63, examples: ['on-push'] } },
} as const;

function notFound(ns: string, name: string): PontoonError {
  return new PontoonError('RULE_NOT_FOUND', `rule ${ns}/${name} not found; create it with PUT /v1/namespaces/${ns}/rules/${name}`, { namespace: ns, name });
}

/** Standalone rules (as OpenWhisk's triggers and rules): a CloudEvent match and the function it starts. */
export async function ruleRoutes(app: FastifyInstance, context: ApiContext): Promise<void> {
  const { store } = context;
  const clock = context.triggers?.clock ?? (() => new Date());

  app.put<{ Params: RulePath; Body: RuleBody }>(
    '/v1/namespaces/:ns/rules/:name',
    {
      config: { access: inNamespace('deploy') },
      schema: {
        summary: 'Create or replace a rule',
        tags: ['rules'],
        params: ruleParams,
        body: ruleBodySchema,
        response: { 200: ruleSchema, 201: ruleSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ns, name } = request.params;
      const { match, function: fn, priority } = request.body;
      // A rule may be made before its function (events then match nothing), but a typo is likelier.
      if (!(await store.getFunction(ns, fn))) {
        throw new PontoonError('FUNCTION_NOT_FOUND', `function ${ns}/${fn} not found; deploy it before pointing a rule at it`, { namespace: ns, name: fn });
      }
      const { rule, created } = await store.putRule({ namespace: ns, name, match, function: fn, priority }, clock().toISOString());
      return reply.status(created ? 201 : 200).send(rule);
    },
  );

  app.get<{ Params: RulePath }>(
    '/v1/namespaces/:ns/rules/:name',
    {
    config: { access: inNamespace('read') }, schema: { summary: 'Read a rule', tags: ['rules'], params: ruleParams, response: { 200: ruleSchema, ...errorResponses } } },
    async (request) => {
      const { ns, name } = request.params;
      const rule = await store.getRule(ns, name);
      if (!rule) throw notFound(ns, name);
      return rule;
    },
  );

  app.get<{ Params: { ns: string } }>(
    '/v1/namespaces/:ns/rules',
    {
      config: { access: inNamespace('read') },
      schema: {
        summary: 'List the rules of a namespace',
        tags: ['rules'],
        params: namespaceParams,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: ruleSchema } } } },
      },
    },
    async (request) => ({ items: await store.listRules(request.params.ns) }),
  );

  app.delete<{ Params: RulePath }>(
    '/v1/namespaces/:ns/rules/:name',
    {
    config: { access: inNamespace('deploy') }, schema: { summary: 'Delete a rule', tags: ['rules'], params: ruleParams, response: { 204: { type: 'null', description: 'the rule is deleted' }, ...errorResponses } } },
    async (request, reply) => {
      const { ns, name } = request.params;
      if (!(await store.deleteRule(ns, name))) throw notFound(ns, name);
      return reply.status(204).send();
    },
  );
}
