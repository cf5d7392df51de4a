import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

type Operation = { responses?: Record<string, { content?: Record<string, unknown> }>; parameters?: unknown[]; requestBody?: { content: Record<string, unknown> } };

// scripts/schemathesis.sh checks the whole document against the server; these are the promises
// that a change to one route could silently break, checked in a second.
describe('the OpenAPI document', () => {
  let pontoon: TestPontoon;
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> };
  before(async () => {
    pontoon = await startTestPontoon({ allowOutbound: ['127.0.0.1/32'] });
    document = (await pontoon.request('GET', '/openapi.json')).body;
  });
  after(() => pontoon.close());

  const operations = () => Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));

  it('is OpenAPI 3.1 and declares HEAD wherever GET is served', () => {
    assert.equal(document.openapi, '3.1.0');
    for (const [path, methods] of Object.entries(document.paths)) {
      if (methods.get) assert.ok(methods.head, `HEAD ${path}`);
    }
  });

  it('documents 400 on every operation that takes input, and 413 on every one with a body', () => {
    for (const { path, method, operation } of operations()) {
      const takesBody = ['post', 'put', 'patch'].includes(method);
      if (takesBody || (operation.parameters ?? []).length > 0) assert.ok(operation.responses?.['400'], `${method} ${path} 400`);
      if (takesBody) assert.ok(operation.responses?.['413'], `${method} ${path} 413`);
    }
  });

  it('documents the events body in structured and batch modes, as the server reads them', () => {
    const body = document.paths['/v1/namespaces/{ns}/events'].post.requestBody;
    assert.deepEqual(Object.keys(body?.content ?? {}).sort(), ['application/cloudevents+json', 'application/cloudevents-batch+json']);
  });

  it('documents what the routes answer: 204 for a deleted rule, the schema, server-sent events for follow=true', () => {
    assert.ok(document.paths['/v1/namespaces/{ns}/rules/{name}'].delete.responses?.['204']);
    assert.ok(document.paths['/v1/schema'].get.responses?.['200']);
    const logs = document.paths['/v1/namespaces/{ns}/executions/{id}/logs'].get.responses?.['200'].content ?? {};
    assert.deepEqual(Object.keys(logs).sort(), ['application/json', 'text/event-stream']);
  });

  it('refuses what its parameters exclude and accepts what they admit: wait, X-Callback-Url, cursor, metadata', async () => {
    assert.equal((await pontoon.deploy('quick', { runtime: 'command', command: ['true'] })).status, 201);
    const invoke = (query: string, headers: Record<string, string> = {}) => pontoon.request('POST', `/v1/namespaces/default/functions/quick/invoke${query}`, null, headers);
    // A bare number is no duration; a wait past the longest is honoured up to it (RFC 7240's wait).
    const bare = await invoke('?wait=1');
    assert.equal(bare.status, 400);
    assert.match(bare.body.error.message, /querystring\.wait/);
    const long = await invoke('?wait=99999999999999999999h');
    assert.equal(long.status, 200, JSON.stringify(long.body));
    for (const url of ['', 'ftp://host/x', 'http://a.1', 'http://host:99999']) {
      const refused = await invoke('', { 'x-callback-url': url });
      assert.equal(refused.status, 400, url);
      assert.match(refused.body.error.message, /x-callback-url/, url);
    }
    assert.equal((await invoke('', { 'x-callback-url': 'http://127.0.0.1:9/done' })).status, 202);
    const cursor = await pontoon.request('GET', '/v1/namespaces/default/executions?cursor=0');
    assert.equal(cursor.status, 400);
    assert.match(cursor.body.error.message, /querystring\.cursor/);
    for (const metadata of [null, [], 'quick']) {
      const deployed = await pontoon.request('PUT', '/v1/namespaces/default/functions/quick', { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata, spec: { runtime: 'command', command: ['true'] } });
      assert.equal(deployed.status, 422, JSON.stringify(metadata));
      assert.equal(deployed.body.error.details.problems[0].field, 'metadata');
    }
  });

  it('lists no path the server does not serve, and every path refuses other methods with 405', async () => {
    for (const path of Object.keys(document.paths)) {
      const concrete = path.replace('{ns}', 'default').replace('{name}', 'x').replace('{id}', 'x');
      const answer = await pontoon.request('PATCH', concrete);
      if (document.paths[path].patch) continue;
      assert.equal(answer.status, 405, `PATCH ${path}`);
      const allowed = (answer.headers.get('allow') ?? '').split(', ').map((method) => method.toLowerCase()).sort();
      assert.deepEqual(allowed, Object.keys(document.paths[path]).sort(), path);
    }
  });
});
