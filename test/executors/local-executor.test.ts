import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { memoryLimitSupport } from '../../src/observer/memory-limit.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { runExecutorConformance } from './executor-conformance.js';
import { claimedAttempt, eventually, functionVersion, nodeFunction, RecordingSink, refOf, shellFunction } from './fixtures.js';

const roots: string[] = [];
const executors: LocalExecutor[] = [];
const strayPids: number[] = [];
const strayProcesses: ChildProcess[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pontoon-${prefix}-`));
  roots.push(dir);
  return dir;
}

function localExecutor(
  sink: RecordingSink | { logs(): void; finished(): void },
  workRoot = tempDir('work'),
  graceMs = 300,
  hosts?: number,
  passEnv?: string[],
): LocalExecutor {
  const executor = new LocalExecutor({
    sink: sink as RecordingSink,
    runtimes: createRuntimes({ cacheDir: tempDir('cache') }),
    workRoot,
    graceMs,
    logLimitBytes: 1024 * 1024,
    resultLimitBytes: 1024 * 1024,
    hosts,
    passEnv,
  });
  executors.push(executor);
  return executor;
}

/** True while `pid` is a live process (a zombie waiting for its parent to reap it counts as gone). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The parent pid of a live process. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The pids an attempt of `sleep 300 & echo "child $!"; echo "leader $$"; wait` prints. */
function attemptPids(sink: RecordingSink, claimed: ReturnType<typeof claimedAttempt>): Promise<{ leader: number; child: number }> {
  return eventually('the attempt to print its pids', () => {
    const lines = sink.linesOf(refOf(claimed)).map((line) => line.line);
    const child = lines.find((line) => line.startsWith('child '))?.slice(6);
    const leader = lines.find((line) => line.startsWith('leader '))?.slice(7);
    return child && leader ? { child: Number(child), leader: Number(leader) } : undefined;
  });
}

/**
 * A real executor in a process of its own (to be killed with SIGKILL like a crashed server),
 * running one attempt whose log lines it prints. `ownGroup` makes it lead a process group.
 */
function crashingExecutor(workRoot: string, claimed: ReturnType<typeof claimedAttempt>, ownGroup: boolean) {
  const moduleUrl = new URL('../../src/executors/local/local-executor.js', import.meta.url).href;
  const registryUrl = new URL('../../src/runtimes/registry.js', import.meta.url).href;
  const script = `
    const { LocalExecutor } = await import(${JSON.stringify(moduleUrl)});
    const { createRuntimes } = await import(${JSON.stringify(registryUrl)});
    const sink = { logs: (_ref, lines) => { for (const l of lines) console.log(l.line); }, finished: () => {} };
    const executor = new LocalExecutor({ sink, runtimes: createRuntimes({ cacheDir: ${JSON.stringify(workRoot)} }),
      workRoot: ${JSON.stringify(workRoot)}, graceMs: 300, logLimitBytes: 65536, resultLimitBytes: 65536 });
    await executor.start(JSON.parse(process.argv[1]));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(claimed)], { stdio: ['ignore', 'pipe', 'inherit'], detached: ownGroup });
  strayProcesses.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const pids = eventually('the attempt to print its pids', () => {
    const childPid = /child (\d+)/.exec(output)?.[1];
    const leader = /leader (\d+)/.exec(output)?.[1];
    return childPid && leader ? { child: Number(childPid), leader: Number(leader) } : undefined;
  });
  return { process: child, pids };
}

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.close()));
  for (const stray of strayProcesses.splice(0)) {
    // A crashing executor that a failed test left alive, with its observer host.
    if (stray.exitCode === null && stray.signalCode === null) stray.kill('SIGKILL');
  }
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
});

