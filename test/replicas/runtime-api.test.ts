import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { RuntimeApi, type ReplicaEndpoint } from '../../src/executors/warm/runtime-api.js';

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
  const signals: AbortSignal[] = [];
  const endpoint: ReplicaEndpoint = {
    async next(_max, _waitMs, gone) {
      signals.push(gone);
      // Waits for the replica to hang up, as a long poll with nothing ready does.
      await new Promise<void>((resolve) => gone.addEventListener('abort', () => resolve(), { once: true }));
      return [];
    },
    async results(results, next) {
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
});
