/**
 * The HTTP invoke route's cost (issue 16): a warm no-op (node handler, one replica of concurrency
 * 8, SQLite) invoked over loopback, `sync` (`?wait=true`) or `async` (202 at once), either one
 * after another (rate 0) or open loop at a fixed rate. Reports the server's CPU per invoke, the
 * replica's, and the round trip's p50/p99 (for async at a rate, the 202's round trip). Given another
 * build's dist/ (a baseline worktree), runs both in alternation in the same minutes:
 *   node dist/bench/invoke-cpu.js [sync|async] [rate/s, 0 = one at a time] [invokes=2000] [pairs=2] [baseDist]
 * With PONTOON_BENCH_PROFILE=dir each server writes a CPU profile there (bench/profile-summary.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { percentile, sleep, startBenchServer, type BenchServer } from './lib/server.js';

const mode = process.argv[2] === 'async' ? 'async' : 'sync';
const rate = Number(process.argv[3] ?? 0);
const invokes = Number(process.argv[4] ?? 2000);
const pairs = Number(process.argv[5] ?? 2);
const baseDist = process.argv[6];

const invokePath = `/v1/namespaces/default/functions/noop/invoke${mode === 'sync' ? '?wait=true' : ''}`;

/** One invoke: its round trip in ms; throws on an unexpected answer. */
async function invokeOnce(server: BenchServer): Promise<number> {
  const begin = performance.now();
  const answer = await server.call('POST', invokePath, null);
  const took = performance.now() - begin;
  const expected = mode === 'sync' ? answer.status === 200 && answer.body.status === 'succeeded' : answer.status === 202;
  if (!expected) throw new Error(`${mode} invoke: ${answer.status} ${JSON.stringify(answer.body)}`);
  return took;
}

/** `invokes` invokes, one after another or at `rate` a second; resolves once all are answered. */
async function drive(server: BenchServer, count: number): Promise<number[]> {
  if (rate <= 0) {
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(await invokeOnce(server));
    return times;
  }
  const answers: Promise<number>[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    answers.push(invokeOnce(server));
  }
  return Promise.all(answers);
}

/** Waits until the function has nothing queued or running (async invokes end after their 202). */
async function settled(server: BenchServer): Promise<void> {
  for (let tries = 0; tries < 3000; tries++) {
    const { body } = await server.call('GET', '/v1/namespaces/default/functions/noop');
    if (body.status.queued === 0 && body.status.running === 0) return;
    await sleep(10);
  }
  throw new Error('the invokes did not end within 30 s');
}

async function oneBuild(cli: string | undefined): Promise<Record<string, number>> {
  const source = mkdtempSync(join(tmpdir(), 'pontoon-invoke-noop-'));
  writeFileSync(join(source, 'noop.js'), 'export function handler() { return null; }\n');
  const server = await startBenchServer(['--capacity', '64', '--store', 'sqlite'], cli ? { cli } : {});
  try {
    const deployed = await server.call('PUT', '/v1/namespaces/default/functions/noop', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'noop' },
      spec: { runtime: 'node', source, handler: 'noop.handler', parallelism: 8, warm: { min: 1, max: 1, concurrency: 8, idleTimeout: '10m' } },
    });
    if (deployed.status >= 300) throw new Error(`deploy noop: ${JSON.stringify(deployed.body)}`);
    await drive(server, 300);
    await settled(server);
    const before = server.cpuMs();
    const times = (await drive(server, invokes)).sort((a, b) => a - b);
    await settled(server);
    const after = server.cpuMs();
    return {
      p50Ms: round(percentile(times, 50)),
      p99Ms: round(percentile(times, 99)),
      serverCpuUs: Math.round(((after.server - before.server) * 1000) / invokes),
      replicaCpuUs: Math.round(((after.children - before.children) * 1000) / invokes),
    };
  } finally {
    await server.stop();
    rmSync(source, { recursive: true, force: true });
  }
}

const round = (value: number) => Number(value.toFixed(3));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const baseCli = baseDist ? join(baseDist, 'src/cli/main.js') : undefined;
  const runs: Record<string, unknown>[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (baseCli) runs.push({ build: 'base', mode, rate, ...(await oneBuild(baseCli)) });
    runs.push({ build: 'this', mode, rate, ...(await oneBuild(undefined)) });
    console.error(JSON.stringify(runs.slice(-2)));
  }
  console.log(JSON.stringify(runs, null, 1));
}
