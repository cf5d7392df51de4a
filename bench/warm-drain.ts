/**
 * Issue 16, warm drain: N no-op executions of a node handler on warm replicas (one replica,
 * concurrency 8, parallelism 8), enqueued first, then drained; executions per second. Then the
 * latency of a synchronous invoke (`?wait=true`) of the same warm no-op, one after another over
 * loopback: p50 and p99. Embedded (SQLite) and, when given a postgres:// URL (or
 * PONTOON_TEST_PG_URL, as scripts/pg-cluster.sh prints it), on PostgreSQL in a fresh database.
 *   node dist/bench/warm-drain.js [count] [sqlite|postgres|both] [replicas] [concurrency]
 *
 * The replica keeps taking work while the enqueue runs (it is warm: that is the point), so the
 * drain rate counts what was left when the last batch was stored over the time it took to finish;
 * the overall rate (enqueue included) is shown beside it.
 *
 * This session (2-core VM shared with ~7 engineers' builds and tests, load average 11-25, so
 * absolute figures are a floor; the peers' side-by-side harness is issue 12's): SQLite 586/s
 * drain of 50,000, sync invoke p50 9.7 ms / p99 63 ms; PostgreSQL 360/s of 20,000, p50 21 ms /
 * p99 139 ms (241/s and p50 36 ms before a store stopped waking itself with its own NOTIFYs). In-process (tmp probe, SQLite, no API in the way) 1,611/s, with the controller at
 * ~340 µs of CPU per execution (enqueue included) and the replica at ~66 µs. Profiled, the
 * controller's time goes to the socket writes of the runtime API, the commits, and startAttempt's
 * UPDATE of executions (its partial indexes): ~80 µs per claimed execution under that load.
 *
 * Later (same machine, load average 6-29 from other work, so the CPU time per execution, which
 * moves far less with the load than the rates, is the figure to compare): SQLite 1,487/s drain of
 * 20,000 at load 6.6 with 377 µs of server CPU and 67 µs of replica CPU per execution (523/s and
 * 441 µs at load 19); PostgreSQL 257/s of 10,000 at load 29, 684 µs of server CPU. A replica with
 * concurrency 8 posts batches of 8 (counted at the runtime API: 1,875 posts of 8 for 15,000), one
 * `results?next=8` round trip each, so the server and the replica take turns: a pipeline one
 * batch deep, whose rate is 8 over one turn's time. Profiled on SQLite (server, 34 s busy of 45 s):
 * store transactions 37% (the claim half of settle-and-claim 15%, of it starting attempts 7.5%;
 * the settlement 3.4%), the socket writes of the runtime API's answers 13.5% (loopback writes that
 * wake the replica, charged to the writer), enqueue 7%, fastify 7%. On PostgreSQL the server is
 * 83% idle: it waits for each batch's ten round trips to PostgreSQL one after another (BEGIN,
 * three to settle, five to claim, COMMIT with its WAL flush), and with one replica nothing else
 * is under way meanwhile.
 *
 * Session 7, the runtime API's own per-batch work cut (no URL object, stream iterator, AbortController
 * or log capture per request or invocation; one deadline and at most one timer per batch): ten
 * alternating pairs of 20,000 on SQLite, load 4-8, server CPU per execution 333-494 µs before
 * (median 422), 317-454 after (median 379; 8 of 10 pairs lower, median pair -41 µs), replica
 * 55-80 µs before and 51-77 after; drain rates 812-2,202/s and 834-2,686/s (medians 1,090 and
 * 1,288; the load moves them more than the change). Profiled over the drain alone (hrtime window
 * of the run), the warm path's own JS (runtime-api, replica, replica-work, pool) is ~4% of the
 * server's samples and the store ~55%; the answer's writev (~14%) is one syscall per batch whose
 * samples are mostly the replica running on the writer's core after the wake-up: a bare node:http
 * stub answering the same SDK costs 24 µs of CPU per execution (4 of them system) at ~20,000/s.
 * The polling of this bench (`pending` every 5 ms near the end) is ~5% of the server's samples.
 *
 * Session 7, all of it merged (SQLite migration 8 and set-based batches, the runtime API's cuts,
 * group commit of invokes), two alternating pairs against the previous main at load 1.6-2.4:
 * drain 1,894 and 2,312/s before, 2,694 and 3,275/s after; server CPU per execution 462 and 383 µs
 * before, 323 and 266 after; replica 62-76 µs and 51-66; sync invoke p50 3.0-3.1 ms before, 2.5-2.7
 * after, p99 ~17 ms both. What limits it: the turn-taking above (one batch of 8 in flight per
 * replica of concurrency 8), and in the server's turn the store (its commits and the claim's and
 * settlement's statements, about 55% of the server's samples).
 *
 * Session 8, SQLite's WAL copied back by a background thread (src/store/sqlite/checkpointer.ts),
 * two alternating pairs against main at load 2-3.5: sync invoke p99 21.1 and 21.4 ms before, 9.8
 * and 11.3 ms after (p50 3.4-4.2 ms both); drain 2,528 and 2,373/s before, 2,830 and 2,489/s
 * after; server CPU per execution unchanged (334-381 µs). Over the drain, the commit's share of
 * the server's samples fell from 20% to 10%: the checkpoints it ran every ~48 batches (copying
 * ~1,000 WAL frames and two fsyncs on the event loop) now find the pages copied already.
 *
 * Session 9, the direct handoff (an invoke whose function's replica waits in its long poll is
 * enqueued and claimed for it in one transaction; the replica's settlement then goes without a
 * claim; bench/warm-invoke.ts has the breakdown), alternating pairs against main at load 4-6:
 * SQLite 20,000, sync invoke p50 6.28 → 3.99 and 4.72 → 4.56 ms, p99 21.0 → 16.4 and 18.1 →
 * 13.9 ms; drain 1,270 → 1,818/s and 1,991 → 2,017/s, server CPU per execution 543 → 409 and
 * 390 → 380 µs, replica 104 → 78 and 73 → 74 µs. PostgreSQL 3,000 (one pair): sync invoke p50
 * 29.3 → 13.6 ms, p99 108 → 27 ms; drain 449 → 410/s, server CPU 757 → 811 µs per execution.
 *
 * Session 9, the SQLite warm step's own work cut (sqlitecpu): the warm claim's `LIMIT ?` made
 * SQLite compile that statement again at every claim (its planner reads a bound LIMIT's value, so
 * each new binding expires the statement: ~30 µs a claim, three times the query's own run), now
 * `LIMIT ? + 0`; first attempts are made from what the claim inserted instead of read back (one
 * statement and a row per execution less); the settlement no longer names not_before (two partial
 * indexes less weighed per row); the transition counters move once per function of a batch, not per
 * attempt (prom-client validates and hashes the labels at each call: 23 → 16 µs per execution).
 * Store step alone (bench/store-warm-step.js 8000 8, alternating, CPU per execution): 203-207 µs
 * before and 176-198 after in three pairs at load ~5, 238-271 and 216-263 in three more at load 6-9.
 * Warm drain of 20,000 on SQLite, alternating with main at load 4-9 (server and replica CPU µs per
 * execution, drain/s): six pairs, main 494/87 906/s, 594/104 763/s, 277/54 3,414/s,
 * 399/74 1,553/s, 425/75 1,427/s, 622/110 831/s; this branch 382/74 988/s, 440/89 1,327/s, 334/68
 * 1,600/s, 547/116 1,414/s, 500/97 1,192/s, 374/72 1,351/s (server medians 460 and 411 µs). The
 * load moves every figure more than the change (the replica, whose code did not change, swings
 * 54-116 µs), so the server's CPU over the replica's, measured in
 * the same run, is the steadier comparison: 5.13-5.71 before (median 5.66), 4.72-5.19 after
 * (median 5.05), lower in each of the six pairs: about 10% of the server's CPU per execution.
 * What limits it now (CPU per statement of the step, measured around each call): in the server's turn the store's statements (the claim's UPDATE of
 * the executions rows and its RETURNING of them, ~40 µs per execution; the settlement's two UPDATEs,
 * ~50; each lifecycle UPDATE weighs every partial index whose columns it sets, ~1-3 µs per index per
 * row, whether or not the row enters it) and the commit of ~23 WAL frames per step of 8 (two writes
 * each); dropping the listing indexes one by one moved the step by less than the noise, so the
 * index entries themselves are no longer the cost. Beside the store, this session's profile of main
 * puts the runtime API's answer (writev, ~120 µs) and fastify.
 *
 * Session 9, PostgreSQL (durable cluster from scripts/pg-cluster.sh with PONTOON_PG_SETTINGS="-c
 * fsync=on -c synchronous_commit=on -c full_page_writes=on", PONTOON_BENCH_PG_DATA set so that
 * its CPU is counted), two alternating pairs of 20,000 against main at load 3-6: drain 209 and
 * 364/s before, 406 and 553/s after; CPU per execution, PostgreSQL 2,500 and 1,926 µs before,
 * 921 and 823 after; server 858 and 545 before, 545 and 525 after; replica ~100 µs. The fix: the
 * store's transactions plan nested loops over indexes (connection.ts), where each connection's
 * cached plans had scanned the growing attempts and executions tables in every batch. What
 * limits it now: CPU (server + PostgreSQL ~1.4 ms per execution on 2 shared cores), of which
 * this bench's own status polls are a part (a COUNT over the queue every 5 ms, 2.6-6 ms of
 * PostgreSQL each: 8.7 s of its ~40 s of CPU in one run), then the one batch in flight per replica.
 *
 * Session 10, the SQLite store on a thread of its own (src/store/sqlite/threaded-store.ts), eleven
 * alternating pairs of 20,000 against the store on the main thread, same build, load 5-8 (the
 * `serverMainThread` figure is the event loop's CPU alone, /proc/<pid>/task/<pid>): drain 3,095 →
 * 1,821, 1,695 → 2,937, 1,341 → 2,486, 2,061 → 2,311, 3,325 → 2,981, 1,616 → 2,501, 1,224 →
 * 1,637, 1,859 → 1,920, 1,536 → 2,231, 2,125 → 2,512, 1,386 → 1,624/s (higher in 9 of 11, medians
 * 1,695 → 2,311/s); server CPU per execution, both threads, medians 281 → 291 µs (the messages'
 * clones: +14-23 µs per execution in the store step alone); the main thread's in the five pairs
 * that measured it 206-278 → 93-122 µs. Two replicas (4th argument): 1,237 → 1,915 and 1,640 →
 * 1,606/s, main thread 252 → 95 and 215 → 95 µs. Server RSS +~30 MiB (the thread's V8 heap).
 *
 * Session 10, the node SDK's lanes (PONTOON_REPLICA_LANES=2, passed on by bench/lib/server.ts;
 * the 5th argument sets the concurrency): two lanes of 4 against one of 8 win at load 1-2 (+23-34%
 * drain) and lose at load 4-8 (lower in 8 of 9 pairs, server CPU +28-100 µs per execution); two
 * lanes of 8 at concurrency 16 drain 3,740-5,009/s against one lane's 2,667-2,737/s at load 1-2.
 * The pairs are in docs/warm-replicas.md ("What an SDK implements").
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { postgresCpuMs } from './lib/proc-cpu.js';
import { enqueue, pending, percentile, sleep, startBenchServer, type BenchServer } from './lib/server.js';

const count = Number(process.argv[2] ?? 50_000);
const which = process.argv[3] ?? 'both';
/** Warm replicas of the no-op (4th argument; 1 by default): each takes its batches in turns with the server. */
const replicas = Number(process.argv[4] ?? 1);
/** Slots per replica (5th argument; 8 by default). */
const concurrency = Number(process.argv[5] ?? 8);
/** The PostgreSQL cluster's data directory (PONTOON_BENCH_PG_DATA), to count its CPU beside the server's. */
let postgresData: string | undefined;

