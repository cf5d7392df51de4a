import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TriggerPontoon, quickFunction } from './helpers.js';

const events = '/v1/namespaces/default/events';
const binaryHeaders = (id: string, type: string, extra: Record<string, string> = {}) => ({
  'ce-specversion': '1.0',
  'ce-id': id,
  'ce-source': '/github/acme/repo',
  'ce-type': type,
  'content-type': 'application/json',
  ...extra,
});
const structured = { 'content-type': 'application/cloudevents+json' };

describe('CloudEvents in', () => {
  const pontoon = new TriggerPontoon();
  before(async () => {
    await pontoon.start();
    await pontoon.deploy('on-push', quickFunction({ triggers: [{ cloudevent: { type: 'com.github.push' } }] }));
    await pontoon.deploy('on-github', quickFunction({ triggers: [{ cloudevent: { type: { prefix: 'com.github.' }, source: { prefix: '/github/' } } }] }));
    await pontoon.deploy('on-team', quickFunction({ triggers: [{ cloudevent: { extensions: { team: 'cost' } } }] }));
    await pontoon.deploy('by-rule', quickFunction());
  });
  after(() => pontoon.close());

  it('starts an execution per matching function from a binary-mode event, whose input is the event', async () => {
    const answer = await pontoon.request('POST', events, { ref: 'main' }, binaryHeaders('b-1', 'com.github.push'));
    assert.equal(answer.status, 202);
    assert.equal(answer.body.mode, 'binary');
    assert.deepEqual(answer.body.executions.map((execution: any) => execution.function).sort(), ['on-github', 'on-push']);
    for (const execution of answer.body.executions) {
      assert.deepEqual(execution.input, {
        specversion: '1.0',
        id: 'b-1',
        source: '/github/acme/repo',
        type: 'com.github.push',
        datacontenttype: 'application/json',
        data: { ref: 'main' },
      });
    }
  });

  it('keeps binary data as data_base64 byte for byte, and refuses an invalid event with 400 storing nothing', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    const response = await fetch(pontoon.url + events, { method: 'POST', body: bytes, headers: binaryHeaders('bin-1', 'com.github.binary', { 'content-type': 'application/octet-stream' }) });
    assert.equal(response.status, 202);
    const answer = (await response.json()) as { executions: { input: { data_base64: string; data?: unknown } }[] };
    assert.equal(Buffer.from(answer.executions[0].input.data_base64, 'base64').toString('hex'), bytes.toString('hex'));
    assert.equal(answer.executions[0].input.data, undefined);
    const refused = await pontoon.request('POST', events, { ref: 'main' }, binaryHeaders('bad-time', 'com.github.binary', { 'ce-time': 'tomorrow' }));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'INVALID_EVENT');
    const listed = await pontoon.request('GET', '/v1/namespaces/default/executions?function=on-github&limit=1000');
    assert.ok(listed.body.items.every((execution: any) => execution.input?.id !== 'bad-time'));
  });

  it('matches by prefix and by extension attribute, in structured mode', async () => {
    const event = { specversion: '1.0', id: 's-1', source: '/github/acme/repo', type: 'com.github.issue', team: 'cost', data: { n: 1 } };
    const answer = await pontoon.request('POST', events, JSON.stringify(event), structured);
    assert.equal(answer.status, 202);
    assert.equal(answer.body.mode, 'structured');
    assert.deepEqual(answer.body.executions.map((execution: any) => execution.function).sort(), ['on-github', 'on-team']);
    assert.deepEqual(answer.body.executions[0].input, event);
  });

  it('reads a batch, and a redelivered event starts nothing new', async () => {
    const batch = [
      { specversion: '1.0', id: 'x-1', source: '/a', type: 'com.github.push' },
      { specversion: '1.0', id: 'x-2', source: '/a', type: 'com.github.push' },
    ];
    const first = await pontoon.request('POST', events, JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' });
    assert.equal(first.status, 202);
    assert.equal(first.body.mode, 'batch');
    assert.equal(first.body.executions.length, 2);
    const again = await pontoon.request('POST', events, JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' });
    assert.deepEqual(again.body.executions.map((execution: any) => execution.id), first.body.executions.map((execution: any) => execution.id));
    assert.deepEqual(again.body.events.map((event: any) => event.duplicate), [true, true]);
    const redelivered = await pontoon.request('POST', events, { other: 'data' }, binaryHeaders('b-1', 'com.github.push'));
    assert.equal(redelivered.body.executions.length, 2);
    assert.ok(redelivered.body.events[0].duplicate);
    assert.equal((await pontoon.executions('on-push')).length, 3, 'b-1, x-1, x-2 once each');
  });

  it('refuses malformed events with 400 INVALID_EVENT naming the reason', async () => {
    const cases: [unknown, Record<string, string>, RegExp][] = [
      [{}, { ...binaryHeaders('m-1', 't'), 'ce-type': '' }, /ce-type is required/],
      [JSON.stringify({ specversion: '1.0', id: 'm-2', type: 't' }), structured, /source is required/],
      [JSON.stringify({ specversion: '0.3', id: 'm-3', source: '/s', type: 't' }), structured, /specversion must be 1\.0/],
      ['{"specversion": "1.0",', structured, /not valid JSON/],
      ['{"a": 1}', { 'content-type': 'application/json' }, /no CloudEvent found/],
    ];
    for (const [body, headers, reason] of cases) {
      const answer = await pontoon.request('POST', events, body, headers);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.body.error.code, 'INVALID_EVENT');
      assert.match(answer.body.error.message, reason);
    }
  });

  it('accepts and counts an event that matches nothing', async () => {
    const metric = async () => {
      const { text } = await pontoon.request('GET', '/metrics');
      return Number(/pontoon_events_received_total\{namespace="default",outcome="unmatched"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await metric();
    const answer = await pontoon.request('POST', events, {}, binaryHeaders('u-1', 'com.example.nobody'));
    assert.equal(answer.status, 202);
    assert.deepEqual([answer.body.unmatched, answer.body.executions], [1, []]);
    assert.equal(await metric(), before + 1);
  });

  it('creates, reads, lists, replaces and deletes rules, which start their function', async () => {
    const path = '/v1/namespaces/default/rules/deploys';
    const created = await pontoon.request('PUT', path, { match: { type: 'com.example.deploy', subject: { prefix: 'prod-' } }, function: 'by-rule' });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.match, { type: 'com.example.deploy', subject: { prefix: 'prod-' } });
    assert.equal((await pontoon.request('GET', path)).body.function, 'by-rule');
    assert.deepEqual((await pontoon.request('GET', '/v1/namespaces/default/rules')).body.items.map((rule: any) => rule.name), ['deploys']);

    const miss = await pontoon.request('POST', events, {}, binaryHeaders('r-1', 'com.example.deploy', { 'ce-subject': 'staging-1' }));
    assert.equal(miss.body.unmatched, 1);
    const hit = await pontoon.request('POST', events, {}, binaryHeaders('r-2', 'com.example.deploy', { 'ce-subject': 'prod-7' }));
    assert.deepEqual(hit.body.events[0].matched, [{ function: 'by-rule', via: 'rule:deploys' }]);

    const replaced = await pontoon.request('PUT', path, { match: { type: 'com.example.other' }, function: 'by-rule' });
    assert.equal(replaced.status, 200);
    assert.equal((await pontoon.request('POST', events, {}, binaryHeaders('r-3', 'com.example.deploy', { 'ce-subject': 'prod-8' }))).body.unmatched, 1);

    assert.equal((await pontoon.request('PUT', path, { match: {}, function: 'by-rule' })).status, 400, 'an empty match is refused');
    assert.equal((await pontoon.request('PUT', path, { match: { type: 't' }, function: 'missing' })).body.error.code, 'FUNCTION_NOT_FOUND');
    assert.equal((await pontoon.request('DELETE', path)).status, 204);
    const gone = await pontoon.request('GET', path);
    assert.deepEqual([gone.status, gone.body.error.code], [404, 'RULE_NOT_FOUND']);
  });
});
