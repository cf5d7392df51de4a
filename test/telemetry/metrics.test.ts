import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { parseSamples, sampleValue } from './prometheus-text.js';

const fastRetry = { limit: 1, on: ['failure'], backoff: { initial: '50ms', factor: 2, max: '1s', jitter: false } };
const ofFunction = (name: string, extra: Record<string, string> = {}) => ({ namespace: 'default', function: name, ...extra });

describe('/metrics of a running controller', () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon();
    await pontoon.deploy('ok', { runtime: 'command', command: ['true'] });
    await pontoon.deploy('broken', { runtime: 'command', command: ['false'], retry: fastRetry });
  });
  after(() => pontoon.close());

  const scrape = async () => {
    const answer = await pontoon.request('GET', '/metrics');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /text\/plain/);
    return answer.body as string;
  };

  it('counts an invoke from submission to its end, with its durations, by function and outcome', async () => {
    const before = await scrape();
    assert.equal(sampleValue(before, 'pontoon_executions_submitted_total', ofFunction('ok')), undefined);
    const answer = await pontoon.request('POST', '/v1/namespaces/default/functions/ok/invoke?wait=20s', {});
    assert.equal(answer.body.status, 'succeeded');

    const text = await scrape();
    assert.equal(sampleValue(text, 'pontoon_executions_submitted_total', ofFunction('ok')), 1);
    assert.equal(sampleValue(text, 'pontoon_executions_started_total', ofFunction('ok')), 1);
    assert.equal(sampleValue(text, 'pontoon_attempts_started_total', ofFunction('ok')), 1);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', ofFunction('ok', { status: 'succeeded' })), 1);
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', ofFunction('ok', { status: 'succeeded' })), 1);
    assert.equal(sampleValue(text, 'pontoon_cold_starts_total', ofFunction('ok')), 1, 'with no warm pool every attempt starts a program');
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_count', ofFunction('ok', { status: 'succeeded' })), 1);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_bucket', ofFunction('ok', { status: 'succeeded', le: '+Inf' })), 1);
    const buckets = parseSamples(text).filter((sample) => sample.name === 'pontoon_attempt_duration_seconds_bucket' && sample.labels.function === 'ok');
    assert.deepEqual(buckets.map((sample) => sample.labels.le).slice(0, 3), ['0.005', '0.01', '0.025']);
    const attempt = answer.body.attempts[0];
    const took = (Date.parse(attempt.finishedAt) - Date.parse(attempt.startedAt)) / 1000;
    assert.ok(Math.abs(sampleValue(text, 'pontoon_attempt_duration_seconds_sum', ofFunction('ok', { status: 'succeeded' }))! - took) < 0.002);
    const waited = (Date.parse(answer.body.startedAt) - Date.parse(answer.body.createdAt)) / 1000;
    assert.ok(Math.abs(sampleValue(text, 'pontoon_execution_queue_wait_seconds_sum', ofFunction('ok'))! - waited) < 0.002);
    assert.ok(sampleValue(text, 'pontoon_store_operation_duration_seconds_count', { operation: 'enqueueExecutions' })! >= 1);
    assert.ok(sampleValue(text, 'pontoon_store_operation_duration_seconds_count', { operation: 'completeAndClaim' })! + (sampleValue(text, 'pontoon_store_operation_duration_seconds_count', { operation: 'completeAttempt' }) ?? 0) >= 1);
  });

  it('counts retries and the failure that ends them', async () => {
    const answer = await pontoon.request('POST', '/v1/namespaces/default/functions/broken/invoke?wait=20s', {});
    assert.equal(answer.body.status, 'failed');
    assert.equal(answer.body.attempts.length, 2);
    const text = await scrape();
    assert.equal(sampleValue(text, 'pontoon_retries_total', ofFunction('broken')), 1);
    assert.equal(sampleValue(text, 'pontoon_attempts_started_total', ofFunction('broken')), 2);
    assert.equal(sampleValue(text, 'pontoon_executions_started_total', ofFunction('broken')), 1, 'a retry does not start the execution again');
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', ofFunction('broken', { status: 'failed' })), 2);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', ofFunction('broken', { status: 'failed' })), 1);
  });

  it('shows the queue of each deployed function from the store, and counts a cancel once', async () => {
    const text0 = await scrape();
    assert.equal(sampleValue(text0, 'pontoon_queue_depth', ofFunction('ok')), 0);
    assert.equal(sampleValue(text0, 'pontoon_queue_oldest_ready_age_seconds', ofFunction('ok')), 0);
    await pontoon.deploy('held', { runtime: 'command', command: ['sleep', '30'], parallelism: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await pontoon.request('POST', '/v1/namespaces/default/functions/held/invoke', {})).body.id);
    await pontoon.waitFor(ids[0], (execution) => execution.status === 'running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const text = await scrape();
    assert.equal(sampleValue(text, 'pontoon_queue_depth', ofFunction('held')), 2);
    assert.equal(sampleValue(text, 'pontoon_queue_ready', ofFunction('held')), 2);
    assert.ok(sampleValue(text, 'pontoon_queue_oldest_ready_age_seconds', ofFunction('held'))! >= 0.3);
    assert.equal(sampleValue(text, 'pontoon_attempts_in_flight'), 1);
    for (const id of ids) assert.equal((await pontoon.request('POST', `/v1/namespaces/default/executions/${id}/cancel`)).status, 200);
    await pontoon.request('POST', `/v1/namespaces/default/executions/${ids[0]}/cancel`);
    const after = await scrape();
    assert.equal(sampleValue(after, 'pontoon_executions_ended_total', ofFunction('held', { status: 'cancelled' })), 3);
    assert.equal(sampleValue(after, 'pontoon_queue_depth', ofFunction('held')), 0);
  });

  it('names the process metrics pontoon_process_… and pontoon_nodejs_…, never twice prefixed', async () => {
    const text = await scrape();
    assert.ok(sampleValue(text, 'pontoon_process_cpu_user_seconds_total') !== undefined);
    assert.ok(parseSamples(text).some((sample) => sample.name.startsWith('pontoon_nodejs_')));
    assert.doesNotMatch(text, /pontoon_process_process_|pontoon_process_nodejs_/);
    for (const sample of parseSamples(text)) assert.match(sample.name, /^pontoon_/);
  });
});
