/**
 * Issue 2, queue scale: dispatch rate of a no-op function with 200,000 executions queued vs with
 * 1,000 queued, same run, and the server's RSS. The rate is measured over the first `window`
 * executions that end after the queue is filled. Target: ratio ≥ 0.8.
 *   node dist/bench/queue-scale.js [large] [small] [window]
 */
import { performance } from 'node:perf_hooks';
import { deployCommand, enqueue, pending, sleep, startBenchServer } from './lib/server.js';

const [large, small, window] = [Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 1000), Number(process.argv[4] ?? 600)];

async function dispatchRate(queued: number): Promise<{ rate: number; rssMiB: number }> {
  const server = await startBenchServer(['--capacity', '4']);
  try {
    // Dispatch starts while the queue fills; the window is measured once it is full.
    await deployCommand(server, 'noop', ['true'], { parallelism: 4 });
    await enqueue(server, 'noop', queued);
    const rssMiB = server.rssMiB();
    const before = await pending(server, 'noop');
    const start = performance.now();
    const target = before.queued + before.running - window;
    for (;;) {
      const left = await pending(server, 'noop');
      if (left.queued + left.running <= target) break;
      await sleep(10);
    }
    return { rate: window / ((performance.now() - start) / 1000), rssMiB };
  } finally {
    await server.stop();
  }
}

export async function queueScale(): Promise<Record<string, number>> {
  const few = await dispatchRate(small);
  const many = await dispatchRate(large);
  return {
    smallQueue: small,
    largeQueue: large,
    ratePerSecondSmall: round(few.rate),
    ratePerSecondLarge: round(many.rate),
    ratio: round(many.rate / few.rate, 3),
    serverRssMiBSmall: round(few.rssMiB),
    serverRssMiBLarge: round(many.rssMiB),
  };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await queueScale(), null, 2));
