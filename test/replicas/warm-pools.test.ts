import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import type { Execution } from '../../src/domain/execution.js';
import { memoryLimitSupport } from '../../src/observer/memory-limit.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { warmEngine } from '../helpers/engine.js';
import { dynamicUsers, type FunctionUsers } from '../../src/executors/users/function-users.js';
import { writeHandler } from './handlers.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Result {
  pid: number;
  concurrent: number;
  marker: string;
  attempt: number;
}

/** A fresh store, engine and handler source; the engine is started and stopped around `body`. */
async function withWarmEngine(body: (engine: Engine, store: Store, source: string) => Promise<void>, options: { graceMs?: number; users?: FunctionUsers } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-warm-'));
  dirs.push(dir);
  // Function users must reach the builds under it (and only enter, not list, the dir itself).
  if (options.users) chmodSync(dir, 0o711);
  const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
  const runtimes = createRuntimes({ cacheDir: join(dir, 'builds'), forOtherUsers: options.users !== undefined });
  const engine = warmEngine({ store, runtimes, workRoot: join(dir, 'work'), ...options });
  const source = writeHandler(join(dir, 'src'));
  engine.start();
  try {
    await body(engine, store, source);
  } finally {
    await engine.stop();
    await store.close();
  }
}

function warmFunction(source: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name: 'warm', labels },
    spec: { runtime: 'node', source, handler: 'fn.handler', timeout: '30s', parallelism: 50, warm: { max: 1, concurrency: 4, idleTimeout: '1m' }, ...spec },
  };
}

