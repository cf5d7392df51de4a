import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { PontoonApiError, PontoonClient, PontoonUnreachableError } from '../../src/client/index.js';
import { deadUrl, startTinyServer } from './tiny-server.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const execution = { id: 'e1', namespace: 'team-a', function: 'primes', version: 2, status: 'queued', attempts: [] };

describe('PontoonClient requests and error mapping', () => {
  let app: FastifyInstance;
  let client: PontoonClient;
  const seen: Seen[] = [];

  before(async () => {
    const server = await startTinyServer((app) => {
      // Keep bodies raw so the test sees exactly what the client sent.
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
      app.addHook('onRequest', async (request) => {
        seen.push({ method: request.method, url: request.url, headers: request.headers, body: '' });
      });
      app.addHook('preHandler', async (request) => {
        seen[seen.length - 1]!.body = typeof request.body === 'string' ? request.body : '';
      });
      app.post('/v1/namespaces/team-a/functions/primes/invoke', async (_request, reply) =>
        reply.status(202).header('x-pontoon-wait-expired', 'true').header('x-pontoon-idempotent-replay', 'true').send(execution),
      );
      app.put('/v1/namespaces/team-a/functions/bad', async (_request, reply) =>
        reply.status(422).send({
          error: { code: 'INVALID_SPEC', message: 'the spec has 2 problems', details: { problems: [{ field: 'spec.timeout', message: 'must be a duration' }] } },
        }),
      );
      app.put('/v1/namespaces/team-a/functions/primes', async (_request, reply) =>
        reply.status(201).send({ metadata: { name: 'primes', namespace: 'team-a', version: 1 } }),
      );
      app.get('/v1/namespaces/team-a/executions', async () => ({ items: [execution], nextCursor: 'c2' }));
      app.get('/v1/namespaces/team-a/stats/functions', async () => ({ since: 's', until: 'u', items: [] }));
      app.get('/v1/namespaces/team-a/stats/series', async () => ({ since: 's', until: 'u', bucketMs: 60_000, items: [] }));
      app.get('/v1/namespaces/team-a/executions/gone', async (_request, reply) => reply.status(502).type('text/plain').send('Bad Gateway from a proxy'));
    });
    app = server.app;
    client = new PontoonClient({ url: `${server.url}/`, namespace: 'team-a' });
  });

  after(() => app.close());

  it('sends a YAML spec as is, and the dashboard’s windows and filters as query', async () => {
    const yaml = 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: {name: primes}\n';
    const deployed = await client.deployFunctionYaml('primes', yaml);
    assert.equal(deployed.created, true);
    assert.equal(seen.at(-1)!.headers['content-type'], 'application/yaml');
    assert.equal(seen.at(-1)!.body, yaml);

    await client.listExecutions({ function: 'primes', createdSince: '2030-01-01T00:00:00.000Z', createdBefore: '2030-01-02T00:00:00.000Z', limit: 50 });
    assert.equal(
      seen.at(-1)!.url,
      '/v1/namespaces/team-a/executions?function=primes&limit=50&createdSince=2030-01-01T00%3A00%3A00.000Z&createdBefore=2030-01-02T00%3A00%3A00.000Z',
    );
    assert.deepEqual(await client.functionStats({ since: '2030-01-01T00:00:00.000Z' }), { since: 's', until: 'u', items: [] });
    assert.equal(seen.at(-1)!.url, '/v1/namespaces/team-a/stats/functions?since=2030-01-01T00%3A00%3A00.000Z');
    assert.equal((await client.executionSeries({ function: 'primes', bucket: '1m' })).bucketMs, 60_000);
    assert.equal(seen.at(-1)!.url, '/v1/namespaces/team-a/stats/series?function=primes&bucket=1m');
  });

  it('sends the input as a JSON body, wait and priority as query, the idempotency key as a header', async () => {
    const answer = await client.invoke('primes', [1, 100], { wait: '30s', priority: 7, idempotencyKey: 'k-1' });
    const request = seen.at(-1)!;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/v1/namespaces/team-a/functions/primes/invoke?wait=30s&priority=7');
    assert.equal(request.headers['idempotency-key'], 'k-1');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.body, '[1,100]');
    assert.deepEqual(answer, { execution, waitExpired: true, replay: true });
  });

  it('sends no body at all when there is no input, so the server reads null', async () => {
    await client.invoke('primes', undefined);
    const request = seen.at(-1)!;
    assert.equal(request.url, '/v1/namespaces/team-a/functions/primes/invoke');
    assert.equal(request.headers['content-type'], undefined);
    assert.equal(request.body, '');
  });

  it('tells a new function (201) from a new version', async () => {
    const result = await client.deployFunction('primes', { apiVersion: 'pontoon.dev/v1', kind: 'Function', spec: { runtime: 'command' } });
    assert.equal(result.created, true);
    assert.equal(result.function.metadata.version, 1);
  });

  it('turns a JSON error body into a PontoonApiError with code, status, message and details', async () => {
    const error = await client.deployFunction('bad', {}).then(
      () => assert.fail('expected a rejection'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof PontoonApiError);
    assert.equal(error.code, 'INVALID_SPEC');
    assert.equal(error.status, 422);
    assert.equal(error.message, 'the spec has 2 problems');
    assert.deepEqual(error.details, { problems: [{ field: 'spec.timeout', message: 'must be a duration' }] });
  });

  it('gives a non-JSON error answer a code from its status and keeps its text', async () => {
    await assert.rejects(client.getExecution('gone'), (error: unknown) => {
      assert.ok(error instanceof PontoonApiError);
      assert.equal(error.code, 'HTTP_502');
      assert.equal(error.status, 502);
      assert.match(error.message, /Bad Gateway from a proxy/);
      return true;
    });
  });

  it('passes filters as query values and answers the page with its cursor', async () => {
    const page = await client.listExecutions({ function: 'primes', status: 'failed', limit: 5 });
    assert.equal(seen.at(-1)!.url, '/v1/namespaces/team-a/executions?function=primes&status=failed&limit=5');
    assert.equal(page.nextCursor, 'c2');
    assert.equal(page.items[0]!.id, 'e1');
  });

  it('escapes names in paths and switches namespaces without changing the original client', async () => {
    const other = client.inNamespace('team b');
    await assert.rejects(other.getFunction('a/b'));
    assert.equal(seen.at(-1)!.url, '/v1/namespaces/team%20b/functions/a%2Fb');
    assert.equal(client.namespace, 'team-a');
  });

  it('reports a server that does not answer as PontoonUnreachableError naming the URL', async () => {
    const url = await deadUrl();
    await assert.rejects(new PontoonClient({ url }).listFunctions(), (error: unknown) => {
      assert.ok(error instanceof PontoonUnreachableError);
      assert.equal(error.url, url);
      assert.equal(error.reason, 'ECONNREFUSED');
      return true;
    });
  });
});
