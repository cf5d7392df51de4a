import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sharedBuildDir } from '../../src/app/function-users-setup.js';
import { conformanceFunctions, languages } from '../conformance/languages.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';

// The four runtimes' builds (interpreters, class paths, CDS archives, binaries) must be readable
// and executable by the dynamic users functions run as when the server is root, on demand and
// as warm replicas, and not writable by them.
const isRoot = process.geteuid?.() === 0;
const invoke = (name: string) => `/v1/namespaces/default/functions/${name}/invoke?wait=60s`;

describe('every runtime runs as dynamic users', { skip: isRoot ? false : 'needs root to switch users' }, () => {
  let pontoon: TestPontoon;
  before(async () => {
    pontoon = await startTestPontoon({ runAs: undefined });
  });
  after(async () => pontoon?.close());

  for (const language of languages) {
    it(`runs the ${language} conformance function on demand and warm`, async () => {
      const spec = { ...conformanceFunctions[language], timeout: '1m', retry: { limit: 0 } };
      const cold = await pontoon.deploy(`${language}-cold`, spec);
      assert.equal(cold.status < 300, true, JSON.stringify(cold.body));
      const warm = await pontoon.deploy(`${language}-warm`, { ...spec, warm: { min: 1, max: 1 } });
      assert.equal(warm.status < 300, true, JSON.stringify(warm.body));
      for (const name of [`${language}-cold`, `${language}-warm`]) {
        const answer = await pontoon.request('POST', invoke(name), { action: 'echo', value: { from: name } });
        assert.equal(answer.body.status, 'succeeded', `${name}: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(answer.body.result, { from: name });
      }
    });
  }

  it('keeps the builds where function users can read them but not write', () => {
    const stats = statSync(sharedBuildDir);
    assert.equal(stats.uid, 0);
    assert.equal(stats.mode & 0o022, 0);
    assert.equal(stats.mode & 0o005, 0o005);
  });
});