async function invokeAll(engine: Engine, inputs: unknown[]): Promise<Execution[]> {
  const enqueued = await engine.invoke(inputs.map((input) => ({ namespace: 'default', function: 'warm', input })));
  return Promise.all(enqueued.map(async ({ execution }) => (await engine.waitForEnd(execution.id, 60_000))!));
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('warm replicas (node handler, real processes)', () => {
  it('runs many executions in one replica process, several at once up to its concurrency', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source));
      const executions = await invokeAll(engine, Array.from({ length: 40 }, (_, index) => ({ kind: 'sleep', ms: 20, echo: index })));
      assert.deepEqual(executions.map((e) => e.status), Array(40).fill('succeeded'));
      const results = executions.map((e) => e.result as Result);
      assert.equal(new Set(results.map((r) => r.pid)).size, 1, 'one replica served every execution');
      const most = Math.max(...results.map((r) => r.concurrent));
      assert.ok(most > 1 && most <= 4, `at most 4 at once, and more than one (saw ${most})`);
      assert.deepEqual(executions.map((e) => (e.result as { echo: number }).echo), Array.from({ length: 40 }, (_, index) => index));
      const [pool] = engine.poolStatus();
      assert.deepEqual([pool.name, pool.desired, pool.ready], ['warm', 1, 1]);
    }));

  it('keeps each execution’s log lines with its own attempt with concurrency > 1', () =>
    withWarmEngine(async (engine, store, source) => {
      await engine.deploy(warmFunction(source));
      const executions = await invokeAll(engine, Array.from({ length: 8 }, () => ({ kind: 'log', lines: 5, gapMs: 7 })));
      assert.equal(new Set(executions.map((e) => (e.result as Result).pid)).size, 1);
      assert.ok(Math.max(...executions.map((e) => (e.result as Result).concurrent)) > 1);
      for (const execution of executions) {
        const lines = await store.readLogs(execution.id, { limit: 100 });
        assert.deepEqual(
          lines.map((line) => [line.attempt, line.stream, line.line]),
          Array.from({ length: 5 }, (_, i) => [1, 'stdout', `[INFO] line ${i} of ${execution.id}`]),
        );
      }
    }));

  it('gives a plain untagged line to the one execution in flight with concurrency 1', () =>
    withWarmEngine(async (engine, store, source) => {
      await engine.deploy(warmFunction(source, { warm: { max: 1, concurrency: 1 } }));
      const [execution] = await invokeAll(engine, [{ kind: 'print' }]);
      const lines = await store.readLogs(execution.id, { limit: 10 });
      assert.deepEqual(lines.map((line) => line.line), [`plain line of ${execution.id}`]);
    }));

  it('fails an execution whose handler throws, with its message, and the replica serves on', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { retry: { limit: 0 } }));
      const [failed, next] = await invokeAll(engine, [{ kind: 'fail', name: 'q3' }, { kind: 'sleep', ms: 1 }]);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'no such report: q3');
      assert.equal(failed.attempts[0].reason, 'Error');
      assert.equal(next.status, 'succeeded');
    }));

  it('stops a replica busy past an invocation’s deadline: that attempt times out and is retried, the others on it are lost and retried, and a new replica serves', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { timeout: '1s', retry: { limit: 1, on: ['timeout', 'lost'], backoff: { initial: '100ms', jitter: false } } }));
      const [stuckRequest] = await engine.invoke([{ namespace: 'default', function: 'warm', input: { kind: 'sleep', ms: 600_000 } }]);
      await until(async () => (await engine.waitForEnd(stuckRequest.execution.id, 0))?.status === 'running', 10_000, 'the first execution to run');
      await new Promise((resolve) => setTimeout(resolve, 400));
      // In flight on the same replica when the first one's deadline passes, its own deadline later.
      const [bystanderRequest] = await engine.invoke([{ namespace: 'default', function: 'warm', input: { kind: 'sleep', ms: 900 } }]);
      const stuck = (await engine.waitForEnd(stuckRequest.execution.id, 60_000))!;
      const bystander = (await engine.waitForEnd(bystanderRequest.execution.id, 60_000))!;
      assert.equal(stuck.status, 'timed_out');
      assert.deepEqual(stuck.attempts.map((a) => [a.status, a.reason]), [['timed_out', 'DeadlineExceeded'], ['timed_out', 'DeadlineExceeded']]);
      assert.equal(bystander.status, 'succeeded');
      assert.deepEqual(bystander.attempts.map((a) => [a.status, a.reason]), [['lost', 'ReplicaLost'], ['succeeded', null]]);
      assert.match(bystander.attempts[0].error ?? '', /another invocation on it passed its deadline/);
      const [after] = await invokeAll(engine, [{ kind: 'sleep', ms: 1 }]);
      assert.equal(after.status, 'succeeded');
      await until(() => engine.poolStatus()[0]?.ready === 1, 10_000, 'a replacement replica');
    }));

  it('loses the executions of a replica that crashes, retries them, and replaces the replica', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { retry: { limit: 1, on: ['lost'], backoff: { initial: '100ms', jitter: false } } }));
      const [crashed] = await invokeAll(engine, [{ kind: 'crash' }]);
      assert.equal(crashed.status, 'succeeded');
      assert.equal(crashed.attempts.length, 2);
      assert.equal(crashed.attempts[0].status, 'lost');
      assert.equal(crashed.attempts[0].reason, 'ReplicaLost');
      assert.match(crashed.attempts[0].error ?? '', /exited with code 3/);
      assert.equal((crashed.result as Result).attempt, 2);
    }));

  it('drains the replicas of the old version when a new version is deployed', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source));
      const [first] = await invokeAll(engine, [{ kind: 'sleep', ms: 1 }]);
      const oldPid = (first.result as Result).pid;
      writeHandler(source, 'v2');
      await engine.deploy(warmFunction(source, {}, { revision: '2' }));
      const [second] = await invokeAll(engine, [{ kind: 'sleep', ms: 1 }]);
      assert.equal((second.result as Result).marker, 'v2');
      assert.notEqual((second.result as Result).pid, oldPid);
      await until(() => !alive(oldPid), 10_000, 'the old replica to exit');
      assert.equal(engine.poolStatus()[0].version, 2);
    }));

  it('scales a pool to zero once idleTimeout has passed without work', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { warm: { max: 2, concurrency: 1, idleTimeout: '1s' } }));
      const executions = await invokeAll(engine, [{ kind: 'sleep', ms: 300 }, { kind: 'sleep', ms: 300 }]);
      const pids = executions.map((e) => (e.result as Result).pid);
      assert.equal(new Set(pids).size, 2, 'two replicas for two executions at concurrency 1');
      await until(() => engine.poolStatus()[0]?.desired === 0 && engine.poolStatus()[0]?.ready === 0, 15_000, 'the pool at zero');
      await until(() => pids.every((pid) => !alive(pid)), 10_000, 'the replicas to exit');
      assert.ok(engine.scaleEvents() >= 2);
    }));

  it('runs the executions of a handler whose replicas cannot start on demand, failing them with why', () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { handler: 'fn.missing', retry: { limit: 0 } }));
      const [execution] = await invokeAll(engine, [{ kind: 'sleep', ms: 1 }]);
      assert.equal(execution.status, 'failed');
      assert.match(execution.error ?? '', /exports no function missing/);
    }));

  it('applies the memory limit to each replica: one that exceeds it is OOM-killed and its execution lost', { skip: memoryLimitSupport().enforced ? false : 'memory cgroups not usable here' }, () =>
    withWarmEngine(async (engine, _store, source) => {
      await engine.deploy(warmFunction(source, { resources: { memory: '64Mi' }, retry: { limit: 0 } }));
      const [big] = await invokeAll(engine, [{ kind: 'alloc', mb: 256 }]);
      assert.equal(big.status, 'failed');
      assert.equal(big.attempts[0].status, 'lost');
      assert.equal(big.attempts[0].reason, 'OOMKilled');
      const [small] = await invokeAll(engine, [{ kind: 'alloc', mb: 8 }]);
      assert.equal(small.status, 'succeeded');
    }));

  it('runs each replica as a dynamic user of its own when asked, and still applies its memory limit', { skip: process.geteuid?.() !== 0 ? 'needs root to switch users' : memoryLimitSupport().enforced ? false : 'memory cgroups not usable here' }, () => {
    const range = { first: 1_879_100_200, last: 1_879_100_299 };
    const locks = mkdtempSync(join(tmpdir(), 'pontoon-warm-uids-'));
    dirs.push(locks);
    return withWarmEngine(
      async (engine, _store, source) => {
        await engine.deploy(warmFunction(source, { resources: { memory: '64Mi' }, retry: { limit: 0 }, warm: { max: 2, concurrency: 1, idleTimeout: '1m' } }));
        const executions = await invokeAll(engine, [{ kind: 'sleep', ms: 300 }, { kind: 'sleep', ms: 300 }]);
        const uids = executions.map((execution) => {
          assert.equal(execution.status, 'succeeded', JSON.stringify(execution));
          const status = readFileSync(`/proc/${(execution.result as Result).pid}/status`, 'utf8');
          return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
        });
        for (const uid of uids) assert.ok(uid >= range.first && uid <= range.last, `replica uid ${uid} is in the range`);
        const pids = new Set(executions.map((execution) => (execution.result as Result).pid));
        assert.equal(new Set(uids).size, pids.size, 'a uid per replica');
        const [big] = await invokeAll(engine, [{ kind: 'alloc', mb: 256 }]);
        assert.equal(big.attempts[0].reason, 'OOMKilled', JSON.stringify(big));
      },
      { users: dynamicUsers(range, locks) },
    );
  });
});
