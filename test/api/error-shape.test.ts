import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

/** Asserts the one error shape: `{error: {code, message}}` with nothing else at the top. */
function assertErrorShape(body: unknown, code: string): { code: string; message: string; details?: any } {
  assert.equal(typeof body, 'object', `a JSON error body, not ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body as object), ['error']);
  const error = (body as { error: { code: string; message: string } }).error;
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  return error;
}

/** fetch refuses TRACE and does not know QUERY, so these requests go through node:http. */
function rawRequest(method: string, url: string): Promise<{ status: number; allow: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, allow: response.headers.allow, body: JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const deepJson = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('every error answer has one shape', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
    assert.equal((await pontoon.deploy('echo', { runtime: 'command', command: ['cat'] })).status, 201);
  });
  after(() => pontoon.close());

  it('a name longer than 63 characters is a validation error naming the field; a path segment past 1024 answers 414', async () => {
    const long = await pontoon.request('GET', `/v1/namespaces/default/functions/${'a'.repeat(120)}`);
    assert.equal(long.status, 400);
    assert.match(assertErrorShape(long.body, 'INVALID_REQUEST').message, /params\.name must NOT have more than 63 characters/);
    const huge = await pontoon.request('GET', `/v1/namespaces/default/functions/${'a'.repeat(2000)}`);
    assert.equal(huge.status, 414);
    assertErrorShape(huge.body, 'URI_TOO_LONG');
  });

  it('a path with bad percent-encoding answers 400 in the error shape', async () => {
    const answer = await pontoon.request('GET', '/v1/namespaces/default/functions/%E0%A4%A');
    assert.equal(answer.status, 400);
    assert.match(assertErrorShape(answer.body, 'BAD_REQUEST').message, /percent-encoded/);
  });

  it('a 100 KB URL answers 431 in the error shape', async () => {
    const answer = await pontoon.request('GET', `/v1/namespaces/default/executions?function=${'a'.repeat(100_000)}`);
    assert.equal(answer.status, 431);
    assert.match(assertErrorShape(answer.body, 'HEADERS_TOO_LARGE').message, /16 KiB/);
  });

  it('a method a path does not serve answers 405 with Allow, before reading the body', async () => {
    const cases: [string, string, string][] = [
      ['PATCH', '/v1/namespaces/default/functions/echo', 'GET, HEAD, PUT, DELETE'],
      ['DELETE', '/v1/namespaces/default/executions', 'GET, HEAD'],
      ['GET', '/v1/namespaces/default/functions/echo/invoke', 'POST'],
      ['PUT', '/v1/namespaces/default/events', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['OPTIONS', '/v1/namespaces/default/executions/x/cancel', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await pontoon.request(method, path, method === 'GET' ? undefined : '{not json', { 'content-type': 'application/json' });
      assert.equal(answer.status, 405, `${method} ${path}`);
      assert.equal(answer.headers.get('allow'), allow, `${method} ${path}`);
      assertErrorShape(answer.body, 'METHOD_NOT_ALLOWED');
    }
    for (const method of ['TRACE', 'QUERY']) {
      const answer = await rawRequest(method, `${pontoon.url}/v1/namespaces/default/rules/r`);
      assert.equal(answer.status, 405, method);
      assert.equal(answer.allow, 'GET, HEAD, PUT, DELETE');
      assertErrorShape(answer.body, 'METHOD_NOT_ALLOWED');
    }
    const unknown = await pontoon.request('GET', '/v1/nowhere');
    assert.equal(unknown.status, 404);
    assertErrorShape(unknown.body, 'NOT_FOUND');
  });

  it('JSON nested 5,000 deep answers 400 naming the limit on invoke, batch, deploy and events', async () => {
    const deep = deepJson(5000);
    const requests: [string, string, string, Record<string, string>][] = [
      ['POST', '/v1/namespaces/default/functions/echo/invoke', deep, {}],
      ['POST', '/v1/namespaces/default/functions/echo/batch', `{"inputs": [${deep}]}`, {}],
      ['PUT', '/v1/namespaces/default/functions/echo', `{"spec": ${deep}}`, {}],
      ['POST', '/v1/namespaces/default/events', `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":${deep}}`, { 'content-type': 'application/cloudevents+json' }],
      ['POST', '/v1/namespaces/default/events', deep, { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 't' }],
    ];
    for (const [method, path, body, headers] of requests) {
      const answer = await pontoon.request(method, path, body, { 'content-type': 'application/json', ...headers });
      assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      assert.match(answer.body.error.message, /more than 100 levels deep/);
    }
    // At the limit is fine: 99 levels of input inside nothing else.
    const atLimit = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', deepJson(100));
    assert.equal(atLimit.status, 202);
    const beyond = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', deepJson(101));
    assert.equal(beyond.status, 400);
    assert.deepEqual(beyond.body.error.details, { limit: 'depth', max: 100 });
  });

  it('YAML nested past the limit answers 400, in flow and in block style', async () => {
    const flow = `a: ${deepJson(5000)}\n`;
    let block = '';
    for (let level = 0; level < 1200; level += 1) block += `${' '.repeat(level)}k:\n`;
    for (const body of [flow, block]) {
      const answer = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', body, { 'content-type': 'application/yaml' });
      assert.equal(answer.status, 400);
      assert.match(assertErrorShape(answer.body, 'INVALID_INPUT').message, /more than 100 levels deep/);
    }
  });

  it('a YAML body counts its aliases expanded: a 900 KB anchor used 50 times is refused, small reuse is stored expanded', async () => {
    const big = `base: &big "${'x'.repeat(900_000)}"\nuses: [${Array.from({ length: 50 }, () => '*big').join(', ')}]\n`;
    const refused = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', big, { 'content-type': 'application/yaml' });
    assert.equal(refused.status, 413);
    assert.match(assertErrorShape(refused.body, 'PAYLOAD_TOO_LARGE').message, /expands to more than 1048576 bytes/);
    const listed = await pontoon.request('GET', '/v1/namespaces/default/executions?function=echo&limit=1000');
    assert.ok(listed.body.items.every((execution: { input: unknown }) => !JSON.stringify(execution.input ?? null).includes('xxxx')), 'nothing of the refused body was stored');

    const small = 'base: &b {n: 1}\nuses: [*b, *b]\n';
    const accepted = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', small, { 'content-type': 'application/yaml' });
    assert.equal(accepted.status, 202);
    assert.deepEqual(accepted.body.input, { base: { n: 1 }, uses: [{ n: 1 }, { n: 1 }] });
  });

  it('a YAML alias that contains itself is refused, not a crash', async () => {
    const answer = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke', 'a: &a [*a]\n', { 'content-type': 'application/yaml' });
    assert.equal(answer.status, 400);
    assertErrorShape(answer.body, 'INVALID_INPUT');
  });
});
