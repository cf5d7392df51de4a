import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';

const batchPath = '/v1/namespaces/default/functions/echo/batch';

describe('request bodies are validated as sent, never coerced', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
    await pontoon.deploy('echo', { runtime: 'command', command: [writeScript('cp "$PONTOON_INPUT" "$PONTOON_OUTPUT"')] });
  });
  after(() => pontoon.close());

  const executionCount = async () => (await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000')).body.items.length;

  it('a batch whose inputs, priority or fields have the wrong type is refused with 400 naming the field, and nothing is stored', async () => {
    const before = await executionCount();
    const cases: [unknown, string][] = [
      [{ inputs: 'abc' }, 'body.inputs'],
      [{ inputs: null }, 'body.inputs'],
      [{ inputs: { 0: 1 } }, 'body.inputs'],
      [{ inputs: [1], priority: '7' }, 'body.priority'],
      [{ inputs: [1], priority: true }, 'body.priority'],
      [{ inputs: [1], priority: 1.5 }, 'body.priority'],
      [{ inputs: [1], prioirty: 7 }, 'body.prioirty'],
      [{ priority: 7 }, 'body.inputs'],
    ];
    for (const [body, field] of cases) {
      const answer = await pontoon.request('POST', batchPath, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error.code, 'INVALID_REQUEST');
      assert.ok(answer.body.error.message.includes(field), `${JSON.stringify(body)}: ${answer.body.error.message}`);
      assert.deepEqual(answer.body.error.details.problems.map((problem: { field: string }) => problem.field), [field]);
    }
    assert.match((await pontoon.request('POST', batchPath, { inputs: [1], prioirty: 7 })).body.error.message, /body\.prioirty is not a known field/);
    assert.equal(await executionCount(), before);
  });

  it('a valid batch still works, and a priority in a query string is still read as a number', async () => {
    const batch = await pontoon.request('POST', batchPath, { inputs: [1, 'two'], priority: 7 });
    assert.equal(batch.status, 202);
    assert.deepEqual(batch.body.items.map((execution: { priority: number }) => execution.priority), [7, 7]);
    const invoke = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/invoke?priority=-3', { a: 1 });
    assert.equal(invoke.status, 202);
    assert.equal(invoke.body.priority, -3);
    for (const execution of [...batch.body.items, invoke.body]) await pontoon.waitFor(execution.id, isDone);
  });

  it('an unknown query parameter is refused by name rather than ignored', async () => {
    const answer = await pontoon.request('GET', '/v1/namespaces/default/executions?limit=5&stauts=failed');
    assert.equal(answer.status, 400);
    assert.match(answer.body.error.message, /querystring\.stauts is not a known field/);
  });

  it('a rule whose match attribute is not a string is refused, not stored as a string', async () => {
    const path = '/v1/namespaces/default/rules/numbers';
    for (const match of [{ type: 5 }, { type: true }, { source: { prefix: 5 } }]) {
      const answer = await pontoon.request('PUT', path, { match, function: 'echo' });
      assert.equal(answer.status, 400, JSON.stringify(match));
      assert.match(answer.body.error.message, /body\.match\.(type|source)/);
    }
    const priority = await pontoon.request('PUT', path, { match: { type: 'x' }, function: 'echo', priority: '5' });
    assert.equal(priority.status, 400);
    assert.match(priority.body.error.message, /body\.priority/);
    assert.equal((await pontoon.request('GET', path)).status, 404);
    const valid = await pontoon.request('PUT', path, { match: { type: 'com.example.five' }, function: 'echo', priority: 5 });
    assert.equal(valid.status, 201);
    assert.deepEqual(valid.body.match, { type: 'com.example.five' });
  });
});

describe('a request that could never work is refused where it is made', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
  });
  after(() => pontoon.close());

  const expectRefusedDeploy = async (name: string, spec: Record<string, unknown>, field: string, message: RegExp) => {
    const answer = await pontoon.deploy(name, spec);
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, 'INVALID_SPEC');
    assert.ok(answer.body.error.details.problems.some((problem: { field: string }) => problem.field === field), JSON.stringify(answer.body));
    assert.match(answer.body.error.message, message);
    assert.equal((await pontoon.request('GET', `/v1/namespaces/default/functions/${name}`)).status, 404, `${name} was stored`);
  };

  it('a timeout of 10^20 hours or of 0s is refused at deploy, naming the field and its bounds', async () => {
    await expectRefusedDeploy('forever', { runtime: 'command', command: ['true'], timeout: '99999999999999999999h' }, 'spec.timeout', /spec\.timeout must be from 100ms to 7d/);
    await expectRefusedDeploy('instant', { runtime: 'command', command: ['true'], timeout: '0s' }, 'spec.timeout', /spec\.timeout must be from 100ms to 7d, not 0s/);
    await expectRefusedDeploy('slow-retry', { runtime: 'command', command: ['true'], retry: { backoff: { max: '99999999999999999999h' } } }, 'spec.retry.backoff.max', /from 0ms to 1d/);
  });

  it('environment names with = or NUL are refused at deploy, naming the key', async () => {
    await expectRefusedDeploy('env-equals', { runtime: 'command', command: ['true'], env: { 'A=B': '1' } }, 'spec.env["A=B"]', /spec\.env\["A=B"\] is not a valid environment variable name/);
    await expectRefusedDeploy('env-nul', { runtime: 'command', command: ['true'], env: { 'A\u0000': '1' } }, 'spec.env["A\\u0000"]', /environment variable name/);
  });

  it('a source directory that does not exist is refused at deploy rather than failing every invoke', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'pontoon-src-')), 'not-there');
    await expectRefusedDeploy('nowhere', { runtime: 'command', command: ['true'], source: missing }, 'spec.source', /spec\.source is not a directory on the server/);
    const file = writeScript('true');
    await expectRefusedDeploy('a-file', { runtime: 'command', command: ['true'], source: file }, 'spec.source', /not a directory/);
    const here = await pontoon.deploy('somewhere', { runtime: 'command', command: ['true'], source: dirname(file) });
    assert.equal(here.status, 201);
  });

  it('logs of an attempt the execution never had are a 404 naming the attempt, not an empty page', async () => {
    await pontoon.deploy('twice', { runtime: 'command', command: ['sh', '-c', 'echo try $PONTOON_ATTEMPT; exit 3'], retry: { limit: 1, on: ['failure'], backoff: { initial: '0ms' } } });
    const invoked = await pontoon.request('POST', '/v1/namespaces/default/functions/twice/invoke?wait=20s', null);
    assert.equal(invoked.body.status, 'failed');
    assert.equal(invoked.body.attempts.length, 2);
    const logsPath = `/v1/namespaces/default/executions/${invoked.body.id}/logs`;
    const second = await pontoon.request('GET', `${logsPath}?attempt=2`);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.items.filter((item: { stream: string }) => item.stream === 'stdout').map((item: { line: string }) => item.line), ['try 2']);
    for (const query of ['?attempt=3', '?attempt=99', '?attempt=99&follow=true']) {
      const answer = await pontoon.request('GET', logsPath + query);
      assert.equal(answer.status, 404, query);
      assert.equal(answer.body.error.code, 'ATTEMPT_NOT_FOUND');
      assert.match(answer.body.error.message, /has had 2 attempts; there is no attempt (3|99)/);
    }
  });
});
