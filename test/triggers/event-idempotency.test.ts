import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TriggerPontoon, quickFunction } from './helpers.js';

const events = '/v1/namespaces/default/events';
const structured = { 'content-type': 'application/cloudevents+json' };

describe('a CloudEvent’s source and id are its idempotency key', () => {
  const pontoon = new TriggerPontoon();
  before(async () => {
    await pontoon.start();
    await pontoon.deploy('on-order', quickFunction({ triggers: [{ cloudevent: { type: 'com.example.order' } }] }));
  });
  after(() => pontoon.close());

  const send = (event: Record<string, unknown>) => pontoon.request('POST', events, JSON.stringify({ specversion: '1.0', source: '/shop', type: 'com.example.order', ...event }), structured);

  it('a repeat of the same event returns the existing execution and starts nothing', async () => {
    const first = await send({ id: 'o-1', data: { total: 10 } });
    assert.equal(first.status, 202);
    assert.deepEqual(first.body.events.map((event: { duplicate: boolean }) => event.duplicate), [false]);
    const again = await send({ id: 'o-1', data: { total: 10 } });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body.executions.map((execution: { id: string }) => execution.id), first.body.executions.map((execution: { id: string }) => execution.id));
    assert.deepEqual(again.body.events.map((event: { duplicate: boolean }) => event.duplicate), [true]);
  });

  it('the same source and id with other data is a duplicate too (as CloudEvents define identity): the first event’s execution, unchanged', async () => {
    const first = await send({ id: 'o-2', data: { total: 20 } });
    const other = await send({ id: 'o-2', data: { total: 99 } });
    assert.equal(other.status, 202);
    assert.deepEqual(other.body.events.map((event: { duplicate: boolean }) => event.duplicate), [true]);
    assert.equal(other.body.executions[0].id, first.body.executions[0].id);
    assert.deepEqual(other.body.executions[0].input.data, { total: 20 });
    const mine = (await pontoon.executions('on-order')).filter((execution: { input: { id: string } }) => execution.input.id === 'o-2');
    assert.equal(mine.length, 1);
  });
});
