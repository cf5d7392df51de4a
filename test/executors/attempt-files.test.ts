import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { claimedAttempt, RecordingSink, refOf, shellFunction } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'pontoon-attempt-files-'));
const executors: LocalExecutor[] = [];
after(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  rmSync(root, { recursive: true, force: true });
});

/** One observer host, so that a program's file blocking the host would stall every other attempt. */
function oneHostExecutor(sink: RecordingSink, name: string): LocalExecutor {
  const executor = new LocalExecutor({
    sink,
    runtimes: createRuntimes({ cacheDir: join(root, `cache-${name}`) }),
    workRoot: join(root, `work-${name}`),
    graceMs: 300,
    logLimitBytes: 65_536,
    resultLimitBytes: 65_536,
    hosts: 1,
  });
  executors.push(executor);
  return executor;
}

describe('an attempt’s files are read without blocking the observer', () => {
  it('fails an attempt whose $PONTOON_OUTPUT is a FIFO at once, and an unrelated `echo hi` is not delayed', async () => {
    const sink = new RecordingSink();
    const executor = oneHostExecutor(sink, 'fifo');
    // Five, as in the report: each would have held the host's only thread on a read with no writer.
    const fifos = Array.from({ length: 5 }, () => claimedAttempt(shellFunction('mkfifo "$PONTOON_OUTPUT"', { timeout: '20s' })));
    for (const claimed of fifos) await executor.start(claimed);
    const started = Date.now();
    for (const claimed of fifos) {
      const report = await sink.report(refOf(claimed), 20_000);
      assert.equal(report.status, 'failed');
      assert.equal(report.error, 'the output $PONTOON_OUTPUT is a FIFO, not a regular file: write the result as a regular file');
    }
    const hi = claimedAttempt(shellFunction('echo hi', { timeout: '20s' }));
    const hiStarted = Date.now();
    await executor.start(hi);
    const report = await sink.report(refOf(hi), 20_000);
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(sink.linesOf(refOf(hi)).map((line) => line.line), ['hi']);
    // Far within the FIFOs' 20 s timeout: nothing waited for a writer (on a loaded machine a
    // no-op attempt takes well under a second; the old observer never answered at all).
    assert.ok(Date.now() - started < 10_000, `the FIFO attempts took ${Date.now() - started} ms`);
    assert.ok(Date.now() - hiStarted < 10_000, `echo hi took ${Date.now() - hiStarted} ms`);
  });

  it('does not read an error file that is a FIFO, and says so', async () => {
    const sink = new RecordingSink();
    const executor = oneHostExecutor(sink, 'error-fifo');
    const claimed = claimedAttempt(shellFunction('mkfifo "$PONTOON_ERROR"; exit 4', { timeout: '20s' }));
    await executor.start(claimed);
    const report = await sink.report(refOf(claimed));
    assert.equal(report.exitCode, 4);
    assert.equal(report.error, 'the error file $PONTOON_ERROR is a FIFO, not a regular file: it was not read');
  });

  it('does not follow a symlink out of the work dir, to /etc/passwd or to a device', async () => {
    const sink = new RecordingSink();
    const executor = oneHostExecutor(sink, 'symlink');
    const passwd = claimedAttempt(shellFunction('ln -s /etc/passwd "$PONTOON_OUTPUT"'));
    const zero = claimedAttempt(shellFunction('ln -s /dev/zero "$PONTOON_OUTPUT"'));
    const error = claimedAttempt(shellFunction('ln -s /etc/passwd "$PONTOON_ERROR"; exit 2'));
    for (const claimed of [passwd, zero, error]) await executor.start(claimed);
    for (const claimed of [passwd, zero]) {
      const report = await sink.report(refOf(claimed));
      assert.equal(report.status, 'failed');
      assert.equal(report.result, null);
      assert.equal(report.error, 'the output $PONTOON_OUTPUT is a symbolic link, not a regular file: write the result as a regular file');
    }
    const report = await sink.report(refOf(error));
    assert.doesNotMatch(report.error ?? '', /root:/);
    assert.match(report.error ?? '', /^the error file \$PONTOON_ERROR is a symbolic link/);
  });

  it('does not read a device node made in the work dir', async (t) => {
    if (process.geteuid?.() !== 0) return t.skip('only root may make device nodes');
    const sink = new RecordingSink();
    const executor = oneHostExecutor(sink, 'device');
    const claimed = claimedAttempt(shellFunction('mknod "$PONTOON_OUTPUT" c 1 5'));
    await executor.start(claimed);
    const report = await sink.report(refOf(claimed));
    assert.equal(report.error, 'the output $PONTOON_OUTPUT is a character device, not a regular file: write the result as a regular file');
  });
});
