import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionSpec } from '../../src/domain/function-spec.js';
import { settleAttempt } from '../../src/engine/attempt-settlement.js';

const retry: FunctionSpec['retry'] = {
  limit: 1,
  backoff: { initial: '2s', factor: 2, max: '1m', jitter: false },
  on: ['failure', 'timeout', 'lost'],
  nonRetryableExitCodes: [64],
};
const ref = { executionId: 'e1', attempt: 1 };
const now = new Date('2026-01-01T00:00:00.000Z');

describe('attempt settlement', () => {
  it('finishes a success with its result', () => {
    const completion = settleAttempt(ref, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: [2, 3] }, retry, now);
    assert.deepEqual(completion.settlement, { next: 'finish', status: 'succeeded' });
    assert.deepEqual(completion.result, [2, 3]);
  });

  it('schedules a retry after the backoff for a failure', () => {
    const completion = settleAttempt(ref, { status: 'failed', exitCode: 1, reason: 'Error', error: 'boom', result: null }, retry, now);
    assert.deepEqual(completion.settlement, { next: 'retry', notBefore: '2026-01-01T00:00:02.000Z' });
  });

  it('a lost attempt is retried with backoff', () => {
    const completion = settleAttempt(ref, { status: 'lost', reason: 'LeaseExpired', error: 'lease expired' }, retry, now);
    assert.equal(completion.status, 'lost');
    assert.equal(completion.settlement.next, 'retry');
  });

  it('ends timed_out when a timeout has no retry left', () => {
    const completion = settleAttempt({ ...ref, attempt: 2 }, { status: 'timed_out', exitCode: null, reason: 'DeadlineExceeded', error: 'timeout 1s', result: null }, retry, now);
    assert.deepEqual(completion.settlement, { next: 'finish', status: 'timed_out' });
  });

  it('marks a non-retryable exit code and fails at once', () => {
    const completion = settleAttempt(ref, { status: 'failed', exitCode: 64, reason: 'Error', error: 'bad input', result: null }, retry, now);
    assert.equal(completion.reason, 'NonRetryableExitCode');
    assert.deepEqual(completion.settlement, { next: 'finish', status: 'failed' });
  });

  it('does not retry when the function is gone', () => {
    const completion = settleAttempt(ref, { status: 'lost', reason: 'LeaseExpired', error: 'lease expired' }, undefined, now);
    assert.deepEqual(completion.settlement, { next: 'finish', status: 'failed' });
  });
});
