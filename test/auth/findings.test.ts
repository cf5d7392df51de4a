import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashToken } from '../../src/api/auth/tokens.js';
import { startPontoon } from '../../src/app/start.js';
import { startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';

const invokePath = '/v1/namespaces/default/functions/echo/invoke';

/** A raw HTTP request with headers fetch would not let us set (Host). */
function rawRequest(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, url), { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('a web page cannot drive the API (loopback, auth off)', () => {
  let pontoon: TestPontoon;
  const executionCount = async () => (await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000')).body.items.length;
  before(async () => {
    pontoon = await startTestPontoon();
    assert.equal((await pontoon.deploy('echo', { runtime: 'command', command: [writeScript('cp "$PONTOON_INPUT" "$PONTOON_OUTPUT"')] })).status, 201);
  });
  after(() => pontoon?.close());

  it('a text/plain POST (what a page sends cross-site without asking) is refused with 415 and starts nothing', async () => {
    const before = await executionCount();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await pontoon.request('POST', invokePath, '{"a":1}', { 'content-type': contentType });
      assert.equal(answer.status, 415, contentType);
      assert.equal(answer.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const untyped = await rawRequest(pontoon.url, 'POST', invokePath, { 'content-length': '7' }, '{"a":1}');
    assert.equal(untyped.status, 415);
    assert.equal(await executionCount(), before);
    assert.equal((await pontoon.request('POST', invokePath, { a: 1 })).status, 202);
  });

  it('a request from another Origin, or a cross-site fetch, is refused with 403; the page of the server itself is not', async () => {
    const foreign = await pontoon.request('POST', invokePath, { a: 1 }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'FORBIDDEN');
    assert.match(foreign.body.error.message, /evil\.example/);
    assert.equal((await pontoon.request('GET', '/v1/functions', undefined, { origin: 'null' })).status, 403);
    assert.equal((await pontoon.request('GET', '/v1/functions', undefined, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await pontoon.request('POST', invokePath, { a: 1 }, { origin: pontoon.url })).status, 202);
  });

  it('a foreign Host header (DNS rebinding) is refused with 403; loopback names are served', async () => {
    const port = new URL(pontoon.url).port;
    const rebound = await rawRequest(pontoon.url, 'GET', '/v1/functions', { host: `attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).error.code, 'FORBIDDEN');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      assert.equal((await rawRequest(pontoon.url, 'GET', '/v1/functions', { host })).status, 200, host);
    }
  });

  it('no CORS headers are sent unless origins are configured', async () => {
    const answer = await pontoon.request('GET', '/healthz', undefined, { origin: pontoon.url });
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
  });
});

describe('configured CORS origins', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ auth: { corsOrigins: ['https://ops.example'] } });
  });
  after(() => pontoon?.close());

  it('a configured origin is let through with CORS headers; others are still refused', async () => {
    const allowed = await pontoon.request('GET', '/v1/functions', undefined, { origin: 'https://ops.example' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://ops.example');
    assert.equal((await pontoon.request('GET', '/v1/functions', undefined, { origin: 'https://other.example' })).status, 403);
  });
});

describe('starting on a network address', () => {
  it('refuses to start without auth unless told explicitly, naming the flag', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pontoon-auth-'));
    try {
      await assert.rejects(startPontoon({ host: '0.0.0.0', port: 0, dataDir, logLevel: 'silent' }), /refusing to listen on 0\.0\.0\.0 without auth.*--allow-unauthenticated/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('auth on: tokens and /metrics', () => {
  const viewer = 'viewer-token-for-metrics';
  const tokens = stringify({ tokens: [{ name: 'watcher', sha256: hashToken(viewer), roles: { default: 'viewer' } }] });

  it('/metrics needs a token (a viewer suffices) unless opened with openMetrics; health checks never do', async () => {
    const closed = await startTestPontoon({ auth: { tokens } });
    try {
      assert.equal((await closed.request('GET', '/metrics')).status, 401);
      assert.equal((await closed.request('GET', '/metrics', undefined, { authorization: `Bearer ${viewer}` })).status, 200);
      assert.equal((await closed.request('GET', '/healthz')).status, 200);
      assert.equal((await closed.request('GET', '/readyz')).status, 200);
      const unauthenticated = await closed.request('GET', '/v1/functions');
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.headers.get('www-authenticate'), 'Bearer realm="pontoon"');
    } finally {
      await closed.close();
    }
    const open = await startTestPontoon({ auth: { tokens, openMetrics: true } });
    try {
      assert.equal((await open.request('GET', '/metrics')).status, 200);
      assert.equal((await open.request('GET', '/v1/functions')).status, 401);
    } finally {
      await open.close();
    }
  });
});
