import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultUidRange, parseRunAs, parseUidRange } from '../../src/domain/run-as.js';

describe('--run-as', () => {
  it('reads dynamic, server, names and numbers, with or without a group', () => {
    assert.deepEqual(parseRunAs('dynamic'), { kind: 'dynamic' });
    assert.deepEqual(parseRunAs('server'), { kind: 'server' });
    assert.deepEqual(parseRunAs('nobody'), { kind: 'user', user: 'nobody' });
    assert.deepEqual(parseRunAs('pontoon:functions'), { kind: 'user', user: 'pontoon', group: 'functions' });
    assert.deepEqual(parseRunAs('1500:1500'), { kind: 'user', user: '1500', group: '1500' });
  });

  it('refuses root and malformed users, naming the option', () => {
    assert.throws(() => parseRunAs('root'), /runAs must not be root/);
    assert.throws(() => parseRunAs('0:0'), /runAs must not be root/);
    assert.throws(() => parseRunAs('a:b:c'), /runAs must be dynamic, server, user\[:group\] or uid\[:gid\], not "a:b:c"/);
    assert.throws(() => parseRunAs('bad name'), /runAs must be/);
    assert.throws(() => parseRunAs('4294967295'), /runAs must be/);
  });

  it('reads a uid range and refuses one that is empty, too low or past 2^31 - 1', () => {
    assert.deepEqual(parseUidRange('200000-200999'), { first: 200000, last: 200999 });
    assert.ok(defaultUidRange.first > 1_879_048_191 && defaultUidRange.last < 2 ** 31);
    for (const bad of ['5-4000', '3000-2000', '1-2', '100000-3000000000', 'many']) assert.throws(() => parseUidRange(bad), /runAsRange must be first-last/, bad);
  });
});
