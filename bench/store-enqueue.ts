/**
 * The store's bulk enqueue alone, no HTTP: N executions of one function enqueued in calls of B
 * (the batch endpoint's chunks, as bench:peers inserts them), after a first round that warms the
 * statements; CPU and wall time per execution.
 *   node dist/bench/store-enqueue.js [N=10000] [B=2000] [sqlite | sqlite-thread | postgres://…]
 * `sqlite-thread` runs the SQLite store on its own thread, as the server does; `postgres` alone
 * takes PONTOON_TEST_PG_URL (as scripts/pg-cluster.sh prints it) and uses a fresh schema.
 *
 * Session 13 (2-core VM, SQLite on its thread, three alternating pairs of 10,000 in calls of 2,000):
 * the INSERT read each new row back with `RETURNING *`, which SQLite answers through a temporary
 * table opened for every statement (perf: about a third of the time in pwrite and the kernel's
 * write path under sqlite3BtreeInsert; `temp_store = MEMORY` alone took it to 34 µs). Inserting
 * without RETURNING and building the row from the values it stored: 49 → 22 µs of CPU per
 * execution; bench:peers' burn-down of 20,000 (SQLite warm, three alternating pairs, quiet machine):
 * insert rate 14,093-15,256 → 24,700-27,432/s, drain 2,746-3,227 → 3,327-3,441/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { openThreadedSqliteStore } from '../src/store/sqlite/threaded-store.js';
import { commandFunction } from './lib/store-fixtures.js';

const total = Number(process.argv[2] ?? 10_000);
const chunk = Number(process.argv[3] ?? 2_000);
const where = process.argv[4] === 'postgres' ? process.env.PONTOON_TEST_PG_URL : (process.argv[4] ?? 'sqlite');
if (where === undefined) throw new Error('postgres needs PONTOON_TEST_PG_URL (see scripts/pg-cluster.sh)');
const pgUrl = /^postgres(ql)?:\/\//.test(where) ? where : undefined;

const dir = mkdtempSync(join(tmpdir(), 'pontoon-enqueue-'));
const schema = `enqueue_${process.pid}`;
const store = pgUrl
  ? await openPostgresStore({ url: pgUrl, schema })
  : where === 'sqlite-thread'
    ? await openThreadedSqliteStore({ file: join(dir, 'pontoon.db') })
    : openSqliteStore({ file: join(dir, 'pontoon.db') });

/** Enqueues `total` no-op executions, `chunk` per call. */
async function enqueueAll(): Promise<void> {
  for (let done = 0; done < total; done += chunk) {
    const inputs = Array.from({ length: Math.min(chunk, total - done) }, (_, index) => ({ namespace: 'default', function: 'noop', input: { index } }));
    await store.enqueueExecutions(inputs, new Date().toISOString());
  }
}

try {
  await store.putFunction(commandFunction('noop', 8));
  await enqueueAll();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await enqueueAll();
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      executions: total,
      chunk,
      store: pgUrl ? 'postgres' : where,
      perSecond: Math.round(total / (elapsedMs / 1000)),
      usPerExecution: Number(((1000 * elapsedMs) / total).toFixed(1)),
      cpuUsPerExecution: Number(((used.user + used.system) / total).toFixed(1)),
    }),
  );
} finally {
  if (pgUrl) {
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
