import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { localEngine } from '../helpers/engine.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('an ending with no completion event to deliver', () => {
  it('is stored as notified at once; endings with a sink, a global sink or a callback wait for the deliverer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-notified-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    const runtimes = createRuntimes({ cacheDir: join(dir, 'builds') });
    const engine = localEngine({ store, runtimes, workRoot: join(dir, 'work-a'), globalSinks: [] });
    const withGlobalSink = localEngine({ store, runtimes, workRoot: join(dir, 'work-b'), globalSinks: ['http://127.0.0.1:9/every-ending'] });
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
