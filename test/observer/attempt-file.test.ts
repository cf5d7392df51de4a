import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readAttemptFile } from '../../src/observer/attempt-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pontoon-attempt-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** True when this user may make device nodes (root, outside a user namespace that forbids it). */
function mknod(path: string): boolean {
  try {
    execFileSync('mknod', [path, 'c', '1', '5'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('readAttemptFile (a program’s files, read without ever blocking)', () => {
  it('reads a regular file, and says when there is none', () => {
    writeFileSync(join(dir, 'result.json'), '{"ok":true}');
    assert.deepEqual(readAttemptFile(join(dir, 'result.json'), 100), { kind: 'read', text: '{"ok":true}' });
    assert.deepEqual(readAttemptFile(join(dir, 'absent.json'), 100), { kind: 'absent' });
  });

  it('measures a file over the limit without reading it, or reads its head when asked', () => {
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(1000));
    assert.deepEqual(readAttemptFile(join(dir, 'big.txt'), 999), { kind: 'too-large', bytes: 1000 });
    assert.deepEqual(readAttemptFile(join(dir, 'big.txt'), 10, true), { kind: 'read', text: 'x'.repeat(10) });
  });

  it('refuses a FIFO at once, with no writer on the other end', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    assert.deepEqual(readAttemptFile(fifo, 100), { kind: 'refused', what: 'a FIFO' });
    assert.ok(Date.now() - started < 1000);
  });

  it('refuses a symlink, to a file outside the work dir or to a device', () => {
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    symlinkSync('/dev/zero', join(dir, 'zero'));
    assert.deepEqual(readAttemptFile(join(dir, 'passwd'), 1 << 20), { kind: 'refused', what: 'a symbolic link' });
    assert.deepEqual(readAttemptFile(join(dir, 'zero'), 1 << 20), { kind: 'refused', what: 'a symbolic link' });
  });

  it('refuses a device node', (t) => {
    if (!mknod(join(dir, 'device'))) return t.skip('this user cannot make device nodes');
    assert.deepEqual(readAttemptFile(join(dir, 'device'), 1 << 20), { kind: 'refused', what: 'a character device' });
  });

  it('refuses a directory', () => {
    mkdirSync(join(dir, 'sub'));
    assert.deepEqual(readAttemptFile(join(dir, 'sub'), 100), { kind: 'refused', what: 'a directory' });
  });
});

describe('the pod sidecar’s readOutputs', () => {
  it('measures a large output without reading it, and reports a FIFO output instead of waiting on it', async () => {
    const { readOutputs } = await import('../../src/observer/pod/sidecar.js');
    writeFileSync(join(dir, 'large.json'), `"${'y'.repeat(100)}"`);
    assert.deepEqual(readOutputs(join(dir, 'large.json'), join(dir, 'no-error.txt'), 10), { output: null, outputBytes: 102, error: null, outputRefused: null });
    execFileSync('mkfifo', [join(dir, 'output-fifo')]);
    assert.deepEqual(readOutputs(join(dir, 'output-fifo'), join(dir, 'no-error.txt'), 10), {
      output: null,
      outputBytes: 0,
      error: null,
      outputRefused: 'a FIFO',
    });
  });
});
