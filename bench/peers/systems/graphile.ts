/** Graphile Worker on the same PostgreSQL as Pontoon: one runner process with the total concurrency. */
import { makeWorkerUtils, runMigrations } from 'graphile-worker';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { treeCpuMs } from '../../lib/proc-cpu.js';
import type { PostgresCluster } from '../infra/postgres.js';
import { graphileBatching } from './graphile-batching.js';
import { WorkerChild } from './peer-process.js';
import { insertInChunks, runOneOn } from './peer-session.js';
import type { System } from './system.js';

const workerScript = fileURLToPath(new URL('./graphile-worker-child.js', import.meta.url));

/** Graphile Worker with its defaults, or with its documented batching options. */
export function graphileSystem(batched: boolean, postgres: () => PostgresCluster): System {
  return {
    key: batched ? 'graphile-batched' : 'graphile',
    pontoon: false,
    description: batched
      ? `Graphile Worker, batching on (${JSON.stringify(graphileBatching.worker)}), one runner in a child process`
      : 'Graphile Worker with its defaults, one runner in a child process',
    startMeasuredBy: "Date.now() at the task handler's first line (with the local queue, `locked_at` is the fetch into the queue, earlier than the start)",
    async open(concurrency, needs) {
      const database = `graphile_${process.pid}_${Date.now()}`;
      const connectionString = await postgres().createDatabase(database);
      // Our own pool, ended (and awaited) before the database is dropped: Graphile's release()
      // ends a pool it made without waiting, and the drop would then kill its connections.
      const pool = new pg.Pool({ connectionString, max: 10 });
      // Ended clients' backends may outlive end() by a moment; the drop then terminates them and
      // their sockets report it. Only errors before the close are news.
      let closing = false;
      pool.on('error', (error) => closing || console.error(`graphile session pool: ${error.message}`));
      pool.on('connect', (client) => client.on('error', () => undefined));
      await runMigrations({ pgPool: pool });
      const utils = await makeWorkerUtils({ pgPool: pool });
      const worker = await WorkerChild.start(
        workerScript,
        { BENCH_PG_URL: connectionString, BENCH_CONCURRENCY: String(concurrency), BENCH_GRAPHILE_PRESET: JSON.stringify(batched ? graphileBatching : {}) },
        needs,
      );
      const submitOne = async () => String((await utils.addJob('noop', {})).id);
      return {
        insertMany: (count) => insertInChunks(count, (size) => utils.addJobs(Array.from({ length: size }, () => ({ identifier: 'noop', payload: {} })))),
        submitOne,
        runOne: () => runOneOn(worker, submitOne),
        async remaining() {
          // A finished job is deleted from the table: what is left is queued or running.
          const result = await pool.query('SELECT count(*)::int AS n FROM graphile_worker._private_jobs');
          return result.rows[0].n;
        },
        startTimes: () => worker.startTimes(),
        cpuMs: () => ({ server: treeCpuMs(worker.pid), functions: 0, store: treeCpuMs(postgres().pid) }),
        async close() {
          await worker.stop();
          closing = true;
          await utils.release();
          await pool.end();
          await postgres().dropDatabase(database);
        },
      };
    },
  };
}
