import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDone, startTestPontoon, writeScript, type TestPontoon } from '../helpers/pontoon.js';

const invokePath = (name: string, query = '') => `/v1/namespaces/default/functions/${name}/invoke${query}`;
const fastRetry = (on: string[], limit = 3) => ({ limit, on, backoff: { initial: '100ms', factor: 2, max: '1s', jitter: false } });

describe('execution lifecycle', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ grace: '500ms' });
  });
  after(() => pontoon.close());

  it('retries failures by policy until an attempt succeeds, keeping every attempt', async () => {
    const script = writeScript('if [ "$PONTOON_ATTEMPT" -lt 3 ]; then echo "not yet" > "$PONTOON_ERROR"; exit 7; fi; echo 42 > "$PONTOON_OUTPUT"');
    await pontoon.deploy('flaky', { runtime: 'command', command: [script], retry: fastRetry(['failure']) });
    const answer = await pontoon.request('POST', invokePath('flaky', '?wait=30s'), null);
    assert.equal(answer.body.status, 'succeeded');
    assert.equal(answer.body.result, 42);
    assert.deepEqual(answer.body.attempts.map((attempt: any) => [attempt.number, attempt.status, attempt.exitCode, attempt.error]), [
      [1, 'failed', 7, 'not yet'],
      [2, 'failed', 7, 'not yet'],
      [3, 'succeeded', 0, null],
    ]);
    const gap = Date.parse(answer.body.attempts[1].startedAt) - Date.parse(answer.body.attempts[0].finishedAt);
    assert.ok(gap >= 100, `the first retry waited its backoff (${gap} ms)`);
  });

  it('fails once the retry limit is spent, with the last error', async () => {
    await pontoon.deploy('doomed', { runtime: 'command', command: ['sh', '-c', 'echo "disk full" > "$PONTOON_ERROR"; exit 1'], retry: fastRetry(['failure'], 1) });
    const answer = await pontoon.request('POST', invokePath('doomed', '?wait=30s'), null);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.error, 'disk full');
    assert.equal(answer.body.attempts.length, 2);
  });

  it('never retries a non-retryable exit code', async () => {
    await pontoon.deploy('invalid-input', {
      runtime: 'command',
      command: ['sh', '-c', 'exit 64'],
      retry: { ...fastRetry(['failure']), nonRetryableExitCodes: [64] },
    });
    const answer = await pontoon.request('POST', invokePath('invalid-input', '?wait=30s'), null);
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.attempts.length, 1);
    assert.equal(answer.body.attempts[0].reason, 'NonRetryableExitCode');
  });

  it('stops a program past its timeout with TERM, then KILL after the grace period', async () => {
    const stubborn = writeScript('trap "echo ignoring TERM" TERM; echo started; while true; do sleep 0.1; done');
    await pontoon.deploy('stubborn', { runtime: 'command', command: [stubborn], timeout: '700ms', retry: fastRetry(['failure']) });
    const answer = await pontoon.request('POST', invokePath('stubborn', '?wait=30s'), null);
    assert.equal(answer.body.status, 'timed_out');
    assert.equal(answer.body.attempts.length, 1, 'timeouts are not in retry.on');
    assert.equal(answer.body.attempts[0].status, 'timed_out');
    assert.equal(answer.body.attempts[0].reason, 'DeadlineExceeded');
    const logs = await pontoon.request('GET', `/v1/namespaces/default/executions/${answer.body.id}/logs`);
    assert.ok(logs.body.items.some((item: any) => item.line === 'ignoring TERM'), 'the program saw TERM before KILL');
  });

  it('retries a timeout when retry.on names it', async () => {
    await pontoon.deploy('sleepy', { runtime: 'command', command: ['sleep', '10'], timeout: '300ms', retry: fastRetry(['timeout'], 1) });
    const answer = await pontoon.request('POST', invokePath('sleepy', '?wait=30s'), null);
    assert.equal(answer.body.status, 'timed_out');
    assert.deepEqual(answer.body.attempts.map((attempt: any) => attempt.status), ['timed_out', 'timed_out']);
  });

  it('cancels a queued execution', async () => {
    await pontoon.deploy('single', { runtime: 'command', command: ['sleep', '5'], parallelism: 1 });
    const running = await pontoon.request('POST', invokePath('single'), null);
    const queued = await pontoon.request('POST', invokePath('single'), null);
    await pontoon.waitFor(running.body.id, (execution) => execution.status === 'running');
    const cancelled = await pontoon.request('POST', `/v1/namespaces/default/executions/${queued.body.id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(cancelled.body.attempts.length, 0);
    await pontoon.request('POST', `/v1/namespaces/default/executions/${running.body.id}/cancel`);
  });

  it('cancels a running execution and stops its process', async () => {
    const marker = writeScript('echo started; sleep 30; echo "should never print"');
    await pontoon.deploy('long', { runtime: 'command', command: [marker] });
    const answer = await pontoon.request('POST', invokePath('long'), null);
    await pontoon.waitFor(answer.body.id, (execution) => execution.status === 'running');
    const cancelled = await pontoon.request('POST', `/v1/namespaces/default/executions/${answer.body.id}/cancel`);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(cancelled.body.attempts[0].status, 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const final = await pontoon.request('GET', `/v1/namespaces/default/executions/${answer.body.id}`);
    assert.equal(final.body.status, 'cancelled', 'the killed process did not overwrite the cancellation');
  });

  it('follows logs live as server-sent events until the end', async () => {
    const ticker = writeScript('for i in 1 2 3; do echo "tick $i"; sleep 0.2; done');
    await pontoon.deploy('ticker', { runtime: 'command', command: [ticker] });
    const answer = await pontoon.request('POST', invokePath('ticker'), null);
    const response = await fetch(`${pontoon.url}/v1/namespaces/default/executions/${answer.body.id}/logs?follow=true`);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const text = await response.text();
    const lines = [...text.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]));
    assert.deepEqual(lines.slice(0, 3).map((line) => line.line), ['tick 1', 'tick 2', 'tick 3']);
    assert.deepEqual(lines[3], { status: 'succeeded' });
    assert.match(text, /event: end/);
  });

  it('keeps the version an execution was created with after a redeploy', async () => {
    await pontoon.deploy('versioned', { runtime: 'command', command: ['sh', '-c', 'echo 1 > "$PONTOON_OUTPUT"; sleep 0.3'], parallelism: 1 });
    const first = await pontoon.request('POST', invokePath('versioned'), null);
    await pontoon.deploy('versioned', { runtime: 'command', command: ['sh', '-c', 'echo 2 > "$PONTOON_OUTPUT"'], parallelism: 1 });
    const second = await pontoon.request('POST', invokePath('versioned'), null);
    const [a, b] = [await pontoon.waitFor(first.body.id, isDone), await pontoon.waitFor(second.body.id, isDone)];
    assert.deepEqual([a.version, a.result, b.version, b.result], [1, 1, 2, 2]);
  });
});
