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
    pontoon = await startTestPontoon();
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
