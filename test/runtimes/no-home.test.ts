import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goCachesWithoutHome } from '../../src/runtimes/go.js';
import { repoRoot } from '../conformance/languages.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

// A server started by a service manager may have no HOME at all (systemd gives none without
// User=). Java is left out: Maven finds its repository from the password database, not from $HOME.
describe('runtimes on a server without HOME', () => {
  const savedHome = process.env.HOME;
  const savedCaches = { GOCACHE: process.env.GOCACHE, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, GOMODCACHE: process.env.GOMODCACHE, GOPATH: process.env.GOPATH };
  let pontoon: TestPontoon;

  before(async () => {
    delete process.env.HOME;
    for (const name of Object.keys(savedCaches)) delete process.env[name];
    pontoon = await startTestPontoon();
  });
  after(async () => {
    await pontoon?.close();
    process.env.HOME = savedHome;
    for (const [name, value] of Object.entries(savedCaches)) if (value !== undefined) process.env[name] = value;
  });

  for (const name of ['primes-go', 'primes-node', 'primes-python']) {
    it(`${name} deploys and runs`, { timeout: 300_000 }, async () => {
      const runtime = name.slice('primes-'.length);
      const handler = { go: '.', node: 'primes.primes', python: 'primes.primes' }[runtime];
      const answer = await pontoon.deploy(name, { runtime, source: join(repoRoot, 'examples', name), handler, retry: { limit: 0 } });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      const run = await pontoon.request('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=60s`, [1, 20]);
      assert.equal(run.body.status, 'succeeded', JSON.stringify(run.body));
      assert.deepEqual(run.body.result, [2, 3, 5, 7, 11, 13, 17, 19]);
    });
  }

  it('go: its build cache is kept in Pontoon’s build cache then', () => {
    assert.ok(existsSync(join(pontoon.dataDir, 'builds', 'go', 'build-cache')), 'no Go build cache in the data dir');
  });
});

describe('goCachesWithoutHome', () => {
  it('leaves Go’s own defaults alone when HOME is set, and what the server sets in any case', () => {
    assert.deepEqual(goCachesWithoutHome('/c', { HOME: '/home/u' }), {});
    assert.deepEqual(goCachesWithoutHome('/c', {}), { GOCACHE: '/c/go/build-cache', GOMODCACHE: '/c/go/mod-cache' });
    assert.deepEqual(goCachesWithoutHome('/c', { XDG_CACHE_HOME: '/x', GOPATH: '/g' }), {});
    assert.deepEqual(goCachesWithoutHome('/c', { GOCACHE: '/b' }), { GOMODCACHE: '/c/go/mod-cache' });
  });
});
