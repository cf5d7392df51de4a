import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { containmentSupport } from '../../src/observer/containment.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { runsFor } from '../observer/containment-scenarios.js';
import { claimedAttempt, eventually, RecordingSink, refOf, shellFunction } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'pontoon-local-containment-'));
const executors: LocalExecutor[] = [];
const strays: number[] = [];
const children: ChildProcess[] = [];
let next = 0;

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.close()));
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

/**
 * An attempt that leaves a setsid'd process and a double-forked, setsid'd one, writes their pids
 * into $PIDS and then ends as `tail` says.
 */
function leaver(tail: string) {
  next += 1;
  const pids = join(root, `pids-${next}`);
  mkdirSync(pids);
  const script = `
setsid sh -c 'echo $$ > "$PIDS/setsid.tmp" && mv "$PIDS/setsid.tmp" "$PIDS/setsid" && exec sleep 300' &
( setsid sh -c 'echo $$ > "$PIDS/double.tmp" && mv "$PIDS/double.tmp" "$PIDS/double" && exec sleep 300' & )
i=0
while [ ! -s "$PIDS/setsid" ] || [ ! -s "$PIDS/double" ]; do i=$((i+1)); [ $i -gt 200 ] && exit 3; sleep 0.05; done
${tail}`;
  const claimed = claimedAttempt(shellFunction(script, { env: { PIDS: pids }, timeout: '2s' }));
  const left = async () => {
    const found = await eventually('the leftovers’ pids', () => {
      const texts = ['setsid', 'double'].map((name) => readIfPresent(join(pids, name)));
      return texts.every((text) => text !== undefined) ? texts.map((text) => Number(text.trim())) : undefined;
    });
    strays.push(...found);
    return found;
  };
  return { claimed, left };
}

/** A file's text, or undefined while it does not exist yet. */
function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `subreaper` when local-containment-subreaper.test.ts runs these tests for the fallback. */
const mode = process.env.PONTOON_CONTAINMENT ?? 'auto';
const passEnv = mode === 'auto' ? [] : ['PONTOON_CONTAINMENT'];

function executorOn(workRoot: string, sink = new RecordingSink()): LocalExecutor {
  const executor = new LocalExecutor({
    sink,
    runtimes: createRuntimes({ cacheDir: join(root, 'cache') }),
    workRoot,
    graceMs: 300,
    logLimitBytes: 65_536,
    resultLimitBytes: 65_536,
    hosts: 1,
    passEnv,
  });
  executors.push(executor);
  return executor;
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function noneSurvive(pids: number[], executionId: string, what: string): Promise<void> {
  for (const pid of pids) await eventually(`process ${pid} to end ${what}`, () => (runsFor(pid, executionId) ? undefined : true), 5000);
}

describe(`the local executor ends everything an attempt started (containment: ${mode})`, () => {
  for (const [mode, tail, status] of [
    ['succeeds', 'exit 0', 'succeeded'],
    ['times out', 'exec sleep 300', 'timed_out'],
    ['is killed by SIGKILL', 'kill -9 $$', 'failed'],
  ] as const) {
    it(`when the attempt ${mode}`, async () => {
      const sink = new RecordingSink();
      const executor = executorOn(join(root, `work-${next}`), sink);
      const { claimed, left } = leaver(tail);
      await executor.start(claimed);
      const report = await sink.report(refOf(claimed));
      assert.equal(report.status, status, JSON.stringify(report));
      await noneSurvive(await left(), claimed.execution.id, `after the attempt ${mode}`);
    });
  }

  it('when the observer host dies', async () => {
    const sink = new RecordingSink();
    const executor = executorOn(join(root, `work-host-${next}`), sink);
    const { claimed, left } = leaver('exec sleep 300');
    await executor.start(claimed);
    const pids = await left();
    for (const pid of pids) assert.ok(runsFor(pid, claimed.execution.id));
    // The setsid'd process was started by the program, which the host started.
    const hostPid = parentOf(parentOf(pids[0]!));
    // The mode asked for is the one running: the leftovers are in the host's cgroup, or not.
    const inHostCgroup = new RegExp(`^0::.*/pontoon-${hostPid}-[0-9a-f]{8}$`, 'm');
    for (const pid of pids) {
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      assert.equal(inHostCgroup.test(cgroup), mode === 'auto' && containmentSupport().kind === 'cgroup', cgroup);
    }
    process.kill(hostPid, 'SIGKILL');
    assert.match((await sink.report(refOf(claimed))).error ?? '', /the observer host exited/);
    await noneSurvive(pids, claimed.execution.id, 'after its observer host died');
  });

  it('when the server crashes with its observer host, at the next start', async () => {
    const workRoot = join(root, `work-crash-${next}`);
    const { claimed, left } = leaver('exec sleep 300');
    const moduleUrl = new URL('../../src/executors/local/local-executor.js', import.meta.url).href;
    const registryUrl = new URL('../../src/runtimes/registry.js', import.meta.url).href;
    const script = `
      const { LocalExecutor } = await import(${JSON.stringify(moduleUrl)});
      const { createRuntimes } = await import(${JSON.stringify(registryUrl)});
      const executor = new LocalExecutor({ sink: { logs() {}, finished() {} }, runtimes: createRuntimes({ cacheDir: ${JSON.stringify(join(root, 'cache'))} }),
        workRoot: ${JSON.stringify(workRoot)}, graceMs: 300, logLimitBytes: 65536, resultLimitBytes: 65536, passEnv: ${JSON.stringify(passEnv)} });
      await executor.start(JSON.parse(process.argv[1]));
      setInterval(() => {}, 1000);`;
    // A process group of its own, killed whole: the host dies with it, before it can clean up.
    const server = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(claimed)], { stdio: 'ignore', detached: true });
    children.push(server);
    const pids = await left();
    // The host writes the attempt's pid file right after the spawn, but a host kept off the CPU may
    // write it after the program has started its leftovers: the crash comes once it is there.
    const pidRecord = await eventually('the attempt’s pid file', () => readIfPresent(join(workRoot, `${claimed.execution.id}-1`, 'pid')) || undefined);
    process.kill(-server.pid!, 'SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    for (const pid of pids) assert.ok(runsFor(pid, claimed.execution.id), 'the leftovers outlived the crash');
    if (mode === 'auto' && containmentSupport().kind === 'cgroup') {
      // The pid file names the attempt's cgroup, which still holds the leftovers for the sweep.
      const [, cgroup] = pidRecord.split('\n');
      const held = readFileSync(join(cgroup!, 'cgroup.procs'), 'utf8').split('\n').map(Number);
      for (const pid of pids) assert.ok(held.includes(pid), `${pid} is in ${cgroup}`);
    }
    executorOn(workRoot);
    await noneSurvive(pids, claimed.execution.id, 'after the next start swept the crashed server’s attempts');
  });
});
