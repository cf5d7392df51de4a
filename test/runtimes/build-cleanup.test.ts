import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { validateFunctionDocument } from '../../src/domain/validate-spec.js';
import { BuildCollector } from '../../src/engine/build-collector.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import type { Runtimes } from '../../src/runtimes/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * The build cleanup on real files: a real SQLite store holds the functions and executions, the
 * real runtimes build into a temp build dir (command snapshots and a Python build, as for
 * functions run as other users), and a collector pass decides from them what stays.
 */
describe('build cleanup', () => {
  let root: string;
  let cacheDir: string;
  let store: Store;
  let runtimes: Runtimes;
  let sources = 0;

  /** A source directory others may read (builds for other users copy only what they can). */
  const source = (text: string): string => {
    const dir = join(root, `src-${++sources}`);
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'main.py'), text, { mode: 0o644 });
    return dir;
  };
  /** Deploys as the engine does: prepare the build, then store the version. */
  const deploy = async (name: string, spec: Record<string, unknown>) => {
    const document = validateFunctionDocument({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name, namespace: 'default' }, spec });
    await runtimes.prepare({ namespace: 'default', name, version: 0, document, createdAt: new Date().toISOString() });
    return store.putFunction(document);
  };
  const shell = (dir: string) => ({ runtime: 'command', command: ['/bin/sh', '-c', 'cat main.py'], source: dir });
  const builds = () => readdirSync(cacheDir).filter((name) => /-[0-9a-f]{16,}$/.test(name)).sort();
  const collector = (graceMs = 0) => new BuildCollector({ store, runtimes, cacheDir, logger: pino({ level: 'silent' }), graceMs });
  /** Makes every entry of the build dir look untouched for a day. */
  const age = () => {
    const dayAgo = new Date(Date.now() - 86_400_000);
    for (const name of readdirSync(cacheDir)) utimesSync(join(cacheDir, name), dayAgo, dayAgo);
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pontoon-build-cleanup-'));
    chmodSync(root, 0o755);
    cacheDir = join(root, 'builds');
    store = openSqliteStore({ file: join(root, 'pontoon.db') });
    runtimes = createRuntimes({ cacheDir, forOtherUsers: true });
  });
  after(async () => {
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('removes the build of a replaced version, and keeps the one the latest version runs', async () => {
    await deploy('replaced', shell(source('print(1)\n')));
    const [first] = builds();
    assert.ok(first?.startsWith('command-'), `a snapshot was made: ${builds()}`);
    await deploy('replaced', shell(source('print(2)\n')));
    assert.equal(builds().length, 2);
    age();
    const removed = await collector().collect();
    assert.deepEqual(removed, [first]);
    assert.equal(builds().length, 1);
    assert.ok(!existsSync(join(cacheDir, first)));
  });

  it('keeps the build of an older version while an execution of it waits, and removes it once none does', async () => {
    const existing = new Set(builds());
    await deploy('queued', shell(source('print(3)\n')));
    const [older] = builds().filter((name) => !existing.has(name));
    await store.enqueueExecutions([{ namespace: 'default', function: 'queued', input: null }], new Date().toISOString());
    await deploy('queued', shell(source('print(4)\n')));
    const [newer] = builds().filter((name) => !existing.has(name) && name !== older);
    assert.ok(older && newer, `two snapshots: ${builds()}`);
    age();
    assert.deepEqual(await collector().collect(), [], 'nothing goes while an execution of version 1 waits');
    assert.ok(existsSync(join(cacheDir, older)));
    // Deleting the function cancels its queued execution: then neither version is live.
    assert.equal(await store.deleteFunction('default', 'queued'), true);
    assert.deepEqual((await collector().collect())?.sort(), [older, newer].sort());
  });

  it('keeps an unnamed build made or used within the grace period', async () => {
    const existing = new Set(builds());
    await deploy('graced', shell(source('print(5)\n')));
    const [kept] = builds().filter((name) => !existing.has(name));
    assert.equal(await store.deleteFunction('default', 'graced'), true);
    assert.deepEqual(await collector(3_600_000).collect(), [], 'a build made a moment ago stays');
    assert.ok(existsSync(join(cacheDir, kept)));
    age();
    assert.deepEqual(await collector(3_600_000).collect(), [kept]);
  });

  it('keeps a Python build and the SDK pieces its plan names, and removes it when its function is deleted', async () => {
    const dir = source('def handle(data, ctx):\n    return data\n');
    await deploy('py', { runtime: 'python', source: dir, handler: 'main.handle' });
    const made = builds().filter((name) => name.startsWith('python-'));
    assert.equal(made.length, 1, `a Python build: ${builds()}`);
    age();
    assert.deepEqual(await collector().collect(), []);
    assert.ok(existsSync(join(cacheDir, made[0])), 'the live Python build stays');
    await store.deleteFunction('default', 'py');
    assert.deepEqual(await collector().collect(), made);
  });

  it('never follows a link out of the build dir, and leaves what is not a build alone', async () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'keep me');
    // A link named like a build, and a build holding a link out.
    symlinkSync(outside, join(cacheDir, 'node-0123456789abcdef0123'));
    mkdirSync(join(cacheDir, 'go-0123456789abcdef0123'));
    symlinkSync(outside, join(cacheDir, 'go-0123456789abcdef0123', 'out'));
    mkdirSync(join(cacheDir, 'go', 'build-cache'), { recursive: true });
    mkdirSync(join(cacheDir, 'packages', 'a'.repeat(64)), { recursive: true });
    age();
    assert.deepEqual(await collector().collect(), ['go-0123456789abcdef0123']);
    assert.equal(readdirSync(outside).join(), 'precious', 'the link target is untouched');
    assert.ok(existsSync(join(cacheDir, 'node-0123456789abcdef0123')), 'a link is not a build: it stays');
    assert.ok(existsSync(join(cacheDir, 'go', 'build-cache')) && existsSync(join(cacheDir, 'packages', 'a'.repeat(64))));
  });

  it('does not pass at startup, where planning would build what no run asked for', async () => {
    // A version stored without a build here (another server deployed it, or the build dir was cleared).
    const document = validateFunctionDocument({
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'unbuilt', namespace: 'default' },
      spec: shell(source('print(9)\n')),
    });
    await store.putFunction(document);
    const before = builds();
    const started = new BuildCollector({ store, runtimes: createRuntimes({ cacheDir, forOtherUsers: true }), cacheDir, logger: pino({ level: 'silent' }), graceMs: 0 });
    started.start();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await started.close();
    assert.deepEqual(builds(), before, 'no build was made, and none removed');
    await store.deleteFunction('default', 'unbuilt');
  });

  it('removes nothing when it cannot tell what a live version uses (its plan fails)', async () => {
    const dir = source('print(6)\n');
    await deploy('gone-source', shell(dir));
    await deploy('stale', shell(source('print(7)\n')));
    await deploy('stale', shell(source('print(8)\n')));
    rmSync(dir, { recursive: true });
    age();
    // A fresh server knows no plans yet: it must read the source that is gone.
    const restarted = createRuntimes({ cacheDir, forOtherUsers: true });
    const blind = new BuildCollector({ store, runtimes: restarted, cacheDir, logger: pino({ level: 'silent' }), graceMs: 0 });
    const count = builds().length;
    assert.equal(await blind.collect(), undefined);
    assert.equal(builds().length, count, 'nothing was removed');
  });
});
