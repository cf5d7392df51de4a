import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context, ContractError, ENV, Logger } from '../src/index.js';

const now = () => Date.parse('2030-01-01T12:00:00Z');

describe('Context: what an attempt knows about itself', () => {
  it('reads ids, attempt, function, namespace, version and deadline from the environment', () => {
    const ctx = Context.fromEnv(
      {
        [ENV.executionId]: 'ex-1',
        [ENV.attempt]: '3',
        [ENV.function]: 'primes',
        [ENV.namespace]: 'team-a',
        [ENV.version]: '7',
        [ENV.deadline]: '2030-01-01T12:00:30Z',
      },
      { now },
    );
    assert.equal(ctx.executionId, 'ex-1');
    assert.equal(ctx.attempt, 3);
    assert.equal(ctx.function, 'primes');
    assert.equal(ctx.namespace, 'team-a');
    assert.equal(ctx.version, '7');
    assert.deepEqual(ctx.deadline, new Date('2030-01-01T12:00:30Z'));
    assert.equal(ctx.remainingMs(), 30_000);
  });

  it('accepts a deadline with a numeric offset', () => {
    const ctx = Context.fromEnv({ [ENV.deadline]: '2030-01-01T13:00:10.500+01:00' }, { now });
    assert.equal(ctx.remainingMs(), 10_500);
  });

  it('has no time left once the deadline is past', () => {
    assert.equal(Context.fromEnv({ [ENV.deadline]: '2030-01-01T11:00:00Z' }, { now }).remainingMs(), 0);
  });

  it('is unbounded and attempt 1 when run outside Pontoon', () => {
    const ctx = Context.fromEnv({});
    assert.equal(ctx.deadline, undefined);
    assert.equal(ctx.remainingMs(), Infinity);
    assert.equal(ctx.attempt, 1);
    assert.equal(ctx.executionId, '');
  });

  it('rejects a deadline that is not ISO 8601, naming the variable', () => {
    assert.throws(() => Context.fromEnv({ [ENV.deadline]: 'tomorrow' }), (err: unknown) => {
      assert.ok(err instanceof ContractError);
      assert.match(err.message, /PONTOON_DEADLINE/);
      return true;
    });
  });

  it('logs plain lines with a level prefix: debug and info to stdout, warn and error to stderr', () => {
    const out: string[] = [];
    const err: string[] = [];
    const logger = new Logger((t) => out.push(t), (t) => err.push(t));
    logger.info('found %d primes', 4);
    logger.debug('two\nlines');
    logger.warn('slow');
    logger.error('50% done');
    assert.deepEqual(out, ['[INFO] found 4 primes\n', '[DEBUG] two\n[DEBUG] lines\n']);
    assert.deepEqual(err, ['[WARN] slow\n', '[ERROR] 50% done\n']);
  });
});
