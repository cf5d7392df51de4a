import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadingFlag } from '../../src/domain/leading-flag.js';

describe('the leading flag', () => {
  it('tells its listeners of changes only, until they unsubscribe', () => {
    const flag = new LeadingFlag();
    const heard: boolean[] = [];
    const unsubscribe = flag.onChange((leading) => heard.push(leading));
    flag.set(false);
    flag.set(true);
    flag.set(true);
    assert.equal(flag.isLeader(), true);
    unsubscribe();
    flag.set(false);
    assert.deepEqual(heard, [true]);
    assert.equal(flag.isLeader(), false);
  });

  it('hands a throwing listener to its error handler, and the others still hear', () => {
    const errors: string[] = [];
    const flag = new LeadingFlag((error) => errors.push(error.message));
    const heard: boolean[] = [];
    flag.onChange(() => {
      throw new Error('listener broke');
    });
    flag.onChange((leading) => heard.push(leading));
    flag.set(true);
    assert.deepEqual(errors, ['listener broke']);
    assert.deepEqual(heard, [true]);
  });

  it('without an error handler, lets a throwing listener’s error reach the caller', () => {
    const flag = new LeadingFlag();
    flag.onChange(() => {
      throw new Error('listener broke');
    });
    assert.throws(() => flag.set(true), /listener broke/);
    assert.equal(flag.isLeader(), true, 'the flag itself changed');
  });
});
