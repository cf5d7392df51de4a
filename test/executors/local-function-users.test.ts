import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { dynamicUsers, type FunctionUsers } from '../../src/executors/users/function-users.js';
import { memoryLimitSupport } from '../../src/observer/memory-limit.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { runExecutorConformance } from './executor-conformance.js';
import { claimedAttempt, nodeFunction, RecordingSink, refOf, shellFunction } from './fixtures.js';

// Only root can switch users: as anyone else these tests have nothing to show.
const isRoot = process.geteuid?.() === 0;
const range = { first: 1_879_100_000, last: 1_879_100_099 };
const roots: string[] = [];
const executors: LocalExecutor[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pontoon-${prefix}-`));
  roots.push(dir);
  return dir;
}

const lockDir = isRoot ? tempDir('uid-locks') : '';
const users: FunctionUsers | undefined = isRoot ? dynamicUsers(range, lockDir) : undefined;

function localExecutor(sink: RecordingSink, workRoot = tempDir('work'), graceMs = 300): LocalExecutor {
  const executor = new LocalExecutor({
    sink,
    runtimes: createRuntimes({ cacheDir: tempDir('cache'), forOtherUsers: true }),
    workRoot,
    graceMs,
    logLimitBytes: 1024 * 1024,
    resultLimitBytes: 1024 * 1024,
    users,
  });
  executors.push(executor);
  return executor;
}

after(async () => {
  await Promise.all(executors.map((executor) => executor.close()));
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Runs `script` to its end and returns its report and its stdout and stderr lines. */
async function run(executor: LocalExecutor, sink: RecordingSink, script: string, input: unknown = null) {
  const claimed = claimedAttempt(shellFunction(script), input);
  await executor.start(claimed);
  const report = await sink.report(refOf(claimed));
  const lines = sink.linesOf(refOf(claimed)).map((line) => line.line);
  return { report, lines };
}

if (isRoot) runExecutorConformance('local, as dynamic users', ({ sink, graceMs }) => localExecutor(sink as RecordingSink, tempDir('work'), graceMs));

describe('local functions as dynamic users', { skip: isRoot ? false : 'needs root to switch users' }, () => {
  it('runs each running attempt as a uid of its own from the range, never root', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const attempts = [1, 2, 3].map(() => claimedAttempt(shellFunction('echo "uid $(id -u) gid $(id -g) groups $(id -G)"; sleep 0.5')));
    for (const claimed of attempts) await executor.start(claimed);
    const seen = [];
    for (const claimed of attempts) {
      assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
      const [, uid, , gid, , groups] = sink.linesOf(refOf(claimed))[0]!.line.split(' ');
      assert.ok(Number(uid) >= range.first && Number(uid) <= range.last, `uid ${uid} is in the range`);
      assert.equal(gid, uid);
      // No supplementary group of the server's (root's) is kept.
      assert.equal(groups, uid);
      seen.push(uid);
    }
    assert.equal(new Set(seen).size, 3, `three attempts at once ran as three uids: ${seen.join(', ')}`);
    // Each uid was given back once its attempt ended.
    assert.deepEqual(readdirSync(lockDir), []);
  });

  it('gives an attempt a work dir 0700 and an input file 0600 of its own uid, and HOME and TMPDIR there', async () => {
    const sink = new RecordingSink();
    const { report, lines } = await run(localExecutor(sink), sink, 'id -u; stat -c "%a %u" "$(dirname "$PONTOON_INPUT")" "$PONTOON_INPUT"; [ "$HOME" = "$(dirname "$PONTOON_INPUT")" ] && [ "$TMPDIR" = "$HOME" ] && echo home', { secret: 1 });
    assert.equal(report.status, 'succeeded', lines.join('\n'));
    const [uid, dir, input, home] = lines;
    assert.equal(dir, `700 ${uid}`);
    assert.equal(input, `600 ${uid}`);
    assert.equal(home, 'home');
  });

  it('denies a function /etc/shadow', async () => {
    const sink = new RecordingSink();
    const { report, lines } = await run(localExecutor(sink), sink, 'cat /etc/shadow');
    assert.equal(report.status, 'failed');
    assert.match(lines.join('\n'), /Permission denied/);
    assert.doesNotMatch(lines.join('\n'), /^root:/m);
  });

  it("denies a function the server's environment and open files in /proc", async () => {
    const sink = new RecordingSink();
    const { report, lines } = await run(localExecutor(sink), sink, `cat /proc/${process.pid}/environ; ls /proc/${process.pid}/fd; exit 0`);
    assert.equal(report.status, 'succeeded');
    assert.match(lines.join('\n'), new RegExp(`/proc/${process.pid}/environ: Permission denied`));
    assert.match(lines.join('\n'), new RegExp(`/proc/${process.pid}/fd.*Permission denied`));
  });

  it("denies a function another running attempt's input, its work dir and the work root's listing", async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const victim = claimedAttempt(shellFunction('echo "input $PONTOON_INPUT"; sleep 3'), { password: 'hunter2' });
    await executor.start(victim);
    const path = (await sink.line(refOf(victim), (line) => line.line.startsWith('input '))).line.slice('input '.length);
    const { lines } = await run(executor, sink, `cat "${path}"; ls "$(dirname "${path}")"; ls "$(dirname "$(dirname "${path}")")"; exit 0`);
    const text = lines.join('\n');
    assert.doesNotMatch(text, /hunter2/);
    assert.equal(text.match(/Permission denied/g)?.length, 3, text);
    await executor.stop(refOf(victim), 'cancelled');
  });

  it("does not let a function's forged cgroup record make the orphan sweep kill another cgroup", { skip: !memoryLimitSupport().enforced }, async () => {
    const support = memoryLimitSupport();
    if (!support.enforced) return;
    // A cgroup of someone else's (here: the test's), with a process in it.
    const victimCgroup = join(support.parent, `pontoon-test-victim-${process.pid}`);
    mkdirSync(victimCgroup);
    const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(victimCgroup, 'cgroup.procs'), String(victim.pid));
      const sink = new RecordingSink();
      const workRoot = tempDir('work');
      const executor = localExecutor(sink, workRoot);
      // The program owns its work dir: it replaces the observer's records with ones naming that cgroup.
      const claimed = claimedAttempt(shellFunction(`rm -f pid cgroup; printf '1\\n${victimCgroup}' > pid; echo ${victimCgroup} > cgroup; echo forged; sleep 30`));
      await executor.start(claimed);
      await sink.line(refOf(claimed), (line) => line.line === 'forged');
      const { sweepWorkDir } = await import('../../src/executors/local/orphans.js');
      sweepWorkDir(join(workRoot, `${claimed.execution.id}-1`));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(victim.exitCode, null, 'the process of the other cgroup still runs');
      assert.equal(victim.signalCode, null);
      assert.ok(existsSync(victimCgroup));
    } finally {
      victim.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 100));
      rmdirSync(victimCgroup);
    }
  });

  describe('memory limit', () => {
    const support = memoryLimitSupport();
    it(`still ends a program allocating past 64Mi as OOMKilled (${support.enforced ? `cgroup v${support.version}` : `not enforced here: ${support.reason}`})`, { skip: !support.enforced }, async () => {
      const sink = new RecordingSink();
      const executor = localExecutor(sink);
      const hog = `const kept = []; for (let i = 0; i < 24; i++) kept.push(Buffer.alloc(8 * 1024 * 1024, 1)); console.log('allocated ' + kept.length * 8 + ' MiB');`;
      const claimed = claimedAttempt(nodeFunction(hog, { resources: { memory: '64Mi' } }));
      await executor.start(claimed);
      const report = await sink.report(refOf(claimed));
      assert.equal(report.reason, 'OOMKilled', JSON.stringify(report));
    });

    it('lets a program within its limit succeed, as its own user', async () => {
      const sink = new RecordingSink();
      const claimed = claimedAttempt(nodeFunction(`console.log(process.getuid())`, { resources: { memory: '128Mi' } }));
      const executor = localExecutor(sink);
      await executor.start(claimed);
      assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
      const uid = Number(sink.linesOf(refOf(claimed))[0]?.line);
      assert.ok(uid >= range.first && uid <= range.last);
    });
  });
});
