import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context, invoke, Logger, type Handler } from '../src/index.js';
import { primesBetween } from './primes.js';

function newContext(errors: string[] = []): Context {
  return new Context({
    executionId: 'ex-1',
    attempt: 1,
    function: 'primes',
    namespace: 'default',
    version: '1',
    logger: new Logger(() => {}, (t) => errors.push(t)),
  });
}

describe('invoke: the handler core a warm replica calls many times', () => {
  it("returns the handler's result as JSON text", async () => {
    const outcome = await invoke(([from, to]: [number, number]) => primesBetween(from, to), '[1, 20]', newContext());
    assert.deepEqual(outcome, { ok: true, output: '[2,3,5,7,11,13,17,19]' });
  });

  it('awaits an async handler and passes it the context', async () => {
    const outcome = await invoke(async (_input: unknown, ctx) => `${ctx.function}#${ctx.attempt}`, 'null', newContext());
    assert.deepEqual(outcome, { ok: true, output: '"primes#1"' });
  });

  it('writes null for an undefined result', async () => {
    assert.deepEqual(await invoke(() => undefined, '{}', newContext()), { ok: true, output: 'null' });
  });

  it('turns a thrown error into a failure with its message and logs its stack', async () => {
    const errors: string[] = [];
    const outcome = await invoke(
      () => {
        throw new RangeError('range too large');
      },
      'null',
      newContext(errors),
    );
    assert.deepEqual(outcome, { ok: false, error: 'range too large' });
    assert.match(errors.join(''), /^\[ERROR\] RangeError: range too large\n\[ERROR\] {5}at /);
  });

  it('turns a rejected promise and a thrown non-Error into failures', async () => {
    assert.deepEqual(await invoke(() => Promise.reject(new Error('later')), 'null', newContext()), { ok: false, error: 'later' });
    assert.deepEqual(
      await invoke(
        () => {
          throw 'plain string';
        },
        'null',
        newContext(),
      ),
      { ok: false, error: 'plain string' },
    );
  });

  it('fails on input that is not JSON or that parse rejects, without calling the handler', async () => {
    let calls = 0;
    const handler = () => ++calls;
    const notJson = await invoke(handler, '[1,', newContext());
    assert.equal(notJson.ok, false);
    assert.match(!notJson.ok ? notJson.error : '', /^input is not valid JSON/);
    const rejected = await invoke(handler, '{"a":1}', newContext(), () => {
      throw new TypeError('input must be [from, to]');
    });
    assert.deepEqual(rejected, { ok: false, error: 'input must be [from, to]' });
    assert.equal(calls, 0);
  });

  it('fails on a result that cannot be written as JSON', async () => {
    const outcome = await invoke(() => ({ big: 1n }), 'null', newContext());
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error : '', /^result is not JSON-serializable/);
  });

  it('can be called many times in one process, each call independent', async () => {
    const handler: Handler<[number, number], number[]> = ([from, to]) => {
      if (from < 0) throw new Error('negative');
      return primesBetween(from, to);
    };
    for (let i = 0; i < 50; i++) {
      const outcome = await invoke(handler, i % 2 === 0 ? '[1, 10]' : '[-1, 10]', newContext());
      assert.deepEqual(outcome, i % 2 === 0 ? { ok: true, output: '[2,3,5,7]' } : { ok: false, error: 'negative' });
    }
  });
});
