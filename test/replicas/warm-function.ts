import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeHandler } from './handlers.js';

/** A warm function `warm` (handlers.ts) served by one replica, up and waiting in its long poll. */
export interface WarmFunction {
  engine: Engine;
  /** The real store, without what `wrap` put in front of it. */
  sqlite: SqliteStore;
  /** Stops the engine, closes the store and removes the temp dir. */
  stop(): Promise<void>;
}

/** How the warm function and its engine are set up. */
export interface WarmFunctionOptions {
  /** The replica's concurrency. */
  concurrency: number;
  /** The controller's capacity (default 8). */
  capacity?: number;
  /** What the engine sees of the store: a counting or slow view of the real one. */
  wrap?: (store: SqliteStore) => Store;
  /** The function's spec.retry (default: none). */
  retry?: Record<string, unknown>;
}

/**
 * Starts an engine on a real SQLite store in a temp dir, polling once an hour (only wake-ups and
 * handoffs move work), deploys `warm` with one replica, and runs one execution, which brings the
 * replica up; then waits for its next long poll to settle in.
 */
export async function startWarmFunction(options: WarmFunctionOptions): Promise<WarmFunction> {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-warm-fn-'));
  const sqlite = openSqliteStore({ file: join(dir, 'pontoon.db') });
  const store = options.wrap ? options.wrap(sqlite) : sqlite;
  const engine = warmEngine({ store, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), capacity: options.capacity ?? 8, pollMs: 3_600_000 });
  const stop = async () => {
    await engine.stop();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await engine.start();
    await engine.deploy({
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'warm' },
      spec: {
        runtime: 'node',
        source: writeHandler(join(dir, 'src')),
        handler: 'fn.handler',
        warm: { min: 1, max: 1, concurrency: options.concurrency },
        ...(options.retry ? { retry: options.retry } : {}),
      },
    });
    const [first] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
    assert.equal((await engine.waitForEnd(first.execution.id, 60_000))?.status, 'succeeded');
    await new Promise((resolve) => setTimeout(resolve, 300));
  } catch (thrown) {
    await stop();
    throw thrown;
  }
  return { engine, sqlite, stop };
}
