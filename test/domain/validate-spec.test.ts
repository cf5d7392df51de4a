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

  it('refuses a priority out of range', () => {
    assert.deepEqual(problemsOf({ ...minimal, spec: { ...minimal.spec, priority: 5000 } }).map((p) => p.field), ['spec.priority']);
  });
});
