import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionSpec } from '../../src/domain/function-spec.js';
import { backoffDelay, decideRetry } from '../../src/domain/retry-policy.js';

const retry: FunctionSpec['retry'] = {
  limit: 3,
  backoff: { initial: '1s', factor: 2, max: '5s', jitter: false },
  on: ['failure', 'lost'],
  nonRetryableExitCodes: [64],
};

describe('retry policy', () => {
  it('retries a failure with exponential backoff', () => {
    assert.deepEqual(decideRetry(retry, { number: 1, status: 'failed', exitCode: 1 }), { retry: true, delayMs: 1000 });
    assert.deepEqual(decideRetry(retry, { number: 2, status: 'failed', exitCode: 1 }), { retry: true, delayMs: 2000 });
    assert.deepEqual(decideRetry(retry, { number: 3, status: 'lost', exitCode: null }), { retry: true, delayMs: 4000 });
  });

  it('stops after `limit` retries', () => {
    const decision = decideRetry(retry, { number: 4, status: 'failed', exitCode: 1 });
    assert.equal(decision.retry, false);
  });

  it('caps the delay at backoff.max', () => {
    assert.equal(backoffDelay(retry.backoff, 10), 5000);
  });

  it('does not retry outcomes missing from retry.on', () => {
    const decision = decideRetry(retry, { number: 1, status: 'timed_out', exitCode: null });
    assert.deepEqual(decision, { retry: false, why: 'retry.on does not include timeout' });
  });

  it('never retries a non-retryable exit code', () => {
    const decision = decideRetry(retry, { number: 1, status: 'failed', exitCode: 64 });
    assert.deepEqual(decision, { retry: false, why: 'exit code 64 is non-retryable' });
  });

  it('keeps jittered delays between half and all of the exponential delay', () => {
    const jittered = { ...retry.backoff, jitter: true };
    assert.equal(backoffDelay(jittered, 2, () => 0), 1000);
    assert.equal(backoffDelay(jittered, 2, () => 0.999999), 2000);
    assert.equal(backoffDelay(jittered, 2, () => 0.5), 1500);
  });
});
