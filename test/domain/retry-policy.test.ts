import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionSpec } from '../../src/domain/function-spec.js';
import { backoffDelay, decideRetry } from '../../src/domain/retry-policy.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';

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

  describe('defaults, as a deploy applies them', () => {
    const retryOf = (spec: Record<string, unknown>) =>
      validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'f' }, spec: { runtime: 'command', command: ['true'], ...spec } }).spec.retry;
    const outcomes = ['failed', 'timed_out', 'lost'] as const;
    const retried = (policy: FunctionSpec['retry']) => outcomes.filter((status) => decideRetry(policy, { number: 1, status, exitCode: status === 'failed' ? 1 : null }, () => 0).retry);

    it('a retry block without `on` retries failures, timeouts and lost attempts, up to its limit', () => {
      const policy = retryOf({ retry: { limit: 3 } });
      assert.deepEqual(policy.on, ['failure', 'timeout', 'lost']);
      assert.deepEqual(retried(policy), ['failed', 'timed_out', 'lost']);
      assert.equal(decideRetry(policy, { number: 4, status: 'failed', exitCode: 1 }).retry, false);
      assert.deepEqual(retryOf({ retry: {} }).on, ['failure', 'timeout', 'lost']);
    });

    it('without a retry block, only a lost attempt is retried, up to 3 times', () => {
      const policy = retryOf({});
      assert.deepEqual(policy.on, ['lost']);
      assert.equal(policy.limit, 3);
      assert.deepEqual(retried(policy), ['lost']);
    });

    it('an explicit `on` is kept as written, even empty', () => {
      assert.deepEqual(retryOf({ retry: { limit: 3, on: ['timeout'] } }).on, ['timeout']);
      assert.deepEqual(retried(retryOf({ retry: { limit: 3, on: [] } })), []);
    });
  });
});
