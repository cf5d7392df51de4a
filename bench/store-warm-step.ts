/**
 * Issue 16, the warm path's store step alone, no HTTP: N queued no-op executions of one function
 * drained by completeAndClaimFunction in batches of B (settle the last batch, take the next), as
 * the runtime API does for a replica with concurrency B. Its time per execution is the floor the
 * SQLite store sets under the warm drain.
 *   node dist/bench/store-warm-step.js [N] [B] [postgres://… (or PONTOON_TEST_PG_URL with `postgres`) | sqlite-thread]
 * `sqlite-thread` runs the SQLite store on its own thread, as the server does (threaded-store.ts):
 * the process's CPU then includes the messages' clones, and the main thread's is shown apart.
 * On PostgreSQL (a fresh schema on the given server) it also counts the round trips per batch
 * (every query a pooled client sends; a multi-statement text is one) and the WAL bytes per batch
 * (pg_current_wal_lsn before and after); with PONTOON_BENCH_PG_DATA (the cluster's data directory,
 * as scripts/pg-cluster.sh makes it under PONTOON_TEST_PG_DIR) also the CPU of the server's
 * backends per execution, read from /proc.
 *
 * Measured (2 shared cores, alternating with the previous build in the same minutes, CPU µs per
 * execution, which moves less with the machine's load than the rate): before migration 8 and the
 * set-based batch, 196–300 µs (3,000–4,300/s); after, 118–177 µs (4,000–7,100/s). With every
 * listing index dropped (a probe, not a configuration) it was ~85 µs: the status listings' and the
 * dequeued index's rewrites at every move were more than half of the step, through the pages each
 * adds to a commit (114 KB of WAL per step of 8 before, 85 KB after).
 *
 * Session 9, durable cluster (fsync, synchronous_commit and full_page_writes on), batches of 8:
 * the fence and the end had hash-joined a sequential scan of attempts and of executions into
 * every batch, because each connection cached the generic plan it made while the fresh tables
 * were a few pages (see transaction() in src/store/postgres/connection.ts), so a batch's cost
 * grew with the tables: PostgreSQL CPU 772-820 µs per execution over 5,000 and 1,411 over
 * 20,000. With the store's transactions planning nested loops over indexes, alternating pairs
 * of 20,000 at load 2-4: 1,053-1,288 µs before, 453-603 after; 442-605/s before, 736-1,280/s
 * after; this process's CPU 233-329 µs either way; 4 round trips and ~19.5 KB of WAL per batch
 * either way. What is left is the writes (pg_stat_statements: the end-and-start statement
 * 2.3 ms of 2.6 per batch, ~630 buffers: two non-HOT updates of 8 executions through their
 * indexes, 8 attempts inserted and updated) and the lock statement's planning (0.2 ms, its ids
 * quoted into the text so that it goes with BEGIN).
 *
 * Session 10, SQLite on its own thread (`sqlite-thread`), three alternating pairs of 8,000 in
 * batches of 8 at load ~6: process CPU per execution 122/143/130 µs on the main thread, 164/164/154
 * on its own thread (the clones of each step's 8 completions and 8 claimed attempts, both ways),
 * of which the main thread's 109-128 → 18-19 µs; 5,459-7,008/s → 5,373-5,557/s, one step at a
 * time with nothing to overlap it here. The server gains by what its event loop no longer does
 * (bench/warm-drain.ts).
 *
 * Session 12, SQLite, batches of 4 (a replica lane's): a commit costs about as much as settling and
 * claiming four executions (135-140, 98-108 and 80-84 µs per execution at batches of 4, 8 and 16),
 * most of it the WAL frames it writes, one pwrite per page changed (perf: 14% of the step), and the
 * pages are the indexes' (a probe without the four listing indexes that ended and started
 * executions enter: 119-125 µs against 160-195). The ended attempts' two statements over json_each
 * of the completions parsed each completion's JSON again for every `->>` (~10% of the step), and
 * the settlement and the claim each opened a savepoint inside the transaction: bound statements
 * per attempt and no savepoints, three alternating pairs, 138-148 -> 124-128 µs of CPU per
 * execution. What is left beside the commit: turning rows into JS objects (11%, the claim's
 * RETURNING of whole execution rows) and the index writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { childPids, processCpu } from './lib/proc-cpu.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { openThreadedSqliteStore } from '../src/store/sqlite/threaded-store.js';
import { commandFunction, succeeded } from './lib/store-fixtures.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 8);

const where = process.argv[4] === 'postgres' ? process.env.PONTOON_TEST_PG_URL : process.argv[4];
const pgUrl = where !== undefined && /^postgres(ql)?:\/\//.test(where) ? where : undefined;

// Counts the round trips of the store's pooled clients (the bench's own WAL reads are subtracted).
let roundTrips = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTrips++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const dir = mkdtempSync(join(tmpdir(), 'pontoon-step-'));
const schema = `step_${process.pid}`;
const onThread = where === 'sqlite-thread';
const store = pgUrl
  ? await openPostgresStore({ url: pgUrl, schema })
  : onThread
    ? await openThreadedSqliteStore({ file: join(dir, 'pontoon.db') })
    : openSqliteStore({ file: join(dir, 'pontoon.db') });
// This process's main thread alone: with the store on its thread, what the messages cost the event loop.
const mainThreadCpuMs = () => processCpu(`self/task/${process.pid}`)?.self ?? 0;
const admin = pgUrl ? new pg.Client({ connectionString: pgUrl }) : undefined;
await admin?.connect();
const walLsn = async () => (admin ? String((await admin.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn) : '0/0');
const walBytes = async (from: string) => (admin ? Number((await admin.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS d', [from])).rows[0].d) : 0);
// The PostgreSQL server's CPU (its backends, children of the postmaster), when its data directory is given.
const postmaster = process.env.PONTOON_BENCH_PG_DATA ? Number(readFileSync(join(process.env.PONTOON_BENCH_PG_DATA, 'postmaster.pid'), 'utf8').split('\n')[0]) : undefined;
const serverCpuMs = () => (postmaster ? childPids(postmaster).reduce((sum, pid) => sum + (processCpu(pid)?.self ?? 0), 0) : 0);
try {
  await store.putFunction(commandFunction('noop', batch));
  for (let done = 0; done < total; done += 2000) {
    const inputs = Array.from({ length: Math.min(2000, total - done) }, () => ({ namespace: 'default', function: 'noop', input: null }));
    await store.enqueueExecutions(inputs, new Date().toISOString());
  }
  const claimOptions = () => ({ owner: 'bench', now: new Date().toISOString(), leaseMs: 60_000, limit: batch, function: { namespace: 'default', name: 'noop' } });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const lsn = await walLsn();
  const serverCpuBefore = serverCpuMs();
  const tripsBefore = roundTrips;
  let batches = 0;
  let claimed = await store.claimFunctionExecutions(claimOptions());
  let drained = 0;
  while (claimed.length > 0) {
    const now = new Date().toISOString();
    const step = await store.completeAndClaimFunction(
      claimed.map((claim) => succeeded(claim, now)),
      claimOptions(),
    );
    drained += claimed.length;
    batches++;
    claimed = step.claimed;
  }
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const trips = roundTrips - tripsBefore - (admin ? 2 : 0);
  const wal = await walBytes(lsn);
  const serverCpu = serverCpuMs() - serverCpuBefore;
  console.log(
    JSON.stringify({
      executions: drained,
      batch,
      perSecond: Math.round(drained / (elapsedMs / 1000)),
      usPerExecution: Math.round((1000 * elapsedMs) / drained),
      cpuUsPerExecution: Math.round((used.user + used.system) / drained),
      mainThreadCpuUsPerExecution: Math.round(((mainThreadCpuMs() - mainBefore) * 1000) / drained),
      ...(pgUrl ? { roundTripsPerBatch: Number((trips / batches).toFixed(2)), walBytesPerBatch: Math.round(wal / batches) } : {}),
      ...(postmaster ? { serverCpuUsPerExecution: Math.round((serverCpu * 1000) / drained) } : {}),
    }),
  );
} finally {
  if (admin) {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
