import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

describe('functions API', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
  });
  after(() => pontoon.close());

  it('deploys a function as version 1 (201) and a redeploy as version 2 (200)', async () => {
    const first = await pontoon.deploy('hello', { runtime: 'command', command: ['echo', 'hi'] });
    assert.equal(first.status, 201);
    assert.equal(first.body.metadata.version, 1);
    assert.equal(first.body.spec.timeout, '5m');
    const second = await pontoon.deploy('hello', { runtime: 'command', command: ['echo', 'hello'] });
    assert.equal(second.status, 200);
    assert.equal(second.body.metadata.version, 2);
    const read = await pontoon.request('GET', '/v1/namespaces/default/functions/hello');
    assert.deepEqual(read.body.spec.command, ['echo', 'hello']);
    assert.equal(read.body.status.queued, 0);
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'apiVersion: pontoon.dev/v1\nkind: Function\nmetadata: {name: from-yaml}\nspec:\n  runtime: command\n  command: [date]\n';
    const answer = await pontoon.request('PUT', '/v1/namespaces/default/functions/from-yaml', yaml, { 'content-type': 'application/yaml' });
    assert.equal(answer.status, 201);
    assert.deepEqual(answer.body.spec.command, ['date']);
  });

  it('refuses an invalid spec with 422, naming every wrong field, and keeps the previous version', async () => {
    await pontoon.deploy('keep', { runtime: 'command', command: ['true'] });
    const answer = await pontoon.deploy('keep', { runtime: 'command', command: ['true'], timeout: 'forever', parallelism: -1, schedules: [{ cron: 'every day' }] });
    assert.equal(answer.status, 422);
    assert.equal(answer.body.error.code, 'INVALID_SPEC');
    const fields = answer.body.error.details.problems.map((problem: { field: string }) => problem.field);
    assert.deepEqual(fields.sort(), ['spec.parallelism', 'spec.timeout'].sort());
    const cron = await pontoon.deploy('keep', { runtime: 'command', command: ['true'], schedules: [{ cron: 'every day' }] });
    assert.equal(cron.status, 422);
    assert.match(cron.body.error.message, /spec\.schedules\[0\]\.cron/);
    const read = await pontoon.request('GET', '/v1/namespaces/default/functions/keep');
    assert.equal(read.body.metadata.version, 1);
  });

  it('refuses malformed JSON and YAML with 400 INVALID_INPUT', async () => {
    const json = await pontoon.request('PUT', '/v1/namespaces/default/functions/broken', '{"apiVersion": ', { 'content-type': 'application/json' });
    assert.equal(json.status, 400);
    assert.equal(json.body.error.code, 'INVALID_INPUT');
    const yaml = await pontoon.request('PUT', '/v1/namespaces/default/functions/broken', 'spec: [unclosed', { 'content-type': 'application/yaml' });
    assert.equal(yaml.status, 400);
    assert.match(yaml.body.error.message, /YAML/);
  });

  it('refuses a body whose name disagrees with the path', async () => {
    const answer = await pontoon.request('PUT', '/v1/namespaces/default/functions/one', {
      apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'two' }, spec: { runtime: 'command', command: ['true'] },
    });
    assert.equal(answer.status, 422);
    assert.equal(answer.body.error.details.problems[0].field, 'metadata.name');
  });

  it('refuses a relative source path', async () => {
    const answer = await pontoon.deploy('relative', { runtime: 'command', command: ['true'], source: './here' });
    assert.equal(answer.status, 422);
    assert.match(answer.body.error.message, /absolute/);
  });

  it('lists and deletes functions; an unknown one is 404 FUNCTION_NOT_FOUND', async () => {
    await pontoon.deploy('doomed', { runtime: 'command', command: ['true'] });
    const list = await pontoon.request('GET', '/v1/namespaces/default/functions');
    assert.ok(list.body.items.some((item: any) => item.metadata.name === 'doomed'));
    const deleted = await pontoon.request('DELETE', '/v1/namespaces/default/functions/doomed');
    assert.deepEqual(deleted.body, { namespace: 'default', name: 'doomed', deleted: true });
    const gone = await pontoon.request('GET', '/v1/namespaces/default/functions/doomed');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'FUNCTION_NOT_FOUND');
    assert.equal((await pontoon.request('DELETE', '/v1/namespaces/default/functions/doomed')).status, 404);
  });

  it('serves the schema, the OpenAPI document, health and metrics', async () => {
    const schema = await pontoon.request('GET', '/v1/schema');
    assert.equal(schema.body.title, 'Function');
    const openapi = await pontoon.request('GET', '/openapi.json');
    assert.equal(openapi.body.openapi, '3.1.0');
    assert.ok(openapi.body.paths['/v1/namespaces/{ns}/functions/{name}/invoke']);
    assert.equal((await pontoon.request('GET', '/healthz')).body.status, 'ok');
    assert.equal((await pontoon.request('GET', '/readyz')).body.status, 'ready');
    const metrics = await pontoon.request('GET', '/metrics');
    assert.match(metrics.body, /^pontoon_queue_depth\{namespace="default",function="[^"]+"\} \d+$/m);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const answer = await pontoon.request('GET', '/v2/nothing');
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'NOT_FOUND');
  });
});
