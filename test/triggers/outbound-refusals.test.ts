import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { RecordingSink, TriggerPontoon, eventually, quickFunction } from './helpers.js';

const fastRetry = { attempts: 4, initialMs: 100, factor: 2, maxMs: 1000 };

describe('outbound URLs: callbacks and sinks reach only what the operator allows', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function start(options: Record<string, unknown> = {}): Promise<TriggerPontoon> {
    const pontoon = new TriggerPontoon(options, { deliveryRetry: fastRetry });
    cleanups.push(() => pontoon.close());
    return pontoon.start();
  }
  async function sink(): Promise<RecordingSink> {
    const recording = await new RecordingSink().listen();
    cleanups.push(() => recording.close());
    return recording;
  }
  async function settled(pontoon: TriggerPontoon, executionId: string): Promise<any[]> {
    return eventually('deliveries', async () => {
      const { body } = await pontoon.request('GET', `/v1/namespaces/default/deliveries?execution=${executionId}`);
      return body.items.length > 0 && body.items.every((item: any) => item.status !== 'pending') ? body.items : undefined;
    });
  }
  const invoke = (pontoon: TriggerPontoon, callback: string) => pontoon.request('POST', '/v1/namespaces/default/functions/quick/invoke', {}, { 'x-callback-url': callback });

  it('refuses a callback to the metadata address, a private, CGNAT, loopback or link-local one at invoke: 400 naming the header, nothing enqueued', async () => {
    const pontoon = await start();
    await pontoon.deploy('quick', quickFunction());
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/hook', 'http://100.64.0.1/', 'http://127.0.0.1:9/', 'http://0.0.0.0/', 'http://224.0.0.1/']) {
      const refused = await invoke(pontoon, url);
      assert.equal(refused.status, 400, `${url}: ${refused.text}`);
      assert.equal(refused.body.error.details.field, 'header.x-callback-url', url);
      assert.match(refused.body.error.message, /refused/, url);
    }
    assert.deepEqual(await pontoon.executions('quick'), []);
  });

  it('refuses a deploy whose sink is a private address: 422 naming spec.sinks[i].url', async () => {
    const pontoon = await start();
    const answer = await pontoon.request('PUT', '/v1/namespaces/default/functions/quick', { apiVersion: 'pontoon.dev/v1', kind: 'Function', spec: { ...quickFunction(), sinks: [{ url: 'https://hooks.example.com/' }, { url: 'http://192.168.1.10/hook' }, { url: 'http://[::1]:9/' }, { url: 'http://[fe80::1]/' }, { url: 'http://[::ffff:10.0.0.1]/' }, { url: 'http://2130706433/' }] } });
    assert.equal(answer.status, 422, answer.text);
    assert.deepEqual(answer.body.error.details.problems.map((problem: any) => problem.field), [1, 2, 3, 4, 5].map((index) => `spec.sinks[${index}].url`));
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions/quick')).status, 404);
  });

  it('refuses a name that resolves to loopback when connecting, and records the delivery as failed at once', async () => {
    const recording = await sink();
    const pontoon = await start();
    await pontoon.deploy('quick', quickFunction());
    const port = new URL(recording.url).port;
    const { status, body: invoked } = await invoke(pontoon, `http://localhost:${port}/hook`);
    assert.equal(status, 202, 'a name is judged on the address it resolves to, when delivering');
    const [delivery] = await settled(pontoon, invoked.id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 1, 'a refused destination is not tried again');
    assert.match(delivery.lastError, /localhost resolves to .*loopback/);
    assert.equal(recording.received.length, 0);
  });

  it('does not follow a redirect, even between allowed addresses: the delivery fails naming it', async () => {
    const target = await sink();
    const redirecting: Server = createServer((request, response) => {
      request.resume();
      response.writeHead(307, { location: target.url }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => redirecting.close(() => resolve())));
    const address = redirecting.address();
    const pontoon = await start({ allowOutbound: ['127.0.0.1/32'] });
    await pontoon.deploy('quick', quickFunction());
    const { body: invoked } = await invoke(pontoon, `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/moved`);
    const [delivery] = await settled(pontoon, invoked.id);
    assert.equal(delivery.status, 'failed');
    assert.match(delivery.lastError, /307 with a redirect .* not followed/);
    assert.equal(target.received.length, 0);
  });

  it('sends a callback URL’s credentials as Basic auth and never shows them: invoke answer, execution, list, deliveries, the event', async () => {
    const recording = await sink();
    const pontoon = await start({ allowOutbound: ['127.0.0.1'] });
    await pontoon.deploy('quick', quickFunction());
    const callback = recording.url.replace('http://', 'http://alice:hunter2@');
    const { status, body: invoked, text } = await invoke(pontoon, callback);
    assert.equal(status, 202);
    assert.doesNotMatch(text, /hunter2/);
    assert.equal(invoked.callbackUrl, recording.url.replace('http://', 'http://REDACTED@'));
    const [delivery] = await settled(pontoon, invoked.id);
    assert.equal(delivery.status, 'delivered', delivery.lastError);
    for (const path of [`/v1/namespaces/default/executions/${invoked.id}`, '/v1/namespaces/default/executions', `/v1/namespaces/default/deliveries?execution=${invoked.id}`]) {
      const { text: shown } = await pontoon.request('GET', path);
      assert.doesNotMatch(shown, /hunter2|alice/, path);
      assert.match(shown, /REDACTED@127\.0\.0\.1/, path);
    }
    const [received] = recording.received;
    assert.equal(received.headers.authorization, `Basic ${Buffer.from('alice:hunter2').toString('base64')}`);
    assert.doesNotMatch(received.body, /hunter2/, 'the event’s execution shows the callback without its password');
  });

  it('shows no credentials of a URL anywhere in a function’s spec: sinks and env values alike', async () => {
    const pontoon = await start();
    const spec = { ...quickFunction(), env: { DATABASE_URL: 'postgres://app:pa55word@db.example.com/app' }, sinks: [{ url: 'https://hook:t0ken@hooks.example.com/in' }] };
    const deployed = await pontoon.request('PUT', '/v1/namespaces/default/functions/quick', { apiVersion: 'pontoon.dev/v1', kind: 'Function', spec });
    assert.equal(deployed.status, 201, deployed.text);
    for (const answer of [deployed, await pontoon.request('GET', '/v1/namespaces/default/functions/quick'), await pontoon.request('GET', '/v1/namespaces/default/functions')]) {
      assert.doesNotMatch(answer.text, /pa55word|t0ken/);
    }
    assert.equal(deployed.body.spec.env.DATABASE_URL, 'postgres://REDACTED@db.example.com/app');
    assert.equal(deployed.body.spec.sinks[0].url, 'https://REDACTED@hooks.example.com/in');
  });
});
