import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RecordingSink, TriggerPontoon, eventually, quickFunction } from './helpers.js';

const fastRetry = { attempts: 4, initialMs: 100, factor: 2, maxMs: 1000 };

describe('completion events', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  async function start(options: Record<string, unknown> = {}, deliveryRetry = fastRetry): Promise<TriggerPontoon> {
    // The sinks of these tests listen on loopback, which only an operator's allowance opens.
    const pontoon = new TriggerPontoon({ allowOutbound: ['127.0.0.1/32'], ...options }, { deliveryRetry });
    cleanups.push(() => pontoon.close());
    return pontoon.start();
  }
  async function sink(status?: (n: number) => number, port?: number): Promise<RecordingSink> {
    const recording = await new RecordingSink(status).listen(port);
    cleanups.push(() => recording.close());
    return recording;
  }
  async function deliveries(pontoon: TriggerPontoon, executionId: string, done: (items: any[]) => boolean): Promise<any[]> {
    return eventually('deliveries', async () => {
      const { body } = await pontoon.request('GET', `/v1/namespaces/default/deliveries?execution=${executionId}`);
      return done(body.items) ? body.items : undefined;
    });
  }

  it('sends the execution as a CloudEvent to a function’s sink that fails twice, once it recovers', async () => {
    const recording = await sink((n) => (n <= 2 ? 503 : 200));
    const pontoon = await start();
    await pontoon.deploy('report', quickFunction({ command: ['/bin/sh', '-c', 'echo \'{"total": 3}\' > "$PONTOON_OUTPUT"'], sinks: [{ url: recording.url }] }));
    const { body: invoked } = await pontoon.request('POST', '/v1/namespaces/default/functions/report/invoke?wait=true', {});
    const [delivery] = await deliveries(pontoon, invoked.id, (items) => items[0]?.status === 'delivered');
    assert.equal(delivery.attempts, 3);
    assert.equal(recording.received.length, 3);
    const { headers, body } = recording.received[2];
    assert.equal(headers['ce-specversion'], '1.0');
    assert.equal(headers['ce-type'], 'dev.pontoon.execution.succeeded');
    assert.equal(headers['ce-source'], '/pontoon/namespaces/default/functions/report');
    assert.equal(headers['ce-id'], `${invoked.id}/succeeded`);
    assert.deepEqual(new Set(recording.received.map((request) => request.headers['ce-id'])).size, 1, 'retries carry the same id');
    const execution = JSON.parse(body);
    assert.deepEqual([execution.id, execution.status, execution.result], [invoked.id, 'succeeded', { total: 3 }]);
  });

  it('sends to the invocation’s callback URL and to global sinks, honouring a sink’s `on`', async () => {
    const callback = await sink();
    const global = await sink();
    const onSuccessOnly = await sink();
    const pontoon = await start({ eventSinks: [global.url] });
    await pontoon.deploy('broken', quickFunction({ command: ['/bin/sh', '-c', 'exit 3'], retry: { limit: 0 }, sinks: [{ url: onSuccessOnly.url, on: ['succeeded'] }] }));
    const { body: invoked } = await pontoon.request('POST', '/v1/namespaces/default/functions/broken/invoke', {}, { 'x-callback-url': callback.url });
    const items = await deliveries(pontoon, invoked.id, (found) => found.length === 2 && found.every((item) => item.status === 'delivered'));
    assert.deepEqual(items.map((item) => [item.kind, item.url]).sort(), [['callback', callback.url], ['sink', global.url]]);
    for (const recording of [callback, global]) {
      assert.equal(recording.received.length, 1);
      assert.equal(recording.received[0].headers['ce-type'], 'dev.pontoon.execution.failed');
      assert.equal(JSON.parse(recording.received[0].body).status, 'failed');
    }
    assert.equal(onSuccessOnly.received.length, 0);
  });

  it('gives up after the bounded tries and keeps the delivery visible as failed', async () => {
    const refusing = await sink(() => 500);
    const pontoon = await start();
    await pontoon.deploy('report', quickFunction({ sinks: [{ url: refusing.url }] }));
    const { body: invoked } = await pontoon.request('POST', '/v1/namespaces/default/functions/report/invoke?wait=true', {});
    const [delivery] = await deliveries(pontoon, invoked.id, (items) => items[0]?.status === 'failed');
    assert.equal(delivery.attempts, fastRetry.attempts);
    assert.match(delivery.lastError, /answered 500/);
    assert.equal(refusing.received.length, fastRetry.attempts);
  });

  it('keeps undelivered events across a restart and delivers them when the sink comes back', async () => {
    const probe = await sink();
    const port = Number(new URL(probe.url).port);
    await probe.close(); // the sink is down: its port refuses connections
    // Enough tries that the delivery is still pending when the sink comes back.
    const pontoon = await start({}, { attempts: 20, initialMs: 200, factor: 1.5, maxMs: 1000 });
    await pontoon.deploy('report', quickFunction({ sinks: [{ url: probe.url }] }));
    const { body: queued } = await pontoon.request('POST', '/v1/namespaces/default/functions/report/invoke', {}, { 'x-callback-url': probe.url });
    const { body: cancelled } = await pontoon.request('POST', `/v1/namespaces/default/executions/${queued.id}/cancel`);
    await deliveries(pontoon, queued.id, (items) => items.length === 1 && items[0].attempts >= 1);
    await pontoon.stop();

    const recovered = await sink(undefined, port);
    await pontoon.start();
    const [delivery] = await deliveries(pontoon, queued.id, (items) => items[0]?.status === 'delivered');
    assert.equal(delivery.url, recovered.url);
    const types = recovered.received.map((request) => request.headers['ce-type']);
    assert.ok(types.length >= 1 && types.every((type) => type === (cancelled.status === 'cancelled' ? 'dev.pontoon.execution.cancelled' : 'dev.pontoon.execution.succeeded')));
  });
});
