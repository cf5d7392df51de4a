/**
 * Issue 16, the Java prime finder (examples/primes-java) warm against cold, in one run on one
 * embedded (SQLite) server: the same source deployed twice, `primes-cold` on demand (a JVM per
 * execution) and `primes-warm` with one warm replica (`warm: {min: 1, max: 1}`). Sync invokes
 * (`?wait=true`) over loopback, alternating cold and warm with the same input, one at a time;
 * per input, the median and p95 latency of each and warm's share of cold.
 *   node dist/bench/warm-java-primes.js [samplesPerInput=20]
 *
 * Each function's first execution (the javac build, the replica's start) is run before the
 * measured ones and reported apart. CPU per execution is summed over each kind's invokes: the
 * server's, its replica's, and the cold runs' JVMs (reaped by the server's observer hosts, so
 * counted in the hosts' children's time).
 *
 * This session (2-core VM shared with other engineers, load average 4.5-8, two runs): warm median
 * latency 15-28 ms against 163-333 ms cold for [1, 1000] (0.08-0.09x), 34-47 against 291-375 ms for
 * [1, 100000] (0.12-0.13x), 110-132 against 362-480 ms for [1000000, 1200000] (0.27-0.30x: the
 * handler's own work, not the JVM start, is most of it there); p95 warm 35-254 ms, cold 193-686 ms.
 * CPU per execution: 34-40 ms warm, 189-210 ms cold (a JVM start, class loading and an unwarmed
 * JIT each time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { percentile, startBenchServer, type BenchServer } from './lib/server.js';

const samples = Number(process.argv[2] ?? 20);
const source = fileURLToPath(new URL('../../examples/primes-java', import.meta.url));
/** A tiny range (the fixed cost), and two that make the handler's own work show. */
const inputs: [number, number][] = [
  [1, 1_000],
  [1, 100_000],
  [1_000_000, 1_200_000],
];

async function deploy(server: BenchServer, name: string, warm: boolean): Promise<void> {
  const answer = await server.call('PUT', `/v1/namespaces/default/functions/${name}`, {
    apiVersion: 'pontoon.dev/v1',
    kind: 'Function',
    metadata: { name },
    spec: { runtime: 'java', source, handler: 'com.example.Primes', timeout: '1m', retry: { limit: 0 }, ...(warm ? { warm: { min: 1, max: 1, idleTimeout: '10m' } } : {}) },
  });
  if (answer.status >= 300) throw new Error(`deploy ${name}: ${JSON.stringify(answer.body)}`);
}

/** One sync invoke; its latency in ms and how many primes it found. */
async function invoke(server: BenchServer, name: string, input: [number, number]): Promise<{ ms: number; primes: number }> {
  const begin = performance.now();
  const answer = await server.call('POST', `/v1/namespaces/default/functions/${name}/invoke?wait=true`, input);
  const ms = performance.now() - begin;
  if (answer.status !== 200 || answer.body.status !== 'succeeded') throw new Error(`${name} ${JSON.stringify(input)}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 500)}`);
  return { ms, primes: answer.body.result.length };
}

/** Waits (bounded) for the warm function's replica to be ready. */
async function replicaReady(server: BenchServer): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const answer = await server.call('GET', '/v1/namespaces/default/functions/primes-warm');
    if (answer.body.status.replicas?.ready >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the primes-warm replica was not ready within 60 s');
}

/**
 * CPU time of a process and its live descendants, each with the children it has reaped (a cold
 * run's JVM, once its observer host waited for it), in ms.
 */
function treeCpuMs(pid: number): number {
  let total = 0;
  try {
    // utime, stime, cutime and cstime: fields 14 to 17 of stat, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) total += treeCpuMs(Number(child));
    }
  } catch {
    // Gone meanwhile: what it used is in its parent's reaped time, or lost with it.
  }
  return total;
}

const round = (value: number) => Number(value.toFixed(1));

function summary(times: number[]): { medianMs: number; p95Ms: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: round(percentile(sorted, 50)), p95Ms: round(percentile(sorted, 95)) };
}

/** Deploys the example twice (on demand, warm) on a fresh server and returns the latencies side by side. */
export async function warmJavaPrimes(): Promise<Record<string, unknown>> {
  const server = await startBenchServer(['--capacity', '8', '--store', 'sqlite']);
  try {
    await deploy(server, 'primes-cold', false);
    await deploy(server, 'primes-warm', true);
    let begin = performance.now();
    await invoke(server, 'primes-cold', inputs[0]);
    const firstColdMs = round(performance.now() - begin);
    begin = performance.now();
    await replicaReady(server);
    await invoke(server, 'primes-warm', inputs[0]);
    const firstWarmMs = round(performance.now() - begin);

    const byInput: Record<string, unknown> = {};
    const cpuMs = { cold: 0, warm: 0 };
    for (const input of inputs) {
      const times = { cold: [] as number[], warm: [] as number[] };
      let primes = 0;
      for (let i = 0; i < samples; i++) {
        for (const kind of ['cold', 'warm'] as const) {
          const before = treeCpuMs(server.pid);
          const { ms, primes: found } = await invoke(server, `primes-${kind}`, input);
          cpuMs[kind] += treeCpuMs(server.pid) - before;
          times[kind].push(ms);
          primes = found;
        }
      }
      const cold = summary(times.cold);
      const warm = summary(times.warm);
      byInput[JSON.stringify(input)] = { primes, cold, warm, warmOfColdMedian: Number((warm.medianMs / cold.medianMs).toFixed(3)) };
    }
    const perExecution = (ms: number) => Math.round((ms * 1000) / (samples * inputs.length));
    return {
      samplesPerInput: samples,
      firstColdMs,
      firstWarmMs,
      byInput,
      cpuUsPerExecution: { cold: perExecution(cpuMs.cold), warm: perExecution(cpuMs.warm) },
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await warmJavaPrimes(), null, 2));
