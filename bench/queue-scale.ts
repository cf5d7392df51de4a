/**
 * Issue 2, queue scale: dispatch rate of a no-op function with 200,000 executions queued vs with
 * 1,000 queued, and the server's RSS. The rate comes from the store's own attempt start times of
 * the last `window` executions dispatched, read once after a pause: polling a count of 200,000
 * rows while measuring would load the server being measured. Small and large runs alternate for
 * `rounds` rounds, each on a fresh server, and the ratio is median against median: one window
 * each swung the ratio from 0.75 to 1.3 on this shared 2-core VM. Target: ratio ≥ 0.8.
 *   node dist/bench/queue-scale.js [large] [small] [window] [rounds]
 */
import { deployCommand, enqueue, sleep, startBenchServer } from './lib/server.js';
import { median } from './lib/stats.js';

const [large, small, window, rounds] = [Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 1000), Number(process.argv[4] ?? 400), Number(process.argv[5] ?? 3)];

async function dispatchRate(queued: number): Promise<{ rate: number; rssMiB: number }> {
  const server = await startBenchServer(['--capacity', '4']);
  try {
    await deployCommand(server, 'noop', ['true'], { parallelism: 4 });
    await enqueue(server, 'noop', queued);
    const rssMiB = server.rssMiB();
    await sleep(3000);
    // Same priority, so executions are dispatched in creation order: the newest succeeded ones
    // are the last dispatched.
    const page = await server.call('GET', `/v1/namespaces/default/executions?function=noop&status=succeeded&limit=${window}`);
    const starts = page.body.items.map((execution: { startedAt: string }) => Date.parse(execution.startedAt)).sort((a: number, b: number) => a - b);
    if (starts.length < 2) throw new Error('too few executions ran to measure a rate');
    return { rate: (starts.length - 1) / ((starts[starts.length - 1] - starts[0]) / 1000), rssMiB };
  } finally {
    await server.stop();
  }
}

export async function queueScale(): Promise<Record<string, unknown>> {
  const few: { rate: number; rssMiB: number }[] = [];
  const many: { rate: number; rssMiB: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    few.push(await dispatchRate(small));
    many.push(await dispatchRate(large));
  }
  const rateSmall = median(few.map((run) => run.rate));
  const rateLarge = median(many.map((run) => run.rate));
  return {
    smallQueue: small,
    largeQueue: large,
    ratePerSecondSmall: round(rateSmall),
    ratePerSecondLarge: round(rateLarge),
    ratio: round(rateLarge / rateSmall, 3),
    roundRates: few.map((run, index) => [round(run.rate), round(many[index].rate)]),
    serverRssMiBSmall: round(median(few.map((run) => run.rssMiB))),
    serverRssMiBLarge: round(median(many.map((run) => run.rssMiB))),
  };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await queueScale(), null, 2));
