import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Execution, FunctionResource } from '../../src/client/index.js';
import { formatAge, formatElapsed, formatSpan } from '../../src/cli/age.js';
import { formatStructured, formatTable } from '../../src/cli/output.js';
import { describeExecution, executionTable } from '../../src/cli/views/execution-view.js';
import { describeFunction, functionTable } from '../../src/cli/views/function-view.js';

const now = Date.parse('2030-01-01T12:00:00.000Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

const execution: Execution = {
  id: 'exec-1',
  namespace: 'default',
  function: 'flaky',
  version: 3,
  status: 'succeeded',
  priority: 5,
  input: [1, 100],
  result: { ok: true },
  error: null,
  idempotencyKey: null,
  callbackUrl: null,
  createdAt: ago(65_000),
  startedAt: ago(64_000),
  finishedAt: ago(61_500),
  notBefore: null,
  concurrencyKey: null,
  attempts: [
    { number: 1, status: 'failed', exitCode: 3, reason: 'Error', error: 'upstream\nnot ready', startedAt: ago(64_000), finishedAt: ago(63_990), owner: null, lateReport: null },
    { number: 2, status: 'lost', exitCode: null, reason: 'LeaseExpired', error: 'lease expired', startedAt: ago(63_000), finishedAt: ago(62_000), owner: null, lateReport: null },
    { number: 3, status: 'succeeded', exitCode: 0, reason: null, error: null, startedAt: ago(62_000), finishedAt: ago(61_500), owner: null, lateReport: null },
  ],
};

const fn = {
  apiVersion: 'pontoon.dev/v1',
  kind: 'Function',
  metadata: { name: 'primes', namespace: 'default', version: 2, createdAt: ago(3 * 3600_000), labels: { team: 'cost' } },
  spec: {
    runtime: 'command',
    command: ['sh', '-c', 'echo hi'],
    timeout: '1m',
    retry: { limit: 2, backoff: { initial: '1s', factor: 2, max: '5m', jitter: true }, on: ['failure', 'lost'], nonRetryableExitCodes: [64] },
    parallelism: 4,
    priority: 10,
  },
  status: { queued: 1, running: 2, lastExecution: { id: 'exec-1', status: 'succeeded', createdAt: ago(5000) } },
} as FunctionResource;

describe('CLI output', () => {
  it('shows ages the way kubectl does', () => {
    assert.equal(formatSpan(5_000), '5s');
    assert.equal(formatSpan(119_000), '119s');
    assert.equal(formatSpan(200_000), '3m20s');
    assert.equal(formatSpan(180_000), '3m');
    assert.equal(formatSpan(45 * 60_000), '45m');
    assert.equal(formatSpan(5 * 3600_000 + 10 * 60_000), '5h10m');
    assert.equal(formatSpan(30 * 3600_000), '30h');
    assert.equal(formatSpan(12 * 86400_000), '12d');
    assert.equal(formatAge(ago(3 * 60_000), now), '3m');
    assert.equal(formatAge(null, now), '');
  });

  it('shows run durations precisely when they are short', () => {
    assert.equal(formatElapsed(ago(850), ago(0), now), '850ms');
    assert.equal(formatElapsed(ago(1250), ago(0), now), '1.3s');
    assert.equal(formatElapsed(ago(2000), null, now), '2s');
    assert.equal(formatElapsed(null, null, now), '');
  });

  it('lays out tables as borderless columns aligned under upper-case headings', () => {
    const text = formatTable(['NAME', 'STATUS'], [['a-long-name', 'ok'], ['b', 'failed']]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^NAME\s+STATUS$/);
    assert.equal(lines[1]!.indexOf('ok'), lines[0]!.indexOf('STATUS'));
    assert.equal(lines[2]!.indexOf('failed'), lines[0]!.indexOf('STATUS'));
    assert.doesNotMatch(text, /[│─┌┐└┘]/);
  });

  it('lists executions with their status, attempt count and age', () => {
    const [head, row] = executionTable([execution], now).trimEnd().split('\n');
    assert.match(head!, /^ID\s+FUNCTION\s+VERSION\s+STATUS\s+ATTEMPTS\s+PRIORITY\s+DURATION\s+AGE$/);
    assert.match(row!, /^exec-1\s+flaky\s+3\s+succeeded\s+3\s+5\s+2\.5s\s+65s$/);
  });

  it('describes an execution with every attempt, its exit code, reason and error on one line', () => {
    const text = describeExecution(execution, now);
    assert.match(text, /^Function:\s+flaky \(version 3\)$/m);
    assert.match(text, /^Result:\s+\{"ok":true\}$/m);
    assert.match(text, /^\s+1\s+failed\s+3\s+Error\s+64s ago\s+10ms\s+upstream not ready$/m);
    assert.match(text, /^\s+2\s+lost\s+LeaseExpired\s+63s ago\s+1s\s+lease expired$/m);
    assert.match(text, /^\s+3\s+succeeded\s+0\s+62s ago\s+500ms$/m);
  });

  it('lists and describes functions with their version, status and retry policy', () => {
    const [head, row] = functionTable([fn], true, now).trimEnd().split('\n');
    assert.match(head!, /^NAMESPACE\s+NAME\s+VERSION\s+RUNTIME\s+PACKAGE\s+QUEUED\s+RUNNING\s+REPLICAS\s+LAST EXECUTION\s+AGE$/);
    assert.match(row!, /^default\s+primes\s+2\s+command\s+-\s+1\s+2\s+-\s+succeeded 5s ago\s+3h$/);
    const text = describeFunction(fn, now);
    assert.match(text, /^Command:\s+sh -c 'echo hi'$/m);
    assert.match(text, /^Retry:\s+limit 2, on failure\/lost, backoff 1s x2 up to 5m with jitter, never on exit 64$/m);
    assert.match(text, /^Labels:\s+team=cost$/m);
    assert.doesNotMatch(text, /^Replicas:/m);
  });

  it('shows an uploaded package by the start of its sha256 and its size, in full in describe', () => {
    const sha256 = 'ab'.repeat(32);
    const packaged = { ...fn, spec: { ...fn.spec, runtime: 'python' as const, package: { sha256, size: 2560 } } };
    const [, row] = functionTable([packaged], false, now).trimEnd().split('\n');
    assert.match(row!, /^primes\s+2\s+python\s+abababababab 2\.5KiB\s+1\s+2/);
    assert.match(describeFunction(packaged, now), new RegExp(`^Package:\\s+sha256:${sha256} \\(2\\.5KiB\\)$`, 'm'));
  });

  it('shows a warm function’s replicas, ready of desired, in the table and in describe', () => {
    const warm = {
      ...fn,
      spec: { ...fn.spec, warm: { min: 0, max: 4, idleTimeout: '5m', concurrency: 8 } },
      status: { ...fn.status, replicas: { desired: 3, ready: 2, starting: 1, draining: 0, inFlight: 12 } },
    };
    const [, row] = functionTable([warm], false, now).trimEnd().split('\n');
    assert.match(row!, /^primes\s+2\s+command\s+-\s+1\s+2\s+2\/3\s+succeeded/);
    const text = describeFunction(warm, now);
    assert.match(text, /^Warm:\s+min 0, max 4, concurrency 8, idle timeout 5m$/m);
    assert.match(text, /^Replicas:\s+2 ready of 3 desired, 1 starting, 0 draining, 12 executions in flight$/m);
    const prefetching = { ...warm, spec: { ...warm.spec, warm: { ...warm.spec.warm, prefetch: 24 } } };
    assert.match(describeFunction(prefetching, now), /^Warm:\s+min 0, max 4, concurrency 8, prefetch 24, idle timeout 5m$/m);
  });

  it('prints json and yaml that parse back to the same value', () => {
    assert.deepEqual(JSON.parse(formatStructured(execution, 'json')), execution);
    assert.match(formatStructured({ a: [1, 2] }, 'yaml'), /^a:\n {2}- 1\n {2}- 2\n$/);
  });
});
