/**
 * Issue 16, a warm no-op's invoke latency (node handler, one replica of concurrency 8, SQLite):
 * - sync: `?wait=true` invokes one after another over loopback, p50/p99 of the round trip, and
 *   the server's and the replica's CPU time per invoke;
 * - open loop: async invokes at a fixed arrival rate (not waiting for answers), submit-to-start
 *   p50/p99: from the client's send to the attempt's startedAt (same machine, same clock).
 * Given another build's dist/ (a baseline worktree), it runs both in alternation, in the same minutes:
 *   node dist/bench/warm-invoke.js [syncSamples=2000] [rate/s=200] [seconds=10] [pairs=2] [baseDist]
 *
 * Session 9, the direct handoff (an invoke of a function whose replica waits in its long poll is
 * enqueued and claimed in one transaction and answered to the replica at once; the replica's
 * settlement goes without a claim when nothing arrived since its last look; the sync invoke does
 * not read back the execution it stored). Measured first with hrtime stamps along one sync invoke
 * (main, load ~3): fastify to the handler 0.11 ms, the enqueue's commit 0.37, the replica's
 * wake-up and claim transaction 0.65, the replica's turn (answer, handler, results post) 0.96,
 * the settle-and-claim step and the waiter's wake-up 0.65, the waiter's reads 0.25; the server's
 * main thread was busy ~3.2 ms of CPU per invoke (the store ~40% of it, the rest HTTP on three
 * sockets), so every cut of CPU is a cut of latency on this 2-core machine. SQLite commits are
 * cheap here (~0.03 ms for a one-row transaction); the claim's statements are not (~0.33 ms).
 * So the handoff saves the claim's own transaction, the wake-up hop and, above all, the claim's
 * statements in the settlement that follows (nothing is left queued to claim), and a read.
 *
 * Figures, alternating runs against main in the same minutes (load 3-6 from other engineers'
 * work; CPU per invoke moves less with the load than the latencies):
 * - this bench (2000 sync, then 100/s for 10 s), two pairs: sync p50 8.15 → 6.88 ms and 9.87 →
 *   10.20 ms, p99 29.7 → 29.7 and 33.2 → 35.6 ms; server CPU per sync invoke 4,510 → 3,695 µs and
 *   5,375 → 5,740 µs (the second pair under a load burst); submit-to-start at 100/s p50 2.66 →
 *   2.57 ms and 6.84 → 5.92 ms, p99 126 → 29 ms and 94 → 63 ms;
 * - the sync loop alone (2000 invokes), three pairs: p50 4.60 → 4.08, 13.5 → 8.90, 9.47 → 7.10 ms;
 *   p99 22.4 → 18.0, 66.7 → 54.9, 38.2 → 29.1 ms; server CPU per invoke 3,900 → 3,435, 5,560 →
 *   4,205, 4,435 → 3,250 µs; replica 870 → 830, 1,160 → 1,015, 940 → 815 µs; two more pairs
 *   later (load 2-5): p50 9.20 → 9.25 and 3.63 → 3.69 ms, p99 38.9 → 31.7 and 12.5 → 13.9 ms,
 *   server CPU 4,555 → 4,180 and 3,520 → 3,060 µs: the CPU falls in every pair, the latency in
 *   most (the load moves it more). Store operations over 300 sync invokes (/metrics): 298
 *   enqueueAndClaimFunction, 2 enqueueExecutions, 300 completeAttempts, no completeAndClaimFunction;
 * - `node dist/bench/warm-drain.js 20000 sqlite`, two pairs: syncInvoke p50 6.28 → 3.99 and 4.72 →
 *   4.56 ms, p99 21.0 → 16.4 and 18.1 → 13.9 ms; drain 1,270 → 1,818/s and 1,991 → 2,017/s with
 *   server CPU per execution 543 → 409 and 390 → 380 µs (the drain does not lose by it);
 * - `node dist/bench/warm-drain.js 3000 postgres`, one pair: syncInvoke p50 29.3 → 13.6 ms, p99
 *   108 → 27 ms (the claim's BEGIN, lock, start and COMMIT round trips, and the NOTIFY's wake-up
 *   chain, are gone from the path); drain 449 → 410/s (one run each, within the noise).
 * Still in the way of the issue's 2 ms: the server's CPU per sync invoke (~3.3 ms at best here,
 * of which the three HTTP exchanges, fastify's route and the store's statements), and the
 * replica's turn (~1 ms: its HTTP client, and a new long poll sent before its results post).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { percentile, sleep, startBenchServer, type BenchServer } from './lib/server.js';

const syncSamples = Number(process.argv[2] ?? 2000);
const rate = Number(process.argv[3] ?? 200);
const seconds = Number(process.argv[4] ?? 10);
const pairs = Number(process.argv[5] ?? 2);
const baseDist = process.argv[6];

async function deployNoop(server: BenchServer, source: string): Promise<void> {
  const answer = await server.call('PUT', '/v1/namespaces/default/functions/noop', {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name: 'noop' },
    spec: { runtime: 'node', source, handler: 'noop.handler', parallelism: 8, warm: { min: 1, max: 1, concurrency: 8, idleTimeout: '10m' } },
  });
  if (answer.status >= 300) throw new Error(`deploy noop: ${JSON.stringify(answer.body)}`);
}

const invokePath = '/v1/namespaces/default/functions/noop/invoke';

/** Sync invokes one after another: round trip p50/p99 (ms), CPU per invoke (µs). */
async function syncRun(server: BenchServer): Promise<Record<string, number>> {
  for (let i = 0; i < 300; i++) await server.call('POST', `${invokePath}?wait=true`, null);
  const before = server.cpuMs();
  const times: number[] = [];
  for (let i = 0; i < syncSamples; i++) {
    const begin = performance.now();
    const answer = await server.call('POST', `${invokePath}?wait=true`, null);
    times.push(performance.now() - begin);
    if (answer.status !== 200 || answer.body.status !== 'succeeded') throw new Error(`sync invoke: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  const after = server.cpuMs();
  times.sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    serverCpuUs: Math.round(((after.server - before.server) * 1000) / syncSamples),
    serverMainThreadCpuUs: Math.round(((after.serverMain - before.serverMain) * 1000) / syncSamples),
    replicaCpuUs: Math.round(((after.children - before.children) * 1000) / syncSamples),
  };
}

/** Async invokes at `rate` per second for `seconds`: submit-to-start p50/p99 (ms). */
async function openLoop(server: BenchServer): Promise<Record<string, number>> {
  const total = Math.round(rate * seconds);
  const sent: { id: Promise<string>; at: number }[] = [];
  const start = performance.now();
  const epoch = Date.now() - start;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const at = epoch + performance.now();
    sent.push({ id: server.call('POST', invokePath, null).then((answer) => answer.body.id as string), at });
  }
  const delays: number[] = [];
  for (const { id, at } of sent) {
    const executionId = await id;
    for (let tries = 0; ; tries++) {
      const { body } = await server.call('GET', `/v1/namespaces/default/executions/${executionId}`);
      const startedAt = body.attempts?.[0]?.startedAt;
      if (startedAt) {
        delays.push(Date.parse(startedAt) - at);
        break;
      }
      if (tries > 1000) throw new Error(`execution ${executionId} did not start within 10 s: ${JSON.stringify(body)}`);
      await sleep(10);
    }
  }
  delays.sort((a, b) => a - b);
  return { invokes: total, submitToStartP50Ms: round(percentile(delays, 50)), submitToStartP99Ms: round(percentile(delays, 99)) };
}

async function oneBuild(cli: string | undefined): Promise<Record<string, unknown>> {
  const source = mkdtempSync(join(tmpdir(), 'pontoon-warm-noop-'));
  writeFileSync(join(source, 'noop.js'), 'export function handler() { return null; }\n');
  const server = await startBenchServer(['--capacity', '64', '--store', 'sqlite'], cli ? { cli } : {});
  try {
    await deployNoop(server, source);
    const sync = await syncRun(server);
    const open = await openLoop(server);
    return { sync, openLoop: open };
  } finally {
    await server.stop();
    rmSync(source, { recursive: true, force: true });
  }
}

export async function warmInvoke(): Promise<Record<string, unknown>[]> {
  const baseCli = baseDist ? join(baseDist, 'src/cli/main.js') : undefined;
  const runs: Record<string, unknown>[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (baseCli) runs.push({ build: 'base', ...(await oneBuild(baseCli)) });
    runs.push({ build: 'this', ...(await oneBuild(undefined)) });
    console.error(JSON.stringify(runs.slice(-2)));
  }
  return runs;
}

const round = (value: number) => Number(value.toFixed(3));

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await warmInvoke(), null, 1));
