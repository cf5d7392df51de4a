import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { ensureWorkRoot, workRootFor } from '../../src/executors/local/work-root.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { RecordingSink } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pontoon-work-root-'));
const made: string[] = [];
after(() => {
  for (const path of [...made, dir]) rmSync(path, { recursive: true, force: true });
});

function dataDir(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

describe('the work root', () => {
  it('is made with an unpredictable name and mode 0700, recorded in the data dir and reused by the next start', () => {
    const data = dataDir('fresh');
    const root = workRootFor(data);
    made.push(root);
    assert.match(root, /\/pontoon-[A-Za-z0-9]{6}$/);
    assert.equal(lstatSync(root).mode & 0o777, 0o700);
    assert.equal(readFileSync(join(data, 'work-root'), 'utf8').trim(), root);
    assert.equal(workRootFor(data), root);
  });

  it('is not reused when someone else could write there: a new one is made', () => {
    const data = dataDir('tampered');
    const first = workRootFor(data);
    made.push(first);
    chmodSync(first, 0o777);
    const second = workRootFor(data);
    made.push(second);
    assert.notEqual(second, first);
    assert.equal(lstatSync(second).mode & 0o777, 0o700);
  });

  it('is not reused when it has become a symlink', () => {
    const data = dataDir('symlinked');
    const first = workRootFor(data);
    const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
    rmSync(first, { recursive: true });
    symlinkSync(elsewhere, first);
    made.push(first);
    const second = workRootFor(data);
    made.push(second);
    assert.notEqual(second, first);
  });

  it('is refused when world-writable, a symlink, or owned by another user, naming what is wrong', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => ensureWorkRoot(open), { message: `work root ${open} is not safe to use: its mode is 0777; group and others must not read or write it (0700 or 0711); remove it or choose another` });
    const link = join(dir, 'link');
    symlinkSync(mkdtempSync(join(dir, 'target-')), link);
    assert.throws(() => ensureWorkRoot(link), /is not safe to use: it is a symbolic link/);
    if (process.geteuid?.() === 0) {
      const foreign = join(dir, 'foreign');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
      assert.throws(() => ensureWorkRoot(foreign), /is not safe to use: it is owned by uid 65534, not by this user \(uid 0\)/);
    }
  });

  it('is checked by the local executor before it sweeps or runs anything', () => {
    const open = join(dir, 'executor-open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    // A leftover the sweep would remove: it must still be there after the refusal.
    writeFileSync(join(open, 'planted'), '');
    assert.throws(
      () => new LocalExecutor({ sink: new RecordingSink(), runtimes: createRuntimes({ cacheDir: join(dir, 'cache') }), workRoot: open, graceMs: 100, logLimitBytes: 1024, resultLimitBytes: 1024 }),
      /work root .*executor-open is not safe to use: its mode is 0777/,
    );
    assert.equal(readFileSync(join(open, 'planted'), 'utf8'), '');
  });
});
