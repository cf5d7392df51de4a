import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import { runtimeImages } from '../../src/executors/kubernetes/package-fetch.js';
import { replicaDeployment } from '../../src/executors/kubernetes/replica-deployment.js';
import type { FunctionVersion } from '../../src/domain/function-spec.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeHandler } from './handlers.js';

/**
 * The lanes a store asks of warm replicas (PONTOON_REPLICA_LANES, a default the function's env
 * may override): PostgreSQL asks for one (src/app/start.ts, openStore), SQLite leaves the SDK's.
 */

/** What the replica serving `warm` saw in PONTOON_REPLICA_LANES, with the function's env as given. */
async function lanesSeen(engine: Engine, source: string, env: Record<string, string> | undefined, prefetch?: number): Promise<unknown> {
  await engine.deploy({
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name: 'warm' },
    spec: { runtime: 'node', source, handler: 'fn.handler', warm: { min: 1, max: 1, concurrency: 2, ...(prefetch === undefined ? {} : { prefetch }) }, ...(env ? { env } : {}) },
  });
  const [invoked] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
  const ended = await engine.waitForEnd(invoked.execution.id, 60_000);
  assert.equal(ended?.status, 'succeeded', JSON.stringify(ended));
  return (ended?.result as { lanes: unknown }).lanes;
}

async function withWarmEngine(replicaLanes: number | undefined, work: (engine: Engine, source: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-lanes-'));
  const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
  const engine = warmEngine({ store, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), replicaLanes });
  try {
    await engine.start();
    await work(engine, writeHandler(join(dir, 'src')));
  } finally {
    await engine.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the lanes a store asks of warm replicas', () => {
  it('reach a local replica as PONTOON_REPLICA_LANES, under what the function sets', async () => {
    await withWarmEngine(1, async (engine, source) => {
      assert.equal(await lanesSeen(engine, source, undefined), '1');
      // A new version with its own value: its replica gets that, not the store's default.
      assert.equal(await lanesSeen(engine, source, { PONTOON_REPLICA_LANES: '3' }), '3');
    });
  });

  it('are left to the SDK for a replica that claims ahead at least its concurrency (spec.warm.prefetch)', async () => {
    await withWarmEngine(1, async (engine, source) => {
      assert.equal(await lanesSeen(engine, source, undefined, 1), '1', 'prefetch below concurrency: whole batches need one lane');
      assert.equal(await lanesSeen(engine, source, undefined, 2), null);
    });
  });

  it('are not set at all when the store has no preference', async () => {
    await withWarmEngine(undefined, async (engine, source) => {
      assert.equal(await lanesSeen(engine, source, undefined), null);
    });
  });

  it('go into a Kubernetes pool’s pod template once, the function’s own value winning', () => {
    const settings = { runtimeApi: '127.0.0.1:7072', controllerId: 'c1', graceSeconds: 5, observerImage: 'observer:1', runtimeImages: runtimeImages() };
    const owner = { uid: 'u1' };
    const version = (env?: Record<string, string>): FunctionVersion => ({
      namespace: 'default',
      name: 'doubler',
      version: 1,
      createdAt: new Date(0).toISOString(),
      document: { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'doubler', namespace: 'default' }, spec: { image: 'registry.example/doubler:1.0', ...(env ? { env } : {}) } },
    } as unknown as FunctionVersion);
    const lanesOf = (fn: FunctionVersion, laneSetting: number | undefined, prefetch?: number) => {
      const deployment = replicaDeployment(fn, { min: 0, max: 2, idleTimeout: '1m', concurrency: 8, prefetch }, owner, { ...settings, replicaLanes: laneSetting });
      const env = (deployment as any).spec.template.spec.containers[0].env as { name: string; value?: string }[];
      return env.filter((entry) => entry.name === 'PONTOON_REPLICA_LANES').map((entry) => entry.value);
    };
    assert.deepEqual(lanesOf(version(), 1), ['1']);
    assert.deepEqual(lanesOf(version({ PONTOON_REPLICA_LANES: '2' }), 1), ['2']);
    assert.deepEqual(lanesOf(version(), undefined), []);
    assert.deepEqual(lanesOf(version(), 1, 8), [], 'a replica claiming ahead its concurrency keeps the SDK’s lanes');
    assert.deepEqual(lanesOf(version(), 1, 7), ['1']);
  });
});
