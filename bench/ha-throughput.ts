/**
 * Throughput of no-op executions (`true`, one process each) end to end through real `pontoon up`
 * controllers: one on SQLite, then 1, 2 and 3 on one PostgreSQL, in the same run.
 *
 *   node dist/bench/ha-throughput.js [executions]     (default 2000)
 *
 * Uses PONTOON_TEST_PG_URL when set, else starts a throwaway cluster (scripts/pg-cluster.sh) and
 * stops it at the end. Each configuration gets a fresh schema or data dir; executions are
 * enqueued in batches of 1,000 spread over the controllers, and the clock runs from the first
 * enqueue to the moment every execution has succeeded.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { api, killHard, startController, stopController, type Controller } from '../test/ha/controllers.js';

const executions = Number(process.argv[2] ?? 2000);
const capacity = 8;

/** Runs one configuration and returns executions per second. */
async function measure(name: string, store: string, controllers: number, openCounter: (dataDir: string) => Promise<Store>): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'pontoon-ha-bench-'));
  const running: Controller[] = [];
  try {
    for (let index = 0; index < controllers; index++) {
      running.push(await startController({ store, dataDir: store === 'sqlite' ? root : join(root, `c${index}`), capacity, lease: '15s' }));
    }
    await api(running[0].url, 'PUT', '/v1/namespaces/default/functions/noop', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'noop' },
      spec: { runtime: 'command', command: ['true'], parallelism: 10_000 },
    });
    const counter = await openCounter(root);
    try {
      const started = performance.now();
      for (let offset = 0, batch = 0; offset < executions; offset += 1000, batch++) {
        const size = Math.min(1000, executions - offset);
        await api(running[batch % controllers].url, 'POST', '/v1/namespaces/default/functions/noop/batch', { inputs: Array.from({ length: size }, (_, i) => offset + i) });
      }
      const until = Date.now() + 300_000;
      for (;;) {
        const counts = await counter.countExecutions('default', 'noop');
        if (counts.succeeded + counts.failed + counts.timed_out + counts.cancelled >= executions) break;
        if (Date.now() > until) throw new Error(`${name}: not done within 5 minutes: ${JSON.stringify(counts)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      const perSecond = executions / seconds;
      console.log(`${name.padEnd(26)} ${executions} executions in ${seconds.toFixed(1)} s: ${perSecond.toFixed(0)}/s`);
      return perSecond;
    } finally {
      await counter.close();
    }
  } finally {
    for (const controller of running) await stopController(controller).catch(() => killHard(controller));
    rmSync(root, { recursive: true, force: true });
  }
}

let clusterDir: string | undefined;
let url = process.env.PONTOON_TEST_PG_URL;
if (!url) {
  const printed = execFileSync('bash', ['scripts/pg-cluster.sh', 'start'], { encoding: 'utf8' });
  url = /PONTOON_TEST_PG_URL=(\S+)/.exec(printed)![1];
  clusterDir = /PONTOON_TEST_PG_DIR=(\S+)/.exec(printed)![1];
}
try {
  console.log(`no-op executions, capacity ${capacity} per controller, ${executions} per configuration`);
  await measure('sqlite, 1 controller', 'sqlite', 1, async (dir) => openSqliteStore({ file: join(dir, 'pontoon.db') }));
  for (const controllers of [1, 2, 3]) {
    const schema = `bench_${controllers}_${process.pid}`;
    const store = `${url}?schema=${schema}`;
    await measure(`postgres, ${controllers} controller${controllers > 1 ? 's' : ''}`, store, controllers, () => openPostgresStore({ url, schema }));
    spawnSync('psql', [url, '-qc', `DROP SCHEMA ${schema} CASCADE`], { stdio: 'ignore' });
  }
} finally {
  if (clusterDir) spawnSync('bash', ['scripts/pg-cluster.sh', 'stop', clusterDir], { stdio: 'inherit' });
}
