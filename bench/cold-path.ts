/**
 * Issue 2, cold path: 2,000 executions of a no-op `command` function at parallelism 2, as
 * executions per second, next to a bare loop spawning the same program 2 at a time, same run.
 * Target: ratio ≥ 0.8.   node dist/bench/cold-path.js [count]
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { deployCommand, enqueue, pending, sleep, startBenchServer } from './lib/server.js';

const count = Number(process.argv[2] ?? 2000);
const program = ['true'];

/** Spawns the program `total` times, `width` at a time, as a plain Node loop would. */
async function bareLoop(total: number, width: number): Promise<number> {
  let started = 0;
  const start = performance.now();
  const lane = async () => {
    while (started < total) {
      started++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn(program[0], program.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return total / ((performance.now() - start) / 1000);
}

async function pontoonRun(total: number): Promise<number> {
  const server = await startBenchServer(['--capacity', '8']);
  try {
    await deployCommand(server, 'noop', program, { parallelism: 2 });
    const start = performance.now();
    await enqueue(server, 'noop', total);
    for (;;) {
      const left = await pending(server, 'noop');
      if (left.queued + left.running === 0) break;
      // Each look is an HTTP request and a count in the server, which shares the 2 cores with the
      // attempts: looking every 20 ms cost it ~5% of a core. 100 ms adds at most 2% to a ~5 s run.
      await sleep(100);
    }
    return total / ((performance.now() - start) / 1000);
  } finally {
    await server.stop();
  }
}

export async function coldPath(): Promise<Record<string, number>> {
  const bare = await bareLoop(count, 2);
  const pontoon = await pontoonRun(count);
  return { executions: count, bareSpawnsPerSecond: round(bare), pontoonExecutionsPerSecond: round(pontoon), ratio: round(pontoon / bare, 3) };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await coldPath(), null, 2));
