import assert from 'node:assert/strict';
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
