import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeAttempt, type AttemptFacts } from '../../src/executors/kubernetes/attempt-report.js';
import { podEnd, type Pod } from '../../src/executors/kubernetes/pod-status.js';

const facts = (end: AttemptFacts['end'], more: Partial<AttemptFacts> = {}): AttemptFacts => ({
  end,
  timeout: '2s',
  memory: '64Mi',
  image: 'busybox:1.36',
  resultLimitBytes: 1024,
  lastLine: '',
  ...more,
});

function pod(status: Pod['status']): Pod {
  return { metadata: { name: 'p' }, status };
}

describe('judging a pod’s end (kubernetes executor)', () => {
  it('reads an exit code and an OOMKilled container from the function container’s state', () => {
    assert.deepEqual(podEnd(pod({ phase: 'Failed', containerStatuses: [{ name: 'function', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] })), {
      kind: 'exited',
      exitCode: 137,
      oomKilled: true,
      message: undefined,
    });
  });

  it('sees image pull errors in any container, and eviction and deadline in the pod’s reason', () => {
    assert.equal(podEnd(pod({ phase: 'Pending', containerStatuses: [{ name: 'function', state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] }))?.kind, 'image');
    assert.equal(podEnd(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }))?.kind, 'evicted');
    assert.equal(podEnd(pod({ phase: 'Failed', reason: 'DeadlineExceeded' }))?.kind, 'deadline');
    assert.equal(podEnd(pod({ phase: 'Running', containerStatuses: [{ name: 'function', state: { running: {} } }] })), undefined);
  });

  it('turns each end into the attempt error the retry policy reads', () => {
    assert.deepEqual(judgeAttempt(facts({ kind: 'deadline' })), { status: 'timed_out', exitCode: null, reason: 'DeadlineExceeded', error: 'exceeded its timeout of 2s and was stopped', result: null });
    assert.deepEqual(judgeAttempt(facts({ kind: 'exited', exitCode: 137, oomKilled: true })), { status: 'failed', exitCode: 137, reason: 'OOMKilled', error: 'memory limit 64Mi exceeded (OOMKilled)', result: null });
    assert.equal(judgeAttempt(facts({ kind: 'image', message: 'ImagePullBackOff' })).reason, 'ImagePullError');
    assert.equal(judgeAttempt(facts({ kind: 'evicted', message: 'low on memory' })).reason, 'Evicted');
    assert.equal(judgeAttempt(facts({ kind: 'node-lost', message: 'node gone' })).reason, 'NodeLost');
  });

  it('prefers the program’s own error message, then its last line', () => {
    const exited = { kind: 'exited' as const, exitCode: 3, oomKilled: false };
    assert.equal(judgeAttempt(facts(exited, { observer: { output: null, outputBytes: 0, error: 'input must be a list\n' } })).error, 'input must be a list');
    assert.equal(judgeAttempt(facts(exited, { lastLine: 'disk is full' })).error, 'exited with code 3: disk is full');
  });

  it('takes the result from the observer’s report, refusing one past the limit or not JSON', () => {
    const exited = { kind: 'exited' as const, exitCode: 0, oomKilled: false };
    assert.deepEqual(judgeAttempt(facts(exited, { observer: { output: '{"primes":[2,3]}', outputBytes: 16, error: null } })).result, { primes: [2, 3] });
    assert.equal(judgeAttempt(facts(exited, { observer: { output: null, outputBytes: 0, error: null } })).result, null);
    assert.equal(judgeAttempt(facts(exited, { observer: { output: null, outputBytes: 5000, error: null } })).reason, 'ResultTooLarge');
    assert.match(judgeAttempt(facts(exited, { observer: { output: '{nope', outputBytes: 5, error: null } })).error ?? '', /not valid JSON/);
    // A FIFO (or any non-regular file) at $PONTOON_OUTPUT fails an exit 0, as it does locally.
    assert.deepEqual(judgeAttempt(facts(exited, { observer: { output: null, outputBytes: 0, error: null, outputRefused: 'a FIFO' } })), {
      status: 'failed',
      exitCode: 0,
      reason: 'Error',
      error: 'the output $PONTOON_OUTPUT is a FIFO, not a regular file: write the result as a regular file',
      result: null,
    });
    assert.match(judgeAttempt(facts(exited)).error ?? '', /observer never reported/);
  });
});
