import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedSomewhere, decide, roleIn } from '../../src/domain/access.js';

describe('roles per namespace', () => {
  it('each role includes the ones before it: viewer reads, invoker invokes, deployer deploys, admin all', () => {
    const table = {
      viewer: ['read'],
      invoker: ['read', 'invoke'],
      deployer: ['read', 'invoke', 'deploy'],
      admin: ['read', 'invoke', 'deploy', 'admin'],
    } as const;
    for (const [role, allowed] of Object.entries(table)) {
      for (const action of ['read', 'invoke', 'deploy', 'admin'] as const) {
        assert.equal(decide({ team: role as keyof typeof table }, 'team', action), (allowed as readonly string[]).includes(action) ? 'allowed' : 'forbidden', `${role} ${action}`);
      }
    }
  });

  it('a namespace without a role is hidden, whatever is held elsewhere; * covers every namespace', () => {
    assert.equal(decide({ other: 'admin' }, 'team', 'read'), 'hidden');
    assert.equal(decide({ '*': 'viewer' }, 'team', 'read'), 'allowed');
    assert.equal(decide({}, 'team', 'read'), 'hidden');
  });

  it('the stronger of the namespace grant and the * grant applies', () => {
    assert.equal(roleIn({ '*': 'viewer', team: 'deployer' }, 'team'), 'deployer');
    assert.equal(roleIn({ '*': 'admin', team: 'viewer' }, 'team'), 'admin');
    assert.equal(roleIn({ '*': 'viewer', team: 'deployer' }, 'other'), 'viewer');
  });

  it('a grant named like an object property is no grant', () => {
    assert.equal(roleIn({ team: 'admin' }, '__proto__'), undefined);
    assert.equal(roleIn({ team: 'admin' }, 'constructor'), undefined);
  });

  it('routes across namespaces need the action in at least one', () => {
    assert.equal(allowedSomewhere({ team: 'viewer' }, 'read'), true);
    assert.equal(allowedSomewhere({ team: 'viewer' }, 'invoke'), false);
  });
});
