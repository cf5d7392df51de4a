import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inheritedEnv } from '../../src/observer/inherited-env.js';

describe('the environment a program inherits from the server', () => {
  const server = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/pontoon',
    LANG: 'C.UTF-8',
    LC_TIME: 'en_GB.UTF-8',
    TZ: 'Europe/Paris',
    PONTOON_STORE: 'postgres://pontoon:secret@db/pontoon',
    AWS_SECRET_ACCESS_KEY: 'hush',
    SHARED_TOKEN: 'for functions',
    UNSET: undefined,
  };

  it('keeps what a process needs to run, and the locale and time zone', () => {
    assert.deepEqual(inheritedEnv(server), { PATH: '/usr/bin:/bin', HOME: '/home/pontoon', LANG: 'C.UTF-8', LC_TIME: 'en_GB.UTF-8', TZ: 'Europe/Paris' });
  });

  it('drops the server’s own settings and secrets unless a name is passed on', () => {
    const inherited = inheritedEnv(server, ['SHARED_TOKEN', 'UNSET', 'ABSENT']);
    assert.equal(inherited.SHARED_TOKEN, 'for functions');
    assert.equal('PONTOON_STORE' in inherited, false);
    assert.equal('AWS_SECRET_ACCESS_KEY' in inherited, false);
    assert.equal('UNSET' in inherited, false);
    assert.equal('ABSENT' in inherited, false);
  });
});
