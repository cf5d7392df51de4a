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
 * Figures: see the end of this comment (alternating runs against main, same minutes).
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
      const { body } = await server.call('GET', `/v1/executions/${executionId}`);
      const startedAt = body.attempts?.[0]?.startedAt;
      if (startedAt) {
        delays.push(Date.parse(startedAt) - at);
        break;
      }
      if (tries > 200) throw new Error(`execution ${executionId} never started`);
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
  }
  return runs;
}

const round = (value: number) => Number(value.toFixed(3));

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(await warmInvoke(), null, 1));
