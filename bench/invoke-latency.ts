/**
 * Issue 2, invoke latency: async invocations (enqueue only) one after another over loopback with
 * a keep-alive connection; p50 and p99. The function sleeps with parallelism 1, so the work it
 * starts does not compete with the measurement. Target: p50 ≤ 1 ms.
 *   node dist/bench/invoke-latency.js [count]
 */
import { performance } from 'node:perf_hooks';
import { deployCommand, percentile, startBenchServer } from './lib/server.js';

const count = Number(process.argv[2] ?? 5000);

export async function invokeLatency(): Promise<Record<string, number>> {
  const server = await startBenchServer();
  try {
    await deployCommand(server, 'parked', ['sleep', '3600'], { parallelism: 1 });
    const path = '/v1/namespaces/default/functions/parked/invoke';
    for (let i = 0; i < 500; i++) await server.call('POST', path, [i]); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const answer = await server.call('POST', path, [i]);
      samples.push(performance.now() - start);
      if (answer.status !== 202) throw new Error(`invoke answered ${answer.status}`);
    }
    samples.sort((a, b) => a - b);
    return { invocations: count, p50Ms: round(percentile(samples, 50)), p99Ms: round(percentile(samples, 99)), maxMs: round(samples[samples.length - 1]) };
  } finally {
    await server.stop();
  }
}

const round = (value: number) => Number(value.toFixed(3));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await invokeLatency(), null, 2));
