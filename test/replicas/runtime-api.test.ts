import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RuntimeApi, type ReplicaEndpoint } from '../../src/executors/warm/runtime-api.js';
import { bodyLimitBytes } from '../../src/executors/warm/protocol.js';
import type { StopSignal } from '../../src/lib/wake-timeout.js';

/** One request with a replica's token, the body given as raw chunks; resolves with the status and the parsed answer. */
function exchange(address: string, method: string, path: string, chunks: (string | Buffer)[] = []): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${address}${path}`, { method, headers: { authorization: 'Bearer token-1', 'content-type': 'application/json' }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** One request to the runtime API with a replica's token; resolves with the status once the answer is read. */
function call(address: string, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`http://${address}${path}`, { method, headers: { authorization: 'Bearer token-1', ...(payload ? { 'content-type': 'application/json' } : {}) }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('runtime API', () => {
  const api = new RuntimeApi((error) => assert.fail(error));
  let address = '';
  const signals: StopSignal[] = [];
  /** What the endpoint was asked: next's max and wait, results' ids and next. */
  const asked: unknown[] = [];
  const endpoint: ReplicaEndpoint = {
    async next(max, waitMs, gone) {
      asked.push({ max, waitMs });
      if (waitMs === 0) return [];
      signals.push(gone);
      // Waits for the replica to hang up, as a long poll with nothing ready does.
      await new Promise<void>((resolve) => gone.addEventListener('abort', () => resolve(), { once: true }));
      return [];
    },
    async results(results, next) {
      asked.push({ ids: results.map((result) => result.id), next: next && { max: next.max, waitMs: next.waitMs } });
      if (next) signals.push(next.gone);
      return { accepted: results.map((result) => result.id), rejected: [] };
    },
    initError() {},
  };
  before(async () => {
    address = await api.listen();
    api.register('token-1', endpoint);
  });
  after(() => api.close());

  it('does not abort the work of a request whose answer was sent', async () => {
    const status = await call(address, 'POST', '/v1/invocations/results?next=2', { results: [{ id: 'e1#1', status: 'succeeded', result: null }] });
    assert.equal(status, 200);
    // The connection (agent: false) closes after the answer; give the close a turn to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(signals.length, 1);
    assert.equal(signals[0].aborted, false);
  });

  it('aborts a long poll whose replica hung up', async () => {
    signals.length = 0;
    const req = request(`http://${address}/v1/invocations/next?max=1&wait=20000`, { headers: { authorization: 'Bearer token-1' }, agent: false });
    req.on('error', () => undefined);
    req.end();
    for (let polls = 0; polls < 100 && signals.length === 0; polls++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(signals.length, 1);
    const aborted = new Promise<void>((resolve) => signals[0].addEventListener('abort', () => resolve(), { once: true }));
    req.destroy();
    await aborted;
    assert.equal(signals[0].aborted, true);
  });

  it('reads the query: repeated names take the first, escapes are decoded, bad values are 400 naming the parameter', async () => {
    asked.length = 0;
    assert.equal((await exchange(address, 'GET', '/v1/invocations/next?max=3&wait=0&max=7')).status, 204);
    assert.equal((await exchange(address, 'GET', '/v1/invocations/next?m%61x=5&wait=%30')).status, 204);
    const posted = await exchange(address, 'POST', '/v1/invocations/results?wait=0&next=4', [JSON.stringify({ results: [{ id: 'e2#1', status: 'succeeded' }] })]);
    assert.equal(posted.status, 200);
    assert.deepEqual(posted.body, { accepted: ['e2#1'], rejected: [], invocations: [], draining: false });
    assert.deepEqual(asked, [{ max: 3, waitMs: 0 }, { max: 5, waitMs: 0 }, { ids: ['e2#1'], next: { max: 4, waitMs: 0 } }]);
    for (const [path, message] of [
      ['/v1/invocations/next?max=abc', 'max must be an integer from 1 to 1000, not abc'],
      ['/v1/invocations/next?max=0', 'max must be an integer from 1 to 1000, not 0'],
      ['/v1/invocations/next?max=2&wait=60001', 'wait must be an integer from 0 to 60000, not 60001'],
      ['/v1/invocations/next?max=%zz', 'max must be an integer from 1 to 1000, not %zz'],
    ]) {
      const answer = await exchange(address, 'GET', path);
      assert.equal(answer.status, 400, path);
      assert.deepEqual(answer.body, { error: { code: 'INVALID_REQUEST', message, details: {} } }, path);
    }
    const unknown = await exchange(address, 'GET', '/v1/invocations/nope?max=1');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.message, 'no such path /v1/invocations/nope: see docs/warm-replicas.md');
    assert.equal((await exchange(address, 'GET', '/v1/invocations/results?next=1')).status, 405);
    // The package route: refused for an endpoint without packages (a local pool), 404 for another method.
    const sha = 'ab'.repeat(32);
    assert.equal((await exchange(address, 'GET', `/v1/package/${sha}?x=1`)).body.error.code, 'FORBIDDEN');
    assert.equal((await exchange(address, 'POST', `/v1/package/${sha}`)).status, 404);
  });

  it('takes a body in many chunks, and answers 413 to one over the limit without storing it', async () => {
    asked.length = 0;
    const text = JSON.stringify({ results: [{ id: 'e3#1', status: 'failed', error: 'x'.repeat(100_000) }] });
    const pieces = [text.slice(0, 10), text.slice(10, 70_000), text.slice(70_000)];
    const chunked = await exchange(address, 'POST', '/v1/invocations/results', pieces);
    assert.equal(chunked.status, 200);
    assert.deepEqual(chunked.body, { accepted: ['e3#1'], rejected: [] });
    const big = Buffer.alloc(bodyLimitBytes + 1, 0x20);
    const tooLarge = await exchange(address, 'POST', '/v1/invocations/results', ['{"results":', big, '[]}']);
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error.code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(asked, [{ ids: ['e3#1'], next: undefined }]);
    const broken = await exchange(address, 'POST', '/v1/invocations/results', ['{"results": [']);
    assert.equal(broken.status, 400);
    assert.match(broken.body.error.message, /^body is not JSON: /);
  });
});