/** A node function whose handler returns null at once. */
async function deployNoop(server: BenchServer, source: string): Promise<void> {
  const answer = await server.call('PUT', '/v1/namespaces/default/functions/noop', {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name: 'noop' },
    spec: { runtime: 'node', source, handler: 'noop.handler', parallelism: concurrency * replicas, warm: { min: replicas, max: replicas, concurrency, idleTimeout: '10m' } },
  });
  if (answer.status >= 300) throw new Error(`deploy noop: ${JSON.stringify(answer.body)}`);
}

async function drained(server: BenchServer): Promise<void> {
  for (;;) {
    const left = await pending(server, 'noop');
    if (left.queued + left.running === 0) return;
    await sleep(left.queued > 2_000 ? 100 : 5);
  }
}

/** Enqueues `total`, waits for the drain; executions per second after the enqueue, and overall. */
async function drainRun(
  server: BenchServer,
  total: number,
): Promise<{ drainPerSecond: number; overallPerSecond: number; leftAfterEnqueue: number; cpuUsPerExecution: { server: number; serverMainThread: number; replica: number; postgres?: number } }> {
  const start = performance.now();
  await enqueue(server, 'noop', total);
  const enqueued = performance.now();
  const left = await pending(server, 'noop');
  const leftAfterEnqueue = left.queued + left.running;
  const cpuBefore = server.cpuMs();
  const postgresBefore = postgresData ? postgresCpuMs(postgresData) : 0;
  await drained(server);
  const end = performance.now();
  const cpuAfter = server.cpuMs();
  const postgresAfter = postgresData ? postgresCpuMs(postgresData) : 0;
  // CPU time per drained execution: unlike the rates, it hardly moves with the machine's load.
  const perExecution = (ms: number) => Math.round((ms * 1000) / leftAfterEnqueue);
  const postgres = postgresData ? { postgres: perExecution(postgresAfter - postgresBefore) } : {};
  return {
    drainPerSecond: Math.round(leftAfterEnqueue / ((end - enqueued) / 1000)),
    overallPerSecond: Math.round(total / ((end - start) / 1000)),
    leftAfterEnqueue,
    cpuUsPerExecution: { server: perExecution(cpuAfter.server - cpuBefore.server), serverMainThread: perExecution(cpuAfter.serverMain - cpuBefore.serverMain), replica: perExecution(cpuAfter.children - cpuBefore.children), ...postgres },
  };
}