after(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

runExecutorConformance('local', ({ sink, graceMs }) => localExecutor(sink as RecordingSink, tempDir('work'), graceMs));

describe('local executor', () => {
  it('runs each attempt in <workRoot>/<executionId>-<attempt> with a pid file, and removes it when the attempt ends', async () => {
    const sink = new RecordingSink();
    const workRoot = tempDir('work');
    const executor = localExecutor(sink, workRoot);
    const claimed = claimedAttempt(shellFunction('echo "cwd $(pwd)"; echo "pid $$"; sleep 0.3'), null, 3);
    await executor.start(claimed);
    const dir = join(workRoot, `${claimed.execution.id}-3`);
    const pidLine = await sink.line(refOf(claimed), (line) => line.line.startsWith('pid '));
    // The pid, then the cgroup holding the attempt's processes where there is one.
    assert.equal(readFileSync(join(dir, 'pid'), 'utf8').split('\n')[0], pidLine.line.slice(4));
    assert.ok(existsSync(join(dir, 'input.json')));
    assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
    assert.equal(sink.linesOf(refOf(claimed))[0].line, `cwd ${dir}`, 'without spec.source the program runs in its work dir');
    await eventually('the work dir to be removed', () => (existsSync(dir) ? undefined : true), 5000);
  });

  it('runs a command function in its spec.source directory', async () => {
    const sink = new RecordingSink();
    const source = tempDir('source');
    writeFileSync(join(source, 'main.sh'), '#!/bin/sh\necho "in $(pwd)"\nprintf \'{"ok":true}\' > "$PONTOON_OUTPUT"\n');
    chmodSync(join(source, 'main.sh'), 0o755);
    const executor = localExecutor(sink);
    const claimed = claimedAttempt(functionVersion({ command: ['./main.sh'], source }));
    await executor.start(claimed);
    const report = await sink.report(refOf(claimed));
    assert.deepEqual(report.result, { ok: true });
    assert.equal(sink.linesOf(refOf(claimed))[0].line, `in ${source}`);
  });

  it('refuses to start a function whose runtime cannot make a launch plan', async () => {
    const executor = localExecutor(new RecordingSink());
    const claimed = claimedAttempt(functionVersion({ runtime: 'python', source: '/nonexistent/pontoon-source', handler: 'main.handler' }));
    await assert.rejects(executor.start(claimed), (thrown: { code?: string; message?: string }) => {
      assert.equal(thrown.code, 'BUILD_FAILED');
      assert.match(thrown.message ?? '', /nonexistent\/pontoon-source/);
      return true;
    });
    assert.deepEqual(executor.running(), []);
  });

  it('stop() kills the whole process group, background children included, and sends no report', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const claimed = claimedAttempt(shellFunction('sleep 60 & echo "child $!"; echo "leader $$"; wait'));
    await executor.start(claimed);
    const child = Number((await sink.line(refOf(claimed), (line) => line.line.startsWith('child '))).line.slice(6));
    const leader = Number((await sink.line(refOf(claimed), (line) => line.line.startsWith('leader '))).line.slice(7));
    strayPids.push(leader);
    assert.ok(isRunning(child) && isRunning(leader));
    await executor.stop(refOf(claimed), 'cancelled');
    await eventually('the process group to die', () => (!isRunning(child) && !isRunning(leader) ? true : undefined), 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(sink.reportsOf(refOf(claimed)), []);
  });

  it('kills a program that traps SIGTERM once the grace period is over, and says so in the log', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const claimed = claimedAttempt(shellFunction(`trap 'echo "got TERM"' TERM; echo "leader $$"; while :; do sleep 0.1; done`, { timeout: '500ms' }));
    await executor.start(claimed);
    const report = await sink.report(refOf(claimed));
    assert.equal(report.status, 'timed_out');
    const lines = sink.linesOf(refOf(claimed));
    const leader = Number(lines.find((line) => line.line.startsWith('leader '))?.line.slice(7));
    assert.ok(!isRunning(leader));
    const system = lines.filter((line) => line.stream === 'system').map((line) => line.line);
    assert.deepEqual(system, ['[pontoon] timeout of 500ms reached: SIGTERM sent', '[pontoon] still running 300ms after SIGTERM: SIGKILL sent']);
  });

  it('does not need SIGKILL for a program that exits on SIGTERM', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink, tempDir('work'), 5000);
    const claimed = claimedAttempt(shellFunction('exec sleep 30', { timeout: '500ms' }));
    await executor.start(claimed);
    const report = await sink.report(refOf(claimed));
    assert.equal(report.status, 'timed_out');
    const system = sink.linesOf(refOf(claimed)).filter((line) => line.stream === 'system').map((line) => line.line);
    assert.deepEqual(system, ['[pontoon] timeout of 500ms reached: SIGTERM sent']);
  });

  it('names the signal that killed a program', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const claimed = claimedAttempt(shellFunction('echo "about to crash" >&2; kill -SEGV $$'));
    await executor.start(claimed);
    assert.deepEqual(await sink.report(refOf(claimed)), {
      status: 'failed',
      exitCode: null,
      reason: 'Error',
      error: 'killed by signal SIGSEGV: about to crash',
      result: null,
    });
  });

  describe('memory limit', () => {
    const support = memoryLimitSupport();
    const hog = `const kept = []; for (let i = 0; i < 24; i++) kept.push(Buffer.alloc(8 * 1024 * 1024, 1)); console.log('allocated ' + kept.length * 8 + ' MiB');`;

    it(`ends a program allocating past 64Mi as OOMKilled (${support.enforced ? 'cgroup v' + support.version : 'not enforced here: ' + support.reason})`, async () => {
      const sink = new RecordingSink();
      const executor = localExecutor(sink);
      const claimed = claimedAttempt(nodeFunction(hog, { resources: { memory: '64Mi' } }));
      await executor.start(claimed);
      const report = await sink.report(refOf(claimed));
      const lines = sink.linesOf(refOf(claimed));
      if (support.enforced) {
        assert.equal(report.status, 'failed');
        assert.equal(report.reason, 'OOMKilled');
        assert.equal(report.error, 'memory limit 64Mi exceeded (OOMKilled)');
        assert.equal(lines.some((line) => line.line.startsWith('allocated')), false);
        const cgroup = join(support.parent, `pontoon-${claimed.execution.id}-1`);
        await eventually('the cgroup to be removed', () => (existsSync(cgroup) ? undefined : true), 5000);
      } else {
        assert.equal(report.status, 'succeeded');
        const notice = lines.find((line) => line.stream === 'system');
        assert.equal(notice?.line, `[pontoon] memory limit 64Mi not enforced: ${support.reason}`);
      }
    });

    it('lets a program within its memory limit succeed', async () => {
      const sink = new RecordingSink();
      const executor = localExecutor(sink);
      const claimed = claimedAttempt(shellFunction('echo small', { resources: { memory: '64Mi' } }));
      await executor.start(claimed);
      const report = await sink.report(refOf(claimed));
      assert.equal(report.status, 'succeeded', report.error ?? '');
      assert.ok(sink.linesOf(refOf(claimed)).some((line) => line.line === 'small'));
    });

    it('reports StartFailed for a missing program even when it would run in a cgroup', async () => {
      const sink = new RecordingSink();
      const executor = localExecutor(sink);
      const claimed = claimedAttempt(functionVersion({ command: ['no-such-pontoon-program'], resources: { memory: '64Mi' } }));
      await executor.start(claimed);
      const report = await sink.report(refOf(claimed));
      assert.equal(report.reason, 'StartFailed');
      assert.match(report.error ?? '', /no-such-pontoon-program/);
    });
  });

  it('gives programs PATH and HOME but not the rest of its process’s environment, unless passed on by name', async () => {
    process.env.PONTOON_TEST_SECRET = 'not for functions';
    process.env.PONTOON_TEST_SHARED = 'for functions';
    try {
      const sink = new RecordingSink();
      const executor = localExecutor(sink, tempDir('work'), 300, 1, ['PONTOON_TEST_SHARED']);
      const claimed = claimedAttempt(shellFunction('echo "secret=${PONTOON_TEST_SECRET:-none} shared=${PONTOON_TEST_SHARED:-none} path=${PATH:+set} home=${HOME:+set}"'));
      await executor.start(claimed);
      assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
      assert.deepEqual(sink.linesOf(refOf(claimed)).map((line) => line.line), ['secret=none shared=for functions path=set home=set']);
    } finally {
      delete process.env.PONTOON_TEST_SECRET;
      delete process.env.PONTOON_TEST_SHARED;
    }
  });

  it('runs programs nicer than the executor’s own process, so the controller keeps the CPU first', async () => {
    const sink = new RecordingSink();
    const executor = localExecutor(sink);
    const claimed = claimedAttempt(shellFunction('read -r stat < /proc/$$/stat; echo "$stat"'));
    await executor.start(claimed);
    assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const own = niceOf(readFileSync('/proc/self/stat', 'utf8'));
    assert.equal(niceOf(sink.linesOf(refOf(claimed))[0].line), Math.min(19, own + 5));
  });

  it('removes its empty work root when it closes', async () => {
    const sink = new RecordingSink();
    const workRoot = join(tempDir('root'), 'work');
    const executor = localExecutor(sink, workRoot);
    const claimed = claimedAttempt(shellFunction('echo hello'));
    await executor.start(claimed);
    assert.equal((await sink.report(refOf(claimed))).status, 'succeeded');
    assert.equal(existsSync(workRoot), true);
    await executor.close();
    assert.equal(existsSync(workRoot), false);
  });

  describe('the observer host', () => {
    it('runs programs in a host process of its own, and after the host dies fails its attempts, kills them and starts a new host', async () => {
      const sink = new RecordingSink();
      const workRoot = tempDir('work');
      const executor = localExecutor(sink, workRoot);
      const claimed = claimedAttempt(shellFunction('sleep 300 & echo "child $!"; echo "leader $$"; wait'));
      await executor.start(claimed);
      const pids = await attemptPids(sink, claimed);
      strayPids.push(pids.leader);
      const host = parentOf(pids.leader);
      assert.ok(host !== undefined && host !== process.pid, 'the program is not a child of the executor’s own process');

      process.kill(host, 'SIGKILL');
      const report = await sink.report(refOf(claimed));
      assert.equal(report.status, 'failed');
      assert.equal(report.reason, 'Error');
      assert.match(report.error ?? '', /the observer host exited \(killed by SIGKILL\) while the attempt ran/);
      assert.deepEqual(executor.running(), []);
      await eventually('the attempt’s process group to die', () => (!isRunning(pids.leader) && !isRunning(pids.child) ? true : undefined), 5000);
      assert.equal(existsSync(join(workRoot, `${claimed.execution.id}-1`)), false);

      const next = claimedAttempt(shellFunction('echo "leader $$"'));
      await executor.start(next);
      assert.equal((await sink.report(refOf(next))).status, 'succeeded');
      const nextLeader = Number((await sink.line(refOf(next), (line) => line.line.startsWith('leader '))).line.slice(7));
      assert.ok(nextLeader > 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(sink.reportsOf(refOf(claimed)).length, 1, 'the lost attempt is reported once');
    });

    it('spreads attempts over its hosts, and the death of one host fails only the attempts it ran', async () => {
      const sink = new RecordingSink();
      const executor = localExecutor(sink, tempDir('work'), 300, 2);
      const first = claimedAttempt(shellFunction('echo "leader $$"; sleep 1; echo done'));
      const second = claimedAttempt(shellFunction('echo "leader $$"; sleep 300 & wait'));
      await executor.start(first);
      await executor.start(second);
      const leaderOf = async (claimed: typeof first) => Number((await sink.line(refOf(claimed), (line) => line.line.startsWith('leader '))).line.slice(7));
      const [firstLeader, secondLeader] = await Promise.all([leaderOf(first), leaderOf(second)]);
      strayPids.push(firstLeader, secondLeader);
      const [firstHost, secondHost] = [parentOf(firstLeader), parentOf(secondLeader)];
      assert.ok(firstHost !== undefined && secondHost !== undefined);
      assert.notEqual(firstHost, secondHost, 'two attempts at once run in two hosts');

      process.kill(secondHost, 'SIGKILL');
      const lost = await sink.report(refOf(second));
      assert.equal(lost.status, 'failed');
      assert.match(lost.error ?? '', /the observer host exited/);
      const survived = await sink.report(refOf(first));
      assert.equal(survived.status, 'succeeded', 'the other host’s attempt runs to its end');
      assert.ok(sink.linesOf(refOf(first)).some((line) => line.line === 'done'));
    });

    it('kills the attempts and exits when the executor’s process is killed, leaving nothing behind', async () => {
      const workRoot = tempDir('work');
      const claimed = claimedAttempt(shellFunction('sleep 300 & echo "child $!"; echo "leader $$"; wait'));
      const crashed = crashingExecutor(workRoot, claimed, false);
      const pids = await crashed.pids;
      strayPids.push(pids.leader);
      const host = parentOf(pids.leader);
      assert.ok(host !== undefined && host !== crashed.process.pid);
      crashed.process.kill('SIGKILL');
      await eventually('the attempt’s process group and the host to end', () =>
        !isRunning(pids.leader) && !isRunning(pids.child) && !isRunning(host) ? true : undefined, 5000);
      await eventually('the work dir to be removed', () => (existsSync(join(workRoot, `${claimed.execution.id}-1`)) ? undefined : true), 5000);
    });
  });

  describe('orphans', () => {
    it('kills the process group of an attempt left running by an executor that crashed with its host, and removes its work dir', async () => {
      const workRoot = tempDir('work');
      const claimed = claimedAttempt(shellFunction('sleep 300 & echo "child $!"; echo "leader $$"; wait'));
      // Killing the executor's whole process group takes its observer host down at the same instant,
      // before the host can clean up: the program (in a group of its own) is left behind.
      const crashed = crashingExecutor(workRoot, claimed, true);
      const pids = await crashed.pids;
      strayPids.push(pids.leader);
      process.kill(-crashed.process.pid!, 'SIGKILL');
      await new Promise((resolve) => crashed.process.once('exit', resolve));
      const dir = join(workRoot, `${claimed.execution.id}-1`);
      assert.ok(existsSync(dir) && isRunning(pids.leader) && isRunning(pids.child), 'the attempt outlived its executor');

      localExecutor(new RecordingSink(), workRoot);
      assert.equal(existsSync(dir), false);
      await eventually('the orphaned process group to die', () => (!isRunning(pids.leader) && !isRunning(pids.child) ? true : undefined), 5000);
    });

    it('never kills a process whose pid was reused by something else', async () => {
      const workRoot = tempDir('work');
      const bystander = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
      assert.ok(bystander.pid);
      strayPids.push(bystander.pid);
      const dir = join(workRoot, 'f2a1c9d0-0000-4000-8000-000000000000-1');
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(bystander.pid));

      localExecutor(new RecordingSink(), workRoot);
      assert.equal(existsSync(dir), false);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(isRunning(bystander.pid));
    });
  });
});
