import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';

const invokePath = (name: string, query = '') => `/v1/namespaces/default/functions/${name}/invoke${query}`;

/** Largest number of attempts whose [startedAt, finishedAt] intervals overlap at one instant. */
function maxOverlap(executions: any[]): number {
  const points = executions.flatMap((execution) =>
    execution.attempts.flatMap((attempt: any) => [
      { at: Date.parse(attempt.startedAt), delta: 1 },
      { at: Date.parse(attempt.finishedAt), delta: -1 },
    ]),
  );
  points.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const point of points) {
    current += point.delta;
    most = Math.max(most, current);
  }
  return most;
}

describe('executions API', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ payloadLimit: '4Ki', allowOutbound: ['127.0.0.1/32'] });
    const echo = writeScript('echo "input: $(cat "$PONTOON_INPUT")"; echo "to stderr" >&2; cp "$PONTOON_INPUT" "$PONTOON_OUTPUT"');
    await pontoon.deploy('echo', { runtime: 'command', command: [echo] });
  });
  after(() => pontoon.close());

  it('answers an async invoke at once with 202 and the execution id', async () => {
    const answer = await pontoon.request('POST', invokePath('echo'), [1, 2]);
    assert.equal(answer.status, 202);
    assert.match(answer.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(answer.body.function, 'echo');
    assert.equal(answer.body.version, 1);
    assert.deepEqual(answer.body.input, [1, 2]);
    const done = await pontoon.waitFor(answer.body.id, isDone);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result, [1, 2]);
  });

  it('with wait, answers 200 with the result once the execution ends', async () => {
    const answer = await pontoon.request('POST', invokePath('echo', '?wait=20s'), { hello: 'world' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'succeeded');
    assert.deepEqual(answer.body.result, { hello: 'world' });
    assert.equal(answer.body.attempts.length, 1);
    assert.equal(answer.body.attempts[0].exitCode, 0);
    assert.ok(answer.body.startedAt && answer.body.finishedAt);
  });

  it('when the wait runs out, answers 202 and says so', async () => {
    await pontoon.deploy('slow', { runtime: 'command', command: ['sleep', '3'] });
    const answer = await pontoon.request('POST', invokePath('slow', '?wait=200ms'), null);
    assert.equal(answer.status, 202);
    assert.equal(answer.headers.get('x-pontoon-wait-expired'), 'true');
    assert.ok(['queued', 'running'].includes(answer.body.status));
    await pontoon.request('POST', `/v1/namespaces/default/executions/${answer.body.id}/cancel`);
  });

  it('keeps stdout and stderr line by line with timestamps', async () => {
    const answer = await pontoon.request('POST', invokePath('echo', '?wait=20s'), '"text"');
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${answer.body.id}/logs`);
    assert.equal(logs.status, 200);
    const lines = logs.body.items.map((item: any) => [item.stream, item.line]);
    assert.deepEqual(lines.sort(), [['stderr', 'to stderr'], ['stdout', 'input: "text"']]);
    for (const item of logs.body.items) {
      assert.ok(!Number.isNaN(Date.parse(item.time)));
      assert.equal(item.attempt, 1);
    }
  });

  it('returns the existing execution for a repeated idempotency key', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await pontoon.request('POST', invokePath('echo'), { order: 42, lines: [1, 2] }, headers);
    assert.equal(first.headers.get('x-pontoon-idempotent-replay'), null);
    // The same request: the same input (whatever its key order or format), priority and callback.
    const second = await pontoon.request('POST', invokePath('echo', '?wait=20s'), { lines: [1, 2], order: 42 }, headers);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('x-pontoon-idempotent-replay'), 'true');
    const asYaml = await pontoon.request('POST', invokePath('echo'), 'order: 42\nlines: [1, 2]\n', { ...headers, 'content-type': 'application/yaml' });
    assert.equal(asYaml.body.id, first.body.id);
  });

  it('refuses an idempotency key reused with a different input, priority or callback URL (422), and stores nothing', async () => {
    const headers = { 'idempotency-key': 'order-43' };
    const first = await pontoon.request('POST', invokePath('echo', '?priority=3'), 1, headers);
    assert.equal(first.status, 202);
    const before = await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000');
    const reuses: [string, unknown, Record<string, string>][] = [
      ['?priority=3', 2, headers],
      ['?priority=4', 1, headers],
      ['', 1, headers],
      ['?priority=3', 1, { ...headers, 'x-callback-url': 'http://127.0.0.1:1/done' }],
    ];
    for (const [query, body, reuseHeaders] of reuses) {
      const answer = await pontoon.request('POST', invokePath('echo', query), body, reuseHeaders);
      assert.equal(answer.status, 422, `${query} ${JSON.stringify(body)}`);
      assert.equal(answer.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.match(answer.body.error.message, /Idempotency-Key "order-43" was first used with a different request/);
      assert.equal(answer.body.error.details.executionId, first.body.id);
    }
    const afterwards = await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000');
    assert.equal(afterwards.body.items.length, before.body.items.length);
    const original = await pontoon.request('GET', `/v1/namespaces/default/executions/${first.body.id}`);
    assert.deepEqual([original.body.input, original.body.priority], [1, 3]);
    const repeat = await pontoon.request('POST', invokePath('echo', '?priority=3'), 1, headers);
    assert.deepEqual([repeat.status === 202 || repeat.status === 200, repeat.body.id], [true, first.body.id]);
  });

  it('enqueues a batch of inputs in one request', async () => {
    const answer = await pontoon.request('POST', '/v1/namespaces/default/functions/echo/batch', { inputs: [1, 2, 3], priority: 5 });
    assert.equal(answer.status, 202);
    assert.equal(answer.body.items.length, 3);
    assert.ok(answer.body.items.every((execution: any) => execution.priority === 5));
    for (const execution of answer.body.items) assert.equal((await pontoon.waitFor(execution.id, isDone)).status, 'succeeded');
  });

  it('refuses bad input with a 4xx JSON error that names the problem, and stores nothing', async () => {
    const before = await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000');
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      [invokePath('nope'), 1, {}, 404, 'FUNCTION_NOT_FOUND'],
      [invokePath('echo'), '{"open": ', { 'content-type': 'application/json' }, 400, 'INVALID_INPUT'],
      [invokePath('echo'), { blob: 'x'.repeat(8192) }, {}, 413, 'PAYLOAD_TOO_LARGE'],
      [invokePath('echo', '?priority=high'), 1, {}, 400, 'INVALID_REQUEST'],
      [invokePath('echo', '?priority=100000'), 1, {}, 400, 'INVALID_REQUEST'],
      [invokePath('echo', '?wait=forever'), 1, {}, 400, 'INVALID_REQUEST'],
      [invokePath('echo'), 1, { 'x-callback-url': 'not a url' }, 400, 'INVALID_REQUEST'],
      ['/v1/namespaces/default/functions/echo/batch', { inputs: [] }, {}, 400, 'INVALID_REQUEST'],
      ['/v1/namespaces/default/functions/echo/batch', { inputs: [1, 'y'.repeat(8192)] }, {}, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [path, body, headers, status, code] of cases) {
      const answer = await pontoon.request('POST', path, body, headers);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error.code, code);
      assert.ok(answer.body.error.message.length > 10);
    }
    assert.match((await pontoon.request('POST', invokePath('echo', '?priority=100000'), 1)).body.error.message, /priority/);
    const afterwards = await pontoon.request('GET', '/v1/namespaces/default/executions?limit=1000');
    assert.equal(afterwards.body.items.length, before.body.items.length);
  });

  it('answers 404 for an unknown execution and 409 when cancelling a finished one', async () => {
    const missing = await pontoon.request('GET', '/v1/namespaces/default/executions/0190-none');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'EXECUTION_NOT_FOUND');
    const done = await pontoon.request('POST', invokePath('echo', '?wait=20s'), 1);
    const cancel = await pontoon.request('POST', `/v1/namespaces/default/executions/${done.body.id}/cancel`);
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'EXECUTION_FINISHED');
  });

  it('lists executions newest first with filters and cursor pages', async () => {
    await pontoon.deploy('pager', { runtime: 'command', command: ['true'] });
    const created = (await pontoon.request('POST', '/v1/namespaces/default/functions/pager/batch', { inputs: [1, 2, 3, 4, 5] })).body.items;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await pontoon.request('GET', `/v1/namespaces/default/executions?function=pager&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((execution: any) => execution.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, created.map((execution: any) => execution.id).reverse());
    for (const execution of created) await pontoon.waitFor(execution.id, isDone);
    const succeeded = await pontoon.request('GET', '/v1/namespaces/default/executions?function=pager&status=succeeded');
    assert.equal(succeeded.body.items.length, 5);
    const bad = await pontoon.request('GET', '/v1/namespaces/default/executions?status=sleeping');
    assert.equal(bad.status, 400);
  });
});