/** Sync invokes one after another; milliseconds p50/p99. */
async function syncLatency(server: BenchServer, samples: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const path = '/v1/namespaces/default/functions/noop/invoke?wait=true';
  for (let i = 0; i < 200; i++) await server.call('POST', path, null);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const begin = performance.now();
    const answer = await server.call('POST', path, null);
    times.push(performance.now() - begin);
    if (answer.status !== 200 || answer.body.status !== 'succeeded') throw new Error(`sync invoke: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)) };
}

async function oneStore(store: string): Promise<Record<string, unknown>> {
  const source = mkdtempSync(join(tmpdir(), 'pontoon-warm-noop-'));
  writeFileSync(join(source, 'noop.js'), 'export function handler() { return null; }\n');
  const server = await startBenchServer(['--capacity', '64', '--store', store]);
  try {
    await deployNoop(server, source);
    // Starts the replica and lets V8 optimise both sides' hot paths.
    await drainRun(server, 5_000);
    const run = await drainRun(server, count);
    const latency = await syncLatency(server, 2_000);
    return { executions: count, ...run, syncInvoke: latency, serverRssMiB: Math.round(server.rssMiB()) };
  } finally {
    await server.stop();
    rmSync(source, { recursive: true, force: true });
  }
}

/** A fresh database on the server of `url`, dropped by the returned function. */
async function freshDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `pontoon_warm_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return {
    url: fresh.toString(),
    drop: async () => {
      const again = new pg.Client({ connectionString: url });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

export async function warmDrain(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  if (which === 'sqlite' || which === 'both') results.sqlite = await oneStore('sqlite');
  const pgUrl = process.env.PONTOON_BENCH_PG_URL ?? process.env.PONTOON_TEST_PG_URL;
  if ((which === 'postgres' || which === 'both') && pgUrl) {
    const database = await freshDatabase(pgUrl);
    postgresData = process.env.PONTOON_BENCH_PG_DATA;
    try {
      results.postgres = await oneStore(database.url);
    } finally {
      postgresData = undefined;
      await database.drop();
    }
  }
  return results;
}

const round = (value: number) => Number(value.toFixed(3));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await warmDrain(), null, 2));
