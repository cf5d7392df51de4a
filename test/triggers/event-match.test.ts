import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionVersion, TriggerSpec } from '../../src/domain/function-spec.js';
import type { Rule } from '../../src/store/store.js';
import { eventIdempotencyKey, eventMatches, eventTargets } from '../../src/triggers/event-match.js';

const event = { specversion: '1.0', id: 'e1', source: '/github/acme/repo', type: 'com.github.push', subject: 'main', team: 'cost', data: {} };

function fn(name: string, triggers: TriggerSpec[]): FunctionVersion {
  return { namespace: 'default', name, version: 1, createdAt: '', document: { metadata: { name, namespace: 'default' }, spec: { triggers } } } as unknown as FunctionVersion;
}

function rule(name: string, target: string, match: Rule['match']): Rule {
  return { namespace: 'default', name, function: target, match, createdAt: '', updatedAt: '' };
}

describe('matching CloudEvents', () => {
  it('matches attributes exactly or by prefix, and every named attribute must match', () => {
    assert.equal(eventMatches({ type: 'com.github.push' }, event), true);
    assert.equal(eventMatches({ type: 'com.github' }, event), false, 'a string is not a prefix');
    assert.equal(eventMatches({ type: { prefix: 'com.github.' } }, event), true);
    assert.equal(eventMatches({ type: { prefix: 'com.github.' }, source: { prefix: '/gitlab/' } }, event), false);
    assert.equal(eventMatches({ subject: 'main', source: '/github/acme/repo' }, event), true);
  });

  it('matches extension attributes, and an absent attribute matches nothing', () => {
    assert.equal(eventMatches({ extensions: { team: 'cost' } }, event), true);
    assert.equal(eventMatches({ extensions: { team: { prefix: 'co' } } }, event), true);
    assert.equal(eventMatches({ extensions: { team: 'ops' } }, event), false);
    assert.equal(eventMatches({ extensions: { region: { prefix: '' } } }, event), false);
    assert.equal(eventMatches({ subject: 'main' }, { ...event, subject: undefined }), false);
  });

  it('starts each matching function once, through its triggers or a rule, skipping rules of missing functions', () => {
    const functions = [
      fn('push', [{ cloudevent: { type: 'com.github.push' } }, { name: 'twice', cloudevent: { source: { prefix: '/github/' } } }]),
      fn('other', [{ cloudevent: { type: 'com.example.other' } }]),
      fn('by-rule', []),
    ];
    const rules = [rule('r1', 'by-rule', { source: { prefix: '/github/' } }), rule('r2', 'push', { type: 'com.github.push' }), rule('r3', 'gone', {})];
    assert.deepEqual(eventTargets(event, functions, rules), [
      { function: 'push', priority: undefined, via: 'trigger:push/0' },
      { function: 'by-rule', priority: undefined, via: 'rule:r1' },
    ]);
  });

  it('keys an event by its source and id, so a redelivery has the same key', () => {
    assert.equal(eventIdempotencyKey({ source: '/a', id: '1' }), eventIdempotencyKey({ source: '/a', id: '1' }));
    assert.notEqual(eventIdempotencyKey({ source: '/a', id: '1' }), eventIdempotencyKey({ source: '/b', id: '1' }));
    assert.notEqual(eventIdempotencyKey({ source: '/a/1', id: '' }), eventIdempotencyKey({ source: '/a', id: '1/' }));
  });
});
