import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PontoonError, type FieldProblem } from '../../src/domain/errors.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';

const minimal = {
  apiVersion: 'pontoon.dev/v1',
  kind: 'Function',
  metadata: { name: 'primes' },
  spec: { runtime: 'command', command: ['true'] },
};

function problemsOf(document: unknown): FieldProblem[] {
  try {
    validateFunctionDocument(document);
  } catch (thrown) {
    assert.ok(thrown instanceof PontoonError);
    assert.equal(thrown.code, 'INVALID_SPEC');
    return (thrown.details as { problems: FieldProblem[] }).problems;
  }
  assert.fail('the document was accepted');
}

describe('function spec validation', () => {
  it('applies the documented defaults to a minimal spec', () => {
    const document = validateFunctionDocument(minimal);
    assert.equal(document.metadata.namespace, 'default');
    assert.equal(document.spec.timeout, '5m');
    assert.equal(document.spec.parallelism, 10);
    assert.equal(document.spec.priority, 0);
    assert.deepEqual(document.spec.retry, {
      limit: 3,
      backoff: { initial: '1s', factor: 2, max: '5m', jitter: true },
      on: ['lost'],
      nonRetryableExitCodes: [],
    });
  });

  it('does not change the document it was given', () => {
    const input = structuredClone(minimal);
    validateFunctionDocument(input);
    assert.deepEqual(input, minimal);
  });

  it('names every wrong field at once', () => {
    const problems = problemsOf({
      ...minimal,
      metadata: { name: 'Not_A_Name' },
      spec: { runtime: 'cobol', timeout: 'soon', parallelism: 0, retry: { limit: -1, on: ['sometimes'] }, colour: 'blue' },
    });
    const fields = problems.map((problem) => problem.field);
    for (const field of ['metadata.name', 'spec.runtime', 'spec.timeout', 'spec.parallelism', 'spec.retry.limit', 'spec.retry.on[0]', 'spec.colour']) {
      assert.ok(fields.includes(field), `${field} is named in ${JSON.stringify(fields)}`);
    }
  });

  it('accepts spec.podSecurity, refusing root under the restricted profile and unknown profiles or fields', () => {
    const accepted = validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, podSecurity: { runAsUser: 1000, readOnlyRootFilesystem: false } } });
    assert.deepEqual(accepted.spec.podSecurity, { profile: 'restricted', runAsUser: 1000, readOnlyRootFilesystem: false });
    assert.equal(validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, podSecurity: { profile: 'baseline', runAsUser: 0 } } }).spec.podSecurity?.runAsUser, 0);
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, podSecurity: { runAsUser: 0 } } }), [
      { field: 'spec.podSecurity.runAsUser', message: 'must not be 0 (root) under profile restricted; set spec.podSecurity.profile: baseline to run as root' },
    ]);
    const fields = problemsOf({ ...minimal, spec: { ...minimal.spec, podSecurity: { profile: 'privileged', privileged: true, runAsUser: -1 } } }).map((problem) => problem.field);
    for (const field of ['spec.podSecurity.profile', 'spec.podSecurity.privileged', 'spec.podSecurity.runAsUser']) assert.ok(fields.includes(field), `${field} in ${fields}`);
  });

  it('refuses a bad cron expression and an unknown time zone, naming the schedule', () => {
    const problems = problemsOf({ ...minimal, spec: { ...minimal.spec, schedules: [{ cron: '*/5 * * *' }, { cron: '0 61 * * *', timezone: 'Mars/Olympus' }] } });
    assert.deepEqual(
      problems.map((problem) => problem.field).sort(),
      ['spec.schedules[0].cron', 'spec.schedules[1].cron', 'spec.schedules[1].timezone'],
    );
  });

  it('accepts five- and six-field cron schedules', () => {
    const document = validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, schedules: [{ cron: '*/5 * * * *' }, { cron: '*/10 * * * * *', timezone: 'Europe/Paris' }] } });
    assert.equal(document.spec.schedules?.[0].concurrencyPolicy, 'Allow');
  });

  it('requires a command for runtime command and a source for the languages', () => {
    assert.deepEqual(problemsOf({ ...minimal, spec: { runtime: 'command' } }).map((p) => p.field), ['spec.command']);
    assert.deepEqual(problemsOf({ ...minimal, spec: { runtime: 'python', handler: 'main.run' } }).map((p) => p.field), ['spec.source']);
  });

  it('refuses warm.min above warm.max and bad quantities', () => {
    const problems = problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { min: 3, max: 1 }, resources: { memory: 'lots', cpu: '2 cores' } } });
    assert.deepEqual(problems.map((p) => p.field).sort(), ['spec.resources.cpu', 'spec.resources.memory']);
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { min: 3, max: 1 } } }).map((p) => p.field), ['spec.warm.min']);
  });

  it('defaults warm.concurrency to 1 and refuses one out of 1..1000', () => {
    const document = validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, warm: { max: 2 } } });
    assert.deepEqual(document.spec.warm, { min: 0, max: 2, idleTimeout: '5m', concurrency: 1 });
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { max: 2, concurrency: 0 } } }).map((p) => p.field), ['spec.warm.concurrency']);
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { max: 2, concurrency: 1001 } } }).map((p) => p.field), ['spec.warm.concurrency']);
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { max: 2, concurrency: 1.5 } } }).map((p) => p.field), ['spec.warm.concurrency']);
  });

  it('takes a warm.prefetch of 0..1000 and leaves it absent when not given', () => {
    const document = validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, warm: { max: 2, concurrency: 4, prefetch: 12 } } });
    assert.equal(document.spec.warm?.prefetch, 12);
    for (const prefetch of [-1, 1001, 0.5, '4']) {
      assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, warm: { max: 2, prefetch } } }).map((p) => p.field), ['spec.warm.prefetch'], `prefetch ${prefetch}`);
    }
  });

  it('refuses a priority out of range', () => {
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, priority: 5000 } }).map((p) => p.field), ['spec.priority']);
  });

  it('bounds every duration: a timeout of 0s or of 10^20 hours is refused naming the field and its bounds', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ timeout: '0s' }, 'spec.timeout', /from 100ms to 7d, not 0s/],
      [{ timeout: '99999999999999999999h' }, 'spec.timeout', /from 100ms to 7d/],
      [{ timeout: '8d' }, 'spec.timeout', /from 100ms to 7d/],
      [{ timeout: 'soon' }, 'spec.timeout', /must be a duration such as 500ms/],
      [{ retry: { backoff: { initial: '99999999999999999999h' } } }, 'spec.retry.backoff.initial', /from 0ms to 1d/],
      [{ retry: { backoff: { max: '2d' } } }, 'spec.retry.backoff.max', /from 0ms to 1d/],
      [{ retry: { backoff: { initial: '10m' } } }, 'spec.retry.backoff.max', /must not be below spec.retry.backoff.initial \(10m\)/],
      [{ warm: { min: 0, max: 1, idleTimeout: '0s' } }, 'spec.warm.idleTimeout', /from 1s to 1d/],
    ];
    for (const [spec, field, message] of cases) {
      const problems = problemsOf({ ...minimal, spec: { ...minimal.spec, ...spec } });
      assert.deepEqual(problems.map((p) => p.field), [field], JSON.stringify(spec));
      assert.match(problems[0].message, message);
    }
  });

  it('accepts durations at their bounds', () => {
    const document = validateFunctionDocument({
      ...minimal,
      spec: { ...minimal.spec, timeout: '7d', retry: { backoff: { initial: '0ms', max: '1d' } }, warm: { min: 0, max: 1, idleTimeout: '1s' } },
    });
    assert.equal(document.spec.timeout, '7d');
    assert.equal(validateFunctionDocument({ ...minimal, spec: { ...minimal.spec, timeout: '100ms' } }).spec.timeout, '100ms');
  });

  it('refuses environment names with = or NUL and values or arguments with NUL, naming the key', () => {
    const problems = problemsOf({ ...minimal, spec: { ...minimal.spec, command: ['echo', 'a\u0000b'], env: { 'A=B': '1', 'NUL\u0000': '2', '': '3', GOOD: 'x\u0000y', FINE: 'a=b' } } });
    assert.deepEqual(problems.map((p) => p.field).sort(), ['spec.command[1]', 'spec.env.GOOD', 'spec.env[""]', 'spec.env["A=B"]', 'spec.env["NUL\\u0000"]']);
    assert.match(problems.find((p) => p.field === 'spec.env["A=B"]')!.message, /must not be empty or contain "=" or a NUL/);
    assert.match(problems.find((p) => p.field === 'spec.env.GOOD')!.message, /must not contain a NUL character/);
  });
});
