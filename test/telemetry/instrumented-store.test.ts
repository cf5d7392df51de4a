import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { instrumentStore } from '../../src/telemetry/instrumented-store.js';
import { PontoonMetrics } from '../../src/telemetry/metrics.js';
import { at, completion, enqueueMany, functionDocument, refOf } from '../store/conformance/fixtures.js';
import { sampleValue } from './prometheus-text.js';

const report = { namespace: 'default', function: 'report' };

describe('metrics of the instrumented store', () => {
  let dir: string;
  let raw: Store;
  let calls: string[];
  let metrics: PontoonMetrics;
  let store: Store;
  let now: Date;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-metrics-'));
    raw = openSqliteStore({ file: join(dir, 'pontoon.db') });
    calls = [];
    // Records every store call the metrics make on their own, to show a scrape recounts nothing.
    const spied = new Proxy(raw, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(property));
          return value.apply(target, args);
        };
      },
    });
    now = new Date(at(60));
    metrics = new PontoonMetrics({ store: spied, inFlight: () => 0, clock: () => now });
    store = instrumentStore(raw, metrics, () => now);
  });
  afterEach(async () => {
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts a lease expiry, its retry and the lost attempt’s duration', async () => {
    await store.putFunction(functionDocument('report'));
    await enqueueMany(store, 'report', 1, 'default', at(0));
    const [claimed] = await store.claimExecutions({ owner: 'gone', now: at(10), leaseMs: 1000, limit: 1 });
    // Another controller's view: this instrumented store did not claim it, the reaper finds it.
    const reaper = instrumentStore(raw, metrics, () => now);
    const [expired] = await reaper.listExpiredAttempts(at(30), 10);
    assert.equal(expired.executionId, claimed.execution.id);
    const lost = completion(refOf(claimed), { status: 'lost', reason: 'LeaseExpired', finishedAt: at(30), settlement: { next: 'retry', notBefore: at(31) } });
    assert.equal(await reaper.completeAttempt(lost), true);

    const text = await metrics.scrape();
    assert.equal(sampleValue(text, 'pontoon_lease_expiries_total', report), 1);
    assert.equal(sampleValue(text, 'pontoon_retries_total', report), 1);
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', { ...report, status: 'lost' }), 1);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_sum', { ...report, status: 'lost' }), 20);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_bucket', { ...report, status: 'lost', le: '10' }), 0);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_bucket', { ...report, status: 'lost', le: '30' }), 1);
    assert.equal(sampleValue(text, 'pontoon_execution_queue_wait_seconds_sum', report), 10);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', { ...report, status: 'failed' }), undefined, 'a retried execution has not ended');
    assert.equal(sampleValue(text, 'pontoon_queue_depth', report), 1);
    assert.equal(sampleValue(text, 'pontoon_queue_oldest_ready_age_seconds', report), 60, 'ready again at 31s, submitted at 0s');
  });

  it('does not count a late report that the store keeps without applying', async () => {
    await store.putFunction(functionDocument('report'));
    await enqueueMany(store, 'report', 1);
    const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
    await store.completeAttempt(completion(refOf(claimed)));
    assert.equal(await store.completeAttempt(completion(refOf(claimed), { status: 'failed' })), false);
    const text = await metrics.scrape();
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', { ...report, status: 'succeeded' }), 1);
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', { ...report, status: 'failed' }), undefined);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', { ...report, status: 'succeeded' }), 1);
  });

  it('scrapes the queue with one indexed read per scrape, never a count of the executions table', async () => {
    await store.putFunction(functionDocument('report'));
    await store.putFunction(functionDocument('export'));
    await enqueueMany(store, 'report', 3, 'default', at(0));
    await enqueueMany(store, 'export', 2, 'default', at(45));
    calls.length = 0;
    const text = await metrics.scrape();
    assert.deepEqual(calls.sort(), ['listFunctions', 'queueStats']);
    assert.equal(sampleValue(text, 'pontoon_queue_depth', report), 3);
    assert.equal(sampleValue(text, 'pontoon_queue_depth', { namespace: 'default', function: 'export' }), 2);
    assert.equal(sampleValue(text, 'pontoon_queue_oldest_ready_age_seconds', { namespace: 'default', function: 'export' }), 15);
    assert.equal(sampleValue(text, 'pontoon_executions_submitted_total', report), 3);
    assert.equal(sampleValue(text, 'pontoon_store_operation_duration_seconds_count', { operation: 'enqueueExecutions' }), 2);
    assert.ok(sampleValue(text, 'pontoon_store_operation_duration_seconds_bucket', { operation: 'enqueueExecutions', le: '0.0001' }) !== undefined);
    assert.equal(sampleValue(text, 'pontoon_store_operation_duration_seconds_count', { operation: 'queueStats' }), undefined, 'a scrape is not store work of the controller');
  });

  it('takes warm replicas from a pool, which then reports the cold starts of its function', async () => {
    await store.putFunction(functionDocument('report', { parallelism: 10 }));
    await store.putFunction(functionDocument('export', { parallelism: 10 }));
    metrics.warmReplicas('default', 'report', { desired: 2, ready: 1 });
    await enqueueMany(store, 'report', 2);
    await enqueueMany(store, 'export', 1);
    await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 10 });
    metrics.coldStart('default', 'report');
    const text = await metrics.scrape();
    assert.equal(sampleValue(text, 'pontoon_warm_replicas_desired', report), 2);
    assert.equal(sampleValue(text, 'pontoon_warm_replicas_ready', report), 1);
    assert.equal(sampleValue(text, 'pontoon_cold_starts_total', report), 1, 'only the one the pool reported');
    assert.equal(sampleValue(text, 'pontoon_cold_starts_total', { namespace: 'default', function: 'export' }), 1, 'no pool: each attempt is cold');
    assert.equal(sampleValue(text, 'pontoon_attempts_started_total', report), 2);
  });

  it('counts the warm replicas’ batched claims and settlements as the dispatcher’s', async () => {
    await store.putFunction(functionDocument('report', { parallelism: 10 }));
    await enqueueMany(store, 'report', 4, 'default', at(0));
    const claim = (now: string) => ({ owner: 'a', now, leaseMs: 30_000, limit: 2, function: { namespace: 'default', name: 'report' } });
    const first = await store.claimFunctionExecutions(claim(at(1)));
    const step = await store.completeAndClaimFunction(
      first.map((claimed) => completion(refOf(claimed), { finishedAt: at(3) })),
      claim(at(3)),
    );
    assert.deepEqual(step.applied, [true, true]);
    assert.deepEqual(await store.completeAttempts([completion(refOf(step.claimed[0]), { status: 'failed', finishedAt: at(6), settlement: { next: 'finish', status: 'failed', notified: true } })]), [true]);
    const text = await metrics.scrape();
    assert.equal(sampleValue(text, 'pontoon_attempts_started_total', report), 4);
    assert.equal(sampleValue(text, 'pontoon_executions_started_total', report), 4);
    assert.equal(sampleValue(text, 'pontoon_execution_queue_wait_seconds_sum', report), 1 + 1 + 3 + 3);
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', { ...report, status: 'succeeded' }), 2);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_sum', { ...report, status: 'succeeded' }), 4);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', { ...report, status: 'failed' }), 1);
  });

  it('moves each counter once per function and outcome of a batch, not once per attempt', async () => {
    await store.putFunction(functionDocument('report', { parallelism: 10 }));
    await enqueueMany(store, 'report', 8, 'default', at(0));
    const calls = new Map<string, number>();
    for (const name of ['attemptsStarted', 'started', 'coldStarts', 'attemptsEnded', 'ended'] as const) {
      const counter = metrics[name] as unknown as { inc: (...args: unknown[]) => void };
      const inc = counter.inc.bind(counter);
      counter.inc = (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        inc(...args);
      };
    }
    const claim = { owner: 'a', now: at(1), leaseMs: 30_000, limit: 8, function: { namespace: 'default', name: 'report' } };
    const claimed = await store.claimFunctionExecutions(claim);
    const settled = claimed.map((each, index) =>
      index < 5 ? completion(refOf(each), { finishedAt: at(2) }) : completion(refOf(each), { status: 'failed', finishedAt: at(2), settlement: { next: 'finish', status: 'failed', notified: true } }),
    );
    await store.completeAttempts(settled);
    assert.deepEqual(Object.fromEntries(calls), { attemptsStarted: 1, started: 1, coldStarts: 1, attemptsEnded: 2, ended: 2 });
    const text = await metrics.scrape();
    assert.equal(sampleValue(text, 'pontoon_attempts_started_total', report), 8);
    assert.equal(sampleValue(text, 'pontoon_executions_started_total', report), 8);
    assert.equal(sampleValue(text, 'pontoon_cold_starts_total', report), 8);
    assert.equal(sampleValue(text, 'pontoon_attempts_ended_total', { ...report, status: 'succeeded' }), 5);
    assert.equal(sampleValue(text, 'pontoon_executions_ended_total', { ...report, status: 'failed' }), 3);
    assert.equal(sampleValue(text, 'pontoon_attempt_duration_seconds_count', { ...report, status: 'failed' }), 3);
  });
});
