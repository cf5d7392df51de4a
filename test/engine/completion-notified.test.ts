import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Engine } from '../../src/engine/engine.js';
import { ExecutionEvents } from '../../src/engine/execution-events.js';
import { LocalExecutor } from '../../src/executors/local/local-executor.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('an ending with no completion event to deliver', () => {
  it('is stored as notified at once; endings with a sink, a global sink or a callback wait for the deliverer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-notified-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    const runtimes = createRuntimes({ cacheDir: join(dir, 'builds') });
    /** An engine with a local executor of its own, on the shared store. */
    const controller = (globalSinks: string[]) => {
      let engine!: Engine;
      const executor = new LocalExecutor({
        sink: { logs: (ref, lines) => engine.logs(ref, lines), finished: (ref, report) => engine.finished(ref, report) },
        runtimes,
        workRoot: join(dir, `work-${globalSinks.length}`),
        graceMs: 1000,
        logLimitBytes: 1 << 20,
        resultLimitBytes: 1 << 20,
        hosts: 1,
      });
      engine = new Engine({ store, executor, runtimes, events: new ExecutionEvents(), logger: pino({ level: 'silent' }), owner: 'test', capacity: 2, leaseMs: 60_000, pollMs: 50, globalSinks });
      return engine;
    };
    const engine = controller([]);
    const withGlobalSink = controller(['http://127.0.0.1:9/every-ending']);
    const deploy = (name: string, spec: Record<string, unknown>) =>
      engine.deploy({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec: { runtime: 'command', command: ['true'], retry: { limit: 0 }, ...spec } });
    const run = async (fn: string, callbackUrl?: string) => {
      const [created] = await engine.invoke([{ namespace: 'default', function: fn, input: null, callbackUrl }]);
      return created.execution.id;
    };
    try {
      await deploy('plain', {});
      await deploy('watched', { sinks: [{ url: 'http://127.0.0.1:9/sink' }] });
      await deploy('watched-on-failure', { sinks: [{ url: 'http://127.0.0.1:9/sink', on: ['failed'] }] });
      engine.start();
      const plain = await run('plain');
      const watched = await run('watched');
      const notOnSuccess = await run('watched-on-failure');
      const called = await run('plain', 'http://127.0.0.1:9/callback');
      for (const id of [plain, watched, notOnSuccess, called]) assert.equal((await engine.waitForEnd(id, 20_000))?.status, 'succeeded');
      const waiting = new Set((await store.listUnnotifiedExecutions(10)).map((execution) => execution.id));
      assert.deepEqual(waiting, new Set([watched, called]));
    } finally {
      await engine.stop();
    }
    // A controller configured with a global sink (the first one is stopped, so this one runs it):
    // every ending has something to deliver.
    try {
      withGlobalSink.start();
      const [again] = await withGlobalSink.invoke([{ namespace: 'default', function: 'plain', input: null }]);
      assert.equal((await withGlobalSink.waitForEnd(again.execution.id, 20_000))?.status, 'succeeded');
      assert.ok((await store.listUnnotifiedExecutions(10)).some((execution) => execution.id === again.execution.id));
    } finally {
      await withGlobalSink.stop();
      await store.close();
    }
  });
});
