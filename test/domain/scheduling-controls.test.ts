import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrencyKeyOf, pickByConcurrencyKey, type KeyedCandidate } from '../../src/domain/concurrency-key.js';
import { PontoonError, type FieldProblem } from '../../src/domain/errors.js';
import { mergeQueues } from '../../src/domain/priority.js';
import { rateAllowance, rateSlotFreesAt, rateWindowStart } from '../../src/domain/rate-limit.js';
import { notBeforeOf } from '../../src/domain/run-later.js';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';
import { describeWait, waitReason } from '../../src/domain/wait-reason.js';

const now = new Date('2030-01-01T00:00:00.000Z');

function problemsOf(spec: Record<string, unknown>): FieldProblem[] {
  try {
    validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'f' }, spec: { runtime: 'command', command: ['true'], ...spec } });
  } catch (thrown) {
    assert.ok(thrown instanceof PontoonError);
    return (thrown.details as { problems: FieldProblem[] }).problems;
  }
  assert.fail('the spec was accepted');
}

function fieldOfError(work: () => unknown): string {
  try {
    work();
  } catch (thrown) {
    assert.ok(thrown instanceof PontoonError);
    return (thrown.details as { field: string }).field;
  }
  assert.fail('no error');
}

describe('run later', () => {
  it('turns a delay or a time into the time before which an execution must not start', () => {
    assert.equal(notBeforeOf({ delay: '10m' }, now, 'querystring'), '2030-01-01T00:10:00.000Z');
    assert.equal(notBeforeOf({ runAt: '2030-01-01T01:00:00+01:00' }, now, 'querystring'), undefined, 'a time already past starts at once');
    assert.equal(notBeforeOf({ runAt: '2030-01-02T00:00:00Z' }, now, 'body'), '2030-01-02T00:00:00.000Z');
    assert.equal(notBeforeOf({}, now, 'body'), undefined);
    assert.equal(notBeforeOf({ delay: '0s' }, now, 'body'), undefined);
  });

  it('refuses a malformed, negative or too distant time, and both at once, naming the field', () => {
    assert.equal(fieldOfError(() => notBeforeOf({ delay: 'soon' }, now, 'querystring')), 'querystring.delay');
    assert.equal(fieldOfError(() => notBeforeOf({ delay: '-5s' }, now, 'querystring')), 'querystring.delay');
    assert.equal(fieldOfError(() => notBeforeOf({ delay: '31d' }, now, 'body')), 'body.delay');
    assert.equal(fieldOfError(() => notBeforeOf({ runAt: 'tomorrow' }, now, 'body')), 'body.runAt');
    assert.equal(fieldOfError(() => notBeforeOf({ runAt: '2030-01-01T10:00:00' }, now, 'body')), 'body.runAt', 'a time without a zone is ambiguous');
    assert.equal(fieldOfError(() => notBeforeOf({ runAt: '2030-03-01T00:00:00Z' }, now, 'body')), 'body.runAt');
    assert.equal(fieldOfError(() => notBeforeOf({ delay: '1s', runAt: '2030-01-01T00:00:01Z' }, now, 'body')), 'body.delay');
  });
});

describe('rate limits', () => {
  it('count a sliding window ending now and say when its oldest start leaves it', () => {
    assert.equal(rateWindowStart('2030-01-01T00:00:10.000Z', 1000), '2030-01-01T00:00:09.000Z');
    assert.equal(rateAllowance(20, 15), 5);
    assert.equal(rateAllowance(20, 25), 0);
    assert.equal(rateSlotFreesAt('2030-01-01T00:00:09.500Z', 1000), '2030-01-01T00:00:10.500Z');
  });
});

describe('concurrency keys', () => {
  it('read the key from the input by JSON Pointer: strings as they are, other values as canonical JSON, absent as null', () => {
    assert.equal(concurrencyKeyOf('/tenant', { tenant: 'acme' }), 'acme');
    assert.equal(concurrencyKeyOf('/tenant/id', { tenant: { id: 7 } }), '7');
    assert.equal(concurrencyKeyOf('/t', { t: { b: 1, a: 2 } }), '{"a":2,"b":1}');
    assert.equal(concurrencyKeyOf('/a~1b/~0c', { 'a/b': { '~c': 'x' } }), 'x');
    assert.equal(concurrencyKeyOf('/list/1', { list: ['a', 'b'] }), 'b');
    assert.equal(concurrencyKeyOf('/list/2', { list: ['a', 'b'] }), null);
    assert.equal(concurrencyKeyOf('/tenant', { other: 1 }), null);
    assert.equal(concurrencyKeyOf('/tenant', 'not an object'), null);
    assert.equal(concurrencyKeyOf('/toString', {}), null, 'inherited members are not the input’s');
    assert.equal(fieldOfError(() => concurrencyKeyOf('/tenant', { tenant: 'x'.repeat(257) })), 'input/tenant');
  });

  it('start at most the limit per key, keys taking turns within a priority, and skip a key at its limit', () => {
    const candidates: KeyedCandidate[] = [
      { sequence: 1, priority: 0, key: 'big' },
      { sequence: 2, priority: 0, key: 'big' },
      { sequence: 3, priority: 0, key: 'big' },
      { sequence: 4, priority: 0, key: 'small' },
      { sequence: 5, priority: 0, key: 'small' },
      { sequence: 6, priority: 0, key: 'busy' },
      { sequence: 7, priority: 5, key: 'urgent' },
    ];
    const picked = pickByConcurrencyKey(candidates, new Map([['busy', 2]]), 2, 10).map((c) => c.sequence);
    assert.deepEqual(picked, [7, 1, 4, 2, 5]);
    assert.deepEqual(pickByConcurrencyKey(candidates, new Map([['big', 1]]), 2, 3).map((c) => c.sequence), [7, 4, 6]);
  });
});

