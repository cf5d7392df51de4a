import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashToken } from '../../src/api/auth/tokens.js';
import { startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';

const first = 'first-invoker-token';
const second = 'second-invoker-token';
const tokens = stringify({
  tokens: [
    { name: 'first', sha256: hashToken(first), roles: { '*': 'deployer' } },
    { name: 'second', sha256: hashToken(second), roles: { '*': 'deployer' } },
  ],
});

describe('limits against abuse', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ auth: { tokens, invokeRate: 3, maxQueuedPerNamespace: 2 } }, first);
  });
  after(() => pontoon?.close());

  it('invoking requests past the rate of a token answer 429 with Retry-After; another token keeps its own budget', async () => {
    assert.equal((await pontoon.deploy('quick', { runtime: 'command', command: ['true'] })).status, 201);
    const path = '/v1/namespaces/default/functions/quick/invoke';
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await pontoon.request('POST', path, {}));
    const limited = answers.filter((answer) => answer.status === 429);
    // Three a second: six sent back to back cannot all fit, even if a window turned over between them.
    assert.ok(limited.length >= 2, answers.map((answer) => answer.status).join(' '));
    assert.equal(limited[0].body.error.code, 'RATE_LIMITED');
    assert.match(limited[0].headers.get('retry-after') ?? '', /^[0-9]+$/);
    assert.equal((await pontoon.request('POST', path, {}, { authorization: `Bearer ${second}` })).status, 202);
    // Reads are not invocations: they are not counted.
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/executions')).status, 200);
  });

  it('past the queued executions of a namespace, invocations answer 429 QUEUE_FULL; another namespace is not held up', async () => {
    // Its own server: no rate limit here, so every refusal is the queue's.
    await pontoon.close();
    pontoon = await startTestPontoon({ auth: { tokens, invokeRate: 0, maxQueuedPerNamespace: 2 } }, first);
    const spec = { runtime: 'command', command: [writeScript('sleep 30')], parallelism: 1 };
    for (const ns of ['busy', 'calm']) {
      const deployed = await pontoon.request('PUT', `/v1/namespaces/${ns}/functions/slow`, { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'slow' }, spec }, { authorization: `Bearer ${second}` });
      assert.equal(deployed.status, 201);
    }
    const invoke = (ns: string) => pontoon.request('POST', `/v1/namespaces/${ns}/functions/slow/batch`, { inputs: [1] }, { authorization: `Bearer ${second}` });
    const ids: string[] = [];
    // One runs (parallelism 1) and two wait: the limit is reached whichever has started.
    for (let i = 0; i < 3; i++) {
      const answer = await invoke('busy');
      assert.equal(answer.status, 202);
      ids.push(answer.body.items[0].id);
    }
    const until = Date.now() + 20_000;
    let refused = await invoke('busy');
    // Until the first has started, three are queued and the fourth is refused already; the bound
    // only matters if the dispatcher is slow to start it.
    while (refused.status === 202 && Date.now() < until) {
      ids.push(refused.body.items[0].id);
      refused = await invoke('busy');
    }
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'QUEUE_FULL');
    assert.equal(refused.body.error.details.limit, 2);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.ok(ids.length <= 4, `${ids.length} accepted`);
    assert.equal((await invoke('calm')).status, 202);
    for (const ns of ['busy', 'calm']) {
      const listed = await pontoon.request('GET', `/v1/namespaces/${ns}/executions`, undefined, { authorization: `Bearer ${second}` });
      for (const execution of listed.body.items) await pontoon.request('POST', `/v1/namespaces/${ns}/executions/${execution.id}/cancel`, undefined, { authorization: `Bearer ${second}` });
    }
  });
});
