import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedBuildDir } from '../../src/app/function-users-setup.js';
import { conformanceFunctions, languages } from '../conformance/languages.js';
import { startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { greeterSource, writeMavenProject } from '../runtimes/maven-project.js';

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

  it('runs a Maven function, whose dependency jars the server user\u2019s ~/.m2 holds', async () => {
    const source = mkdtempSync(join(tmpdir(), 'pontoon-maven-as-users-'));
    try {
      writeMavenProject(source, 'greeter-as-users', { Greeter: greeterSource });
      const deployed = await pontoon.deploy('maven', { runtime: 'java', source, handler: 'com.example.Greeter', timeout: '1m', retry: { limit: 0 } });
      assert.equal(deployed.status < 300, true, JSON.stringify(deployed.body));
      const answer = await pontoon.request('POST', invoke('maven'), { name: 'ada' });
      assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
      assert.equal(answer.body.result, 'hello ada');
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });

  it('runs a command function whose source dir its users cannot enter, from a snapshot taken at deploy', async () => {
    // A checkout under a 0700 home or temp dir, as a fresh clone in CI is.
    const closed = mkdtempSync(join(tmpdir(), 'pontoon-closed-source-'));
    try {
      writeFileSync(join(closed, 'answer.sh'), 'cat "$PONTOON_INPUT" > "$PONTOON_OUTPUT"\n');
      assert.equal(statSync(closed).mode & 0o777, 0o700);
      const deployed = await pontoon.deploy('closed-source', { runtime: 'command', source: closed, command: ['/bin/sh', 'answer.sh'], retry: { limit: 0 } });
      assert.equal(deployed.status < 300, true, JSON.stringify(deployed.body));
      const answer = await pontoon.request('POST', invoke('closed-source'), { ok: 1 });
      assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
      assert.deepEqual(answer.body.result, { ok: 1 });
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  it('leaves out of a build what function users may not read of its source', async () => {
    // The build is made readable by every function user; a file closed to others beside the code
    // (a 0600 key, a 0700 dir) must not come out of it readable.
    const source = mkdtempSync(join(tmpdir(), 'pontoon-open-entries-'));
    try {
      chmodSync(source, 0o755);
      writeFileSync(
        join(source, 'peek.mjs'),
        `import { readFileSync } from 'node:fs';
export function handler({ path }) {
  try { return { read: readFileSync(path, 'utf8') }; } catch (thrown) { return { code: thrown.code }; }
}
`,
        { mode: 0o644 },
      );
      writeFileSync(join(source, 'key.pem'), 'TOPSECRET', { mode: 0o600 });
      mkdirSync(join(source, 'private'), { mode: 0o700 });
      writeFileSync(join(source, 'private', 'notes.txt'), 'TOPSECRET', { mode: 0o644 });
      writeFileSync(join(source, 'public.txt'), 'open', { mode: 0o644 });
      const deployed = await pontoon.deploy('open-entries', { runtime: 'node', source, handler: 'peek.handler', retry: { limit: 0 } });
      assert.equal(deployed.status < 300, true, JSON.stringify(deployed.body));
      const read = async (path: string) => {
        const answer = await pontoon.request('POST', invoke('open-entries'), { path });
        assert.equal(answer.body.status, 'succeeded', JSON.stringify(answer.body));
        return answer.body.result;
      };
      assert.deepEqual(await read('public.txt'), { read: 'open' });
      assert.deepEqual(await read('key.pem'), { code: 'ENOENT' });
      assert.deepEqual(await read('private/notes.txt'), { code: 'ENOENT' });
    } finally {
      rmSync(source, { recursive: true, force: true });
    }
  });

  it('keeps the builds where function users can read them but not write', () => {
    const stats = statSync(sharedBuildDir);
    assert.equal(stats.uid, 0);
    assert.equal(stats.mode & 0o022, 0);
    assert.equal(stats.mode & 0o005, 0o005);
  });
});
