import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { runProgram, type ProgramHandle, type ProgramOptions } from '../../src/observer/run-program.js';

/**
 * A program that leaves two processes behind, each in a session of its own: one started with
 * `setsid`, one double-forked (its parent subshell exits at once) and then setsid'd. Each writes
 * its pid to "$0/<name>" before it execs a long sleep; the program waits for both files, then
 * ends as $MODE says: exit 0, outlive its deadline, or kill itself with SIGKILL.
 */
const leaver = `
setsid sh -c 'echo $$ > "$0/setsid.tmp" && mv "$0/setsid.tmp" "$0/setsid" && exec sleep 300' "$1" &
( setsid sh -c 'echo $$ > "$0/double.tmp" && mv "$0/double.tmp" "$0/double" && exec sleep 300' "$1" & )
i=0
while [ ! -s "$1/setsid" ] || [ ! -s "$1/double" ]; do i=$((i+1)); [ $i -gt 200 ] && exit 3; sleep 0.05; done
case "$MODE" in
  success) exit 0 ;;
  timeout) exec sleep 300 ;;
  killed) kill -9 $$ ;;
  stopped) echo ready; exec sleep 300 ;;
esac`;

/** True while `pid` runs (a zombie has ended) and is one of this execution's processes. */
export function runsFor(pid: number, executionId: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`PONTOON_EXECUTION_ID=${executionId}`);
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Registers the tests every containment must pass: nothing an attempt started outlives it. */
export function containmentScenarios(label: string, skip: string | false, expectCgroup: boolean): void {
  const root = mkdtempSync(join(tmpdir(), `pontoon-containment-${label}-`));
  const leftovers: number[] = [];
  after(() => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  let next = 0;
  async function run(mode: string, extra: Partial<ProgramOptions> = {}, whileRunning?: (handle: ProgramHandle) => Promise<void>) {
    next += 1;
    const pids = join(root, `pids-${next}`);
    const executionId = `containment-${label}-${process.pid}-${next}`;
    const options: ProgramOptions = {
      workDir: join(root, `attempt-${next}`),
      command: ['/bin/sh', '-c', leaver, 'leaver', pids],
      baseEnv: { PATH: process.env.PATH, MODE: mode },
      identity: { executionId, attempt: 1, namespace: 'default', function: 'leaver', version: 1 },
      input: null,
      deadline: new Date(Date.now() + 60_000),
      timeout: '1m',
      graceMs: 200,
      logLimitBytes: 65_536,
      resultLimitBytes: 65_536,
      onLogs: () => undefined,
      ...extra,
    };
    mkdirSync(pids);
    const handle = runProgram(options);
    const left = () => ['setsid', 'double'].map((name) => Number(readFileSync(join(pids, name), 'utf8').trim()));
    if (whileRunning) {
      await eventually('both leftovers to start', () => {
        try {
          return left().every((pid) => runsFor(pid, executionId));
        } catch {
          return false;
        }
      });
      await whileRunning(handle);
    }
    const report = await handle.report;
    const [setsid, double] = left();
    leftovers.push(setsid, double);
    return { report, setsid, double, executionId, cgroups: handle.attemptCgroup === undefined ? [] : [handle.attemptCgroup] };
  }

  async function assertNoneSurvive(what: string, result: Awaited<ReturnType<typeof run>>): Promise<void> {
    // Each process ran as the program ended (the program waited for their pid files), so a pass
    // below means they were ended, not that they never started.
    await eventually(`the setsid'd process ${result.setsid} to end ${what}`, () => !runsFor(result.setsid, result.executionId));
    await eventually(`the double-forked process ${result.double} to end ${what}`, () => !runsFor(result.double, result.executionId));
  }

  it(`${label}: after a success, no process the attempt started survives`, { skip }, async () => {
    const result = await run('success');
    assert.equal(result.report?.status, 'succeeded', JSON.stringify(result.report));
    await assertNoneSurvive('after a success', result);
  });

  it(`${label}: after a timeout, no process the attempt started survives`, { skip }, async () => {
    const result = await run('timeout', { deadline: new Date(Date.now() + 1500), timeout: '1500ms' });
    assert.equal(result.report?.status, 'timed_out', JSON.stringify(result.report));
    await assertNoneSurvive('after a timeout', result);
  });

  it(`${label}: after the program is killed by SIGKILL, no process it started survives`, { skip }, async () => {
    const result = await run('killed');
    assert.equal(result.report?.error, 'killed by signal SIGKILL');
    await assertNoneSurvive('after SIGKILL', result);
  });

  it(`${label}: after a stop, no process the attempt started survives`, { skip }, async () => {
    const result = await run('stopped', {}, (handle) => handle.stop());
    assert.equal(result.report, undefined);
    await assertNoneSurvive('after a stop', result);
  });

  it(`${label}: holds the leftovers ${expectCgroup ? 'in its cgroup' : 'as their subreaper'} while the attempt runs`, { skip }, async () => {
    let held: { cgroup: string | undefined; members: number[]; parents: number[] } | undefined;
    let left: number[] = [];
    const result = await run('stopped', {}, async (handle) => {
      const dir = join(root, `pids-${next}`);
      left = ['setsid', 'double'].map((name) => Number(readFileSync(join(dir, name), 'utf8').trim()));
      const cgroup = handle.attemptCgroup;
      held = {
        cgroup,
        members: cgroup ? readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number) : [],
        parents: left.map(parentOf),
      };
      await handle.stop();
    });
    assert.ok(held);
    if (expectCgroup) {
      assert.ok(held.cgroup, 'the attempt has a cgroup');
      for (const pid of left) assert.ok(held.members.includes(pid), `${pid} is in ${held.cgroup}`);
    } else {
      assert.equal(held.cgroup, undefined);
      // The double-forked one's parent exited at once: it was re-parented to us, not to init.
      assert.equal(held.parents[1], process.pid);
    }
    await assertNoneSurvive('after a stop', result);
  });
}