describe('merging queues', () => {
  it('keeps each queue’s own order and takes the best head next', () => {
    const a = [{ priority: 0, sequence: 5 }, { priority: 0, sequence: 1 }];
    const b = [{ priority: 0, sequence: 2 }, { priority: 0, sequence: 3 }];
    assert.deepEqual(mergeQueues([a, b], 3).map((p) => p.sequence), [2, 3, 5]);
  });
});

describe('why an execution waits', () => {
  const at = now.toISOString();
  const idle = { running: 0, keyRunning: 0, startedInWindow: 0, oldestStartInWindow: null };
  it('names the first control that holds it: not before, rate limit, key, parallelism', () => {
    const controls = { parallelism: 4, rateLimit: { limit: 2, period: '1s' }, concurrency: { key: '/t', limit: 1 } };
    assert.deepEqual(waitReason({ notBefore: '2030-01-01T00:00:05.000Z', concurrencyKey: 'a' }, controls, idle, at), { reason: 'notBefore', until: '2030-01-01T00:00:05.000Z' });
    const limited = waitReason({ notBefore: null, concurrencyKey: 'a' }, controls, { ...idle, startedInWindow: 2, oldestStartInWindow: '2029-12-31T23:59:59.400Z' }, at);
    assert.deepEqual(limited, { reason: 'rateLimited', until: '2030-01-01T00:00:00.400Z', limit: 2, period: '1s' });
    assert.deepEqual(waitReason({ notBefore: null, concurrencyKey: 'a' }, controls, { ...idle, running: 1, keyRunning: 1 }, at), {
      reason: 'concurrencyKey',
      key: 'a',
      running: 1,
      limit: 1,
    });
    assert.deepEqual(waitReason({ notBefore: null, concurrencyKey: 'a' }, controls, { ...idle, running: 4 }, at), { reason: 'parallelism', running: 4, limit: 4 });
    assert.deepEqual(waitReason({ notBefore: null, concurrencyKey: null }, { parallelism: 4 }, idle, at), { reason: 'ready' });
    assert.match(describeWait(limited), /rate limited \(2 per 1s\) until 2030-01-01T00:00:00.400Z/);
  });
});

describe('spec validation of the scheduling controls', () => {
  it('accepts them within their bounds', () => {
    const spec = validateFunctionDocument({
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'f' },
      spec: {
        runtime: 'command',
        command: ['true'],
        rateLimit: { limit: 20, period: '1s' },
        concurrency: { key: '/tenant', limit: 2 },
        schedules: [{ cron: '* * * * *', delay: '30s' }],
      },
    }).spec;
    assert.deepEqual(spec.rateLimit, { limit: 20, period: '1s' });
    assert.deepEqual(spec.concurrency, { key: '/tenant', limit: 2 });
    assert.equal(spec.schedules?.[0].delay, '30s');
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['a rate limit of 0', { rateLimit: { limit: 0, period: '1s' } }, 'spec.rateLimit.limit'],
    ['a rate limit over 100,000', { rateLimit: { limit: 100_001, period: '1s' } }, 'spec.rateLimit.limit'],
    ['a fractional rate limit', { rateLimit: { limit: 1.5, period: '1s' } }, 'spec.rateLimit.limit'],
    ['a rate limit without a period', { rateLimit: { limit: 5 } }, 'spec.rateLimit.period'],
    ['a period that is not a duration', { rateLimit: { limit: 5, period: 'hourly' } }, 'spec.rateLimit.period'],
    ['a period under 100ms', { rateLimit: { limit: 5, period: '10ms' } }, 'spec.rateLimit.period'],
    ['a period over a day', { rateLimit: { limit: 5, period: '2d' } }, 'spec.rateLimit.period'],
    ['an unknown rate limit field', { rateLimit: { limit: 5, period: '1s', burst: 3 } }, 'spec.rateLimit.burst'],
    ['a key that is not a JSON Pointer', { concurrency: { key: 'tenant', limit: 2 } }, 'spec.concurrency.key'],
    ['a key that is code', { concurrency: { key: 'input.tenant()', limit: 2 } }, 'spec.concurrency.key'],
    ['a key with a bad escape', { concurrency: { key: '/a~2', limit: 2 } }, 'spec.concurrency.key'],
    ['a key naming the whole input', { concurrency: { key: '', limit: 2 } }, 'spec.concurrency.key'],
    ['a key over 256 characters', { concurrency: { key: `/${'k'.repeat(256)}`, limit: 2 } }, 'spec.concurrency.key'],
    ['a concurrency limit of 0', { concurrency: { key: '/t', limit: 0 } }, 'spec.concurrency.limit'],
    ['a concurrency limit over 10,000', { concurrency: { key: '/t', limit: 10_001 } }, 'spec.concurrency.limit'],
    ['a concurrency block without a key', { concurrency: { limit: 2 } }, 'spec.concurrency.key'],
    ['a schedule delay over 30 days', { schedules: [{ cron: '* * * * *', delay: '31d' }] }, 'spec.schedules[0].delay'],
    ['a schedule delay that is not a duration', { schedules: [{ cron: '* * * * *', delay: 'later' }] }, 'spec.schedules[0].delay'],
  ];
  for (const [what, spec, field] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const problems = problemsOf(spec);
      assert.ok(
        problems.some((problem) => problem.field === field),
        `${field} in ${JSON.stringify(problems)}`,
      );
    });
  }

  it('says what a concurrency key must look like', () => {
    const [problem] = problemsOf({ concurrency: { key: 'tenant', limit: 2 } });
    assert.match(problem.message, /JSON Pointer/);
  });
});