describe('scheduling rules', () => {
  let pontoon: TestPontoon;
  let dir: string;
  before(async () => {
    pontoon = await startTestPontoon({ capacity: 3 });
    dir = mkdtempSync(join(tmpdir(), 'pontoon-order-'));
  });
  after(() => pontoon.close());

  it('runs higher priority first, and older first within a priority', async () => {
    const gate = join(dir, 'gate');
    const order = join(dir, 'order');
    const script = writeScript(`while [ ! -f ${gate} ]; do sleep 0.05; done; cat "$PONTOON_INPUT" >> ${order}; echo >> ${order}`);
    await pontoon.deploy('ordered', { runtime: 'command', command: [script], parallelism: 1 });
    const blocker = await pontoon.request('POST', invokePath('ordered'), '"blocker"');
    await pontoon.waitFor(blocker.body.id, (execution) => execution.status === 'running');
    for (const [input, priority] of [['low-1', -5], ['mid-1', 0], ['high-1', 9], ['mid-2', 0], ['high-2', 9], ['low-2', -5]] as const) {
      await pontoon.request('POST', invokePath('ordered', `?priority=${priority}`), JSON.stringify(input));
    }
    writeFileSync(gate, '');
    const list = await pontoon.request('GET', '/v1/namespaces/default/executions?function=ordered');
    for (const execution of list.body.items) await pontoon.waitFor(execution.id, isDone);
    const ran = readFileSync(order, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(ran, ['blocker', 'high-1', 'high-2', 'mid-1', 'mid-2', 'low-1', 'low-2']);
  });

  it('never runs more than a function’s parallelism at once', async () => {
    await pontoon.deploy('narrow', { runtime: 'command', command: ['sleep', '0.3'], parallelism: 2 });
    const batch = (await pontoon.request('POST', '/v1/namespaces/default/functions/narrow/batch', { inputs: [1, 2, 3, 4, 5, 6] })).body.items;
    const finished = [];
    for (const execution of batch) finished.push(await pontoon.waitFor(execution.id, isDone));
    assert.ok(finished.every((execution) => execution.status === 'succeeded'));
    assert.equal(maxOverlap(finished), 2);
  });

  it('never runs more than the global capacity at once', async () => {
    await pontoon.deploy('wide-a', { runtime: 'command', command: ['sleep', '0.3'], parallelism: 10 });
    await pontoon.deploy('wide-b', { runtime: 'command', command: ['sleep', '0.3'], parallelism: 10 });
    const a = (await pontoon.request('POST', '/v1/namespaces/default/functions/wide-a/batch', { inputs: [1, 2, 3, 4] })).body.items;
    const b = (await pontoon.request('POST', '/v1/namespaces/default/functions/wide-b/batch', { inputs: [1, 2, 3, 4] })).body.items;
    const finished = [];
    for (const execution of [...a, ...b]) finished.push(await pontoon.waitFor(execution.id, isDone));
    assert.equal(maxOverlap(finished), 3);
  });
});
