/**
 * The PostgreSQL store's claim against the queue's length (the figures in
 * src/store/postgres/claim-executions.ts): fills a fresh schema with N queued executions over four
 * functions, one of priority 5 held at parallelism 4, and times claims of 1 and 10, completing
 * and re-enqueueing untimed so the queue stays at N.
 *
 *   PONTOON_TEST_PG_URL=postgres://… node dist/bench/pg-claim-probe.js [N ...]   (default 1000 200000)
 */
import { performance } from 'node:perf_hooks';
import type { FunctionDocument } from '../src/domain/function-spec.js';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/postgres-store.js';

const functions = [
  { name: 'thumbnail', parallelism: 1_000_000, priority: 0 },
  { name: 'report', parallelism: 1_000_000, priority: 1 },
  { name: 'sync', parallelism: 1_000_000, priority: 0 },
  { name: 'narrow', parallelism: 4, priority: 5 },
];
let enqueued = 0;

function documentOf(fn: (typeof functions)[number]): FunctionDocument {
  return {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name: fn.name, namespace: 'default' },
    spec: { runtime: 'command', command: ['true'], timeout: '1m', retry: { limit: 0, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: ['failure'], nonRetryableExitCodes: [] }, parallelism: fn.parallelism, priority: fn.priority },
  };
}

async function enqueue(store: PostgresStore, count: number): Promise<void> {
  const requests = Array.from({ length: count }, () => {
    const n = enqueued++;
    return { namespace: 'default', function: functions[n % functions.length].name, input: { n }, priority: n % 7 === 0 ? 3 : undefined };
  });
  await store.enqueueExecutions(requests, new Date().toISOString());
}

async function probe(url: string, queued: number): Promise<void> {
  const store = await openPostgresStore({ url, schema: `claim_probe_${process.pid}_${queued}` });
  try {
    for (const fn of functions) await store.putFunction(documentOf(fn));
    for (let offset = 0; offset < queued; offset += 1000) await enqueue(store, Math.min(1000, queued - offset));
    for (const limit of [1, 10]) {
      const durations: number[] = [];
      for (let call = 0; call < 300; call++) {
        const started = performance.now();
        const claimed = await store.claimExecutions({ owner: 'probe', now: new Date().toISOString(), leaseMs: 60_000, limit });
        durations.push(performance.now() - started);
        for (const attempt of claimed) {
          await store.completeAttempt({ executionId: attempt.execution.id, attempt: attempt.attempt, status: 'succeeded', exitCode: 0, reason: null, error: null, result: null, finishedAt: new Date().toISOString(), settlement: { next: 'finish', status: 'succeeded' } });
        }
        await enqueue(store, claimed.length);
      }
      durations.sort((a, b) => a - b);
      const median = durations[Math.floor(durations.length / 2)];
      console.log(`queued ${queued}, limit ${limit}: median ${median.toFixed(2)} ms per claim (~${Math.round((1000 / median) * limit)} claims/s)`);
    }
  } finally {
    await store.close();
  }
}

const url = process.env.PONTOON_TEST_PG_URL;
if (!url) throw new Error('set PONTOON_TEST_PG_URL (scripts/pg-cluster.sh start prints one)');
for (const queued of process.argv.slice(2).map(Number).length ? process.argv.slice(2).map(Number) : [1000, 200_000]) await probe(url, queued);
