/**
 * Measures the SQLite store's claim, the dispatcher's hot path, against the queue length:
 * fills a fresh store with N queued executions and times claimExecutions calls.
 *
 *   node dist/bench/store-claim.js [N ...]      (default: 1000 200000)
 *
 * Four functions share the queue with mixed priorities; one of them has parallelism 4, so after
 * its first claims every further claim must pass over its whole backlog, which is exactly what
 * the per-function head lookup makes free. After each timed call, untimed, the claimed attempts
 * are completed (so running counts stay bounded, as in a real deployment) and as many new
 * executions are enqueued (so the queue stays at N throughout the measurement).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandFunction, succeeded } from './lib/store-fixtures.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const functions = [
  { name: 'thumbnail', parallelism: 1_000_000, priority: 0 },
  { name: 'report', parallelism: 1_000_000, priority: 1 },
  { name: 'sync', parallelism: 1_000_000, priority: 0 },
  { name: 'narrow', parallelism: 4, priority: 5 },
];

let enqueuedSoFar = 0;

/** Enqueues `count` executions spread over the functions, one in seven with a priority override. */
async function enqueue(store: SqliteStore, count: number): Promise<void> {
  const requests = Array.from({ length: count }, () => {
    const n = enqueuedSoFar++;
    return { namespace: 'default', function: functions[n % functions.length].name, input: { n }, priority: n % 7 === 0 ? 3 : undefined };
  });
  await store.enqueueExecutions(requests, new Date().toISOString());
}

async function fill(store: SqliteStore, queued: number): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < queued; offset += 1000) await enqueue(store, Math.min(1000, queued - offset));
  return performance.now() - started;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** Times `calls` claims of `limit` each; returns claims per second and per-call latency figures. */
async function measureClaims(store: SqliteStore, calls: number, limit: number) {
  const durations: number[] = [];
  let claimedTotal = 0;
  for (let call = 0; call < calls; call++) {
    const now = new Date().toISOString();
    const started = performance.now();
    const claimed = await store.claimExecutions({ owner: 'bench', now, leaseMs: 60_000, limit });
    durations.push(performance.now() - started);
    claimedTotal += claimed.length;
    for (const attempt of claimed) {
      await store.completeAttempt(succeeded(attempt, now));
    }
    if (claimed.length > 0) await enqueue(store, claimed.length);
  }
  const totalMs = durations.reduce((sum, ms) => sum + ms, 0);
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    limit,
    calls,
    claimed: claimedTotal,
    claimsPerSecond: Math.round((claimedTotal / totalMs) * 1000),
    meanMs: +(totalMs / calls).toFixed(3),
    p50Ms: +percentile(sorted, 50).toFixed(3),
    p99Ms: +percentile(sorted, 99).toFixed(3),
  };
}

async function run(queued: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-bench-claim-'));
  const store = openSqliteStore({ file: join(dir, 'bench.db') });
  try {
    for (const fn of functions) await store.putFunction(commandFunction(fn.name, fn.parallelism, fn.priority));
    const fillMs = await fill(store, queued);
    await measureClaims(store, 200, 1); // warm-up: JIT, statement cache, page cache
    const counts = await store.countExecutions();
    const single = await measureClaims(store, 2000, 1);
    const batched = await measureClaims(store, 300, 10);
    console.log(
      JSON.stringify({ queued: counts.queued, fillSeconds: +(fillMs / 1000).toFixed(1), enqueuedPerSecond: Math.round((queued / fillMs) * 1000), single, batched }),
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizes = process.argv.slice(2).map(Number);
for (const queued of sizes.length > 0 ? sizes : [1000, 200_000]) await run(queued);
