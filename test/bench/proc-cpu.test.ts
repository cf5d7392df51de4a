import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { processCpu, treeCpuMs } from '../../bench/lib/proc-cpu.js';

const selfMs = (pid: number) => processCpu(pid)?.self ?? 0;

// A child that spins until it has used `ms` of CPU by its own account, then exits.
const spinner = (ms: number) => `const start = process.cpuUsage(); while (true) { const used = process.cpuUsage(start); if ((used.user + used.system) / 1000 >= ${ms}) break; }`;

function run(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

describe('bench CPU accounting by process tree', () => {
  it('counts what a child used once it has exited and was reaped, and only once', async () => {
    const before = treeCpuMs(process.pid);
    const ownBefore = selfMs(process.pid);
    await run(spinner(300));
    const grew = treeCpuMs(process.pid) - before;
    const ownGrew = selfMs(process.pid) - ownBefore;
    // The child's 300 ms plus its start, read in 10 ms clock ticks; not twice the child's time.
    assert.ok(grew - ownGrew >= 290, `the tree grew ${grew} ms, this process ${ownGrew} ms`);
    assert.ok(grew - ownGrew < 560, `the tree grew ${grew} ms, this process ${ownGrew} ms`);
  });

  it('counts a live child as it runs, and the same once it ends', async () => {
    const child = spawn(process.execPath, ['-e', `${spinner(200)}; setTimeout(() => {}, 60_000)`], { stdio: 'ignore' });
    try {
      const before = treeCpuMs(process.pid);
      let live = 0;
      for (let tries = 0; tries < 200 && live < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        live = selfMs(child.pid!);
      }
      assert.ok(live >= 200, `the live child used ${live} ms`);
      const withLiveChild = treeCpuMs(process.pid) - before;
      assert.ok(withLiveChild >= 190, `the tree grew ${withLiveChild} ms while the child ran`);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const afterExit = treeCpuMs(process.pid) - before;
      assert.ok(Math.abs(afterExit - withLiveChild) < 100, `${withLiveChild} ms with the child alive, ${afterExit} ms once reaped`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
