import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { isDone, startTestPontoon, type TestPontoon } from '../helpers/pontoon.js';
import { writePythonFunction } from './package-fixtures.js';

describe('deploying a directory the server cannot see (uploaded source packages, embedded)', () => {
  let pontoon: TestPontoon;
  const env = () => ({ PONTOON_URL: pontoon.url });

  before(async () => {
    // No source roots: the server reads no function code from its own disk.
    pontoon = await startTestPontoon({ sourceRoots: [] });
  });
  after(async () => {
    await pontoon.close();
  });

  it('packs the source on the caller side, builds it, and runs it after the directory is gone', async () => {
    const { dir, specFile } = writePythonFunction('adder');
    const deployed = await runCli(['deploy', '-f', specFile], { env: env() });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /function\/adder deployed \(version 1, package [0-9a-f]{12}, 3 files, \d+ bytes\)/);

    const invoked = await runCli(['invoke', 'adder', '--data', '[1, 2, 3]', '--wait'], { env: env() });
    assert.equal(invoked.code, 0, invoked.stderr);
    assert.equal(JSON.parse(invoked.stdout), 7);
  });

  it('leaves .git, node_modules, __pycache__ and what .pontoonignore names out of the package', async () => {
    const { body } = await pontoon.request('GET', '/v1/namespaces/default/functions/adder');
    const unpacked = join(pontoon.dataDir, 'builds', 'packages', body.spec.package.sha256, 'src');
    assert.deepEqual(readdirSync(unpacked).sort(), ['.pontoonignore', 'adder.py', 'function.yaml'].filter((file) => existsSync(join(unpacked, file))).sort());
    for (const left of ['secrets.txt', 'node_modules', '__pycache__', '.git']) assert.equal(existsSync(join(unpacked, left)), false, `${left} was packed`);
  });

  it('shows the package hash and size in the API, get functions and describe function', async () => {
    const { body } = await pontoon.request('GET', '/v1/namespaces/default/functions/adder');
    assert.match(body.spec.package.sha256, /^[0-9a-f]{64}$/);
    assert.ok(body.spec.package.size > 0);
    assert.equal(body.spec.source, undefined);
    const listed = await runCli(['get', 'functions'], { env: env() });
    assert.match(listed.stdout, /PACKAGE/);
    assert.match(listed.stdout, new RegExp(`adder\\s+1\\s+python\\s+${body.spec.package.sha256.slice(0, 12)} \\d+B`));
    const described = await runCli(['describe', 'function', 'adder'], { env: env() });
    assert.match(described.stdout, new RegExp(`Package:\\s+sha256:${body.spec.package.sha256} \\(${body.spec.package.size}B\\)`));
  });

  it('makes no new build when a redeploy packs the same content, and one when it changed', async () => {
    const builds = () => readdirSync(join(pontoon.dataDir, 'builds')).filter((name) => name.startsWith('python-')).length;
    const before = builds();
    const same = writePythonFunction('adder');
    const again = await runCli(['deploy', '-f', same.specFile], { env: env() });
    rmSync(same.dir, { recursive: true, force: true });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /version 2/);
    assert.equal(builds(), before, 'the same content was built again');
    const first = (await pontoon.request('GET', '/v1/namespaces/default/functions/adder?version=1')).body;
    const changed = writePythonFunction('adder', 100);
    const third = await runCli(['deploy', '-f', changed.specFile], { env: env() });
    rmSync(changed.dir, { recursive: true, force: true });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(builds(), before + 1);
    const latest = (await pontoon.request('GET', '/v1/namespaces/default/functions/adder')).body;
    assert.notEqual(latest.spec.package.sha256, first.spec.package.sha256);
    const { body: execution } = await pontoon.request('POST', '/v1/namespaces/default/functions/adder/invoke', [1]);
    const ended = await pontoon.waitFor(execution.id, isDone, 60_000);
    assert.equal(ended.result, 101, JSON.stringify(ended));
  });

  it('refuses a source path on the server disk when no source root holds it, naming the field', async () => {
    for (const source of ['/', tmpdir(), '/etc']) {
      const { status, body } = await pontoon.deploy('by-path', { runtime: 'python', source, handler: 'adder.add' });
      assert.equal(status, 422, JSON.stringify(body));
      assert.equal(body.error.code, 'INVALID_SPEC');
      assert.equal(body.error.details.problems[0].field, 'spec.source');
      assert.match(body.error.message, /no --source-root/);
    }
    assert.equal((await pontoon.request('GET', '/v1/namespaces/default/functions/by-path')).status, 404);
  });

  it('pushes a package without deploying, for a Function that names it (as kubectl apply would send)', async () => {
    const { dir } = writePythonFunction('pushed', 1000);
    const pushed = await runCli(['package', 'push', dir], { env: env() });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(pushed.code, 0, pushed.stderr);
    const sha256 = /^package: \{ sha256: ([0-9a-f]{64}) \}   # 3 files, \d+ bytes$/m.exec(pushed.stdout)?.[1];
    assert.ok(sha256, pushed.stdout);
    const { status } = await pontoon.deploy('pushed', { runtime: 'python', package: { sha256 }, handler: 'adder.add' });
    assert.equal(status, 201);
    const { body: execution } = await pontoon.request('POST', '/v1/namespaces/default/functions/pushed/invoke', [1]);
    assert.equal((await pontoon.waitFor(execution.id, isDone, 60_000)).result, 1001);
  });

  it('refuses a spec.package that names no uploaded package', async () => {
    const { status, body } = await pontoon.deploy('ghost', { runtime: 'python', package: { sha256: 'a'.repeat(64) }, handler: 'adder.add' });
    assert.equal(status, 422);
    assert.equal(body.error.details.problems[0].field, 'spec.package.sha256');
  });
});

describe('source roots', () => {
  it('allow a source path under a root, and refuse one outside it or reached through a link out of it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pontoon-root-'));
    const pontoon = await startTestPontoon({ sourceRoots: [root] });
    try {
      const inside = writePythonFunction('inside');
      const moved = join(root, 'fn');
      const { renameSync, symlinkSync } = await import('node:fs');
      renameSync(inside.dir, moved);
      assert.equal((await pontoon.deploy('inside', { runtime: 'python', source: moved, handler: 'adder.add' })).status, 201);
      const outside = writePythonFunction('outside');
      const refused = await pontoon.deploy('outside', { runtime: 'python', source: outside.dir, handler: 'adder.add' });
      assert.equal(refused.status, 422);
      assert.match(refused.body.error.message, new RegExp(`under one of the server's source roots \\(${root}\\)`));
      symlinkSync(outside.dir, join(root, 'link-out'));
      const linked = await pontoon.deploy('linked', { runtime: 'python', source: join(root, 'link-out'), handler: 'adder.add' });
      assert.equal(linked.status, 422);
      rmSync(outside.dir, { recursive: true, force: true });
    } finally {
      await pontoon.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
