/** BullMQ on Debian's Redis (appendonly, fsync every second): one Worker process with the total concurrency. */
import { Queue } from 'bullmq';
import { fileURLToPath } from 'node:url';
import { treeCpuMs } from '../../lib/proc-cpu.js';
import type { RedisServer } from '../infra/redis.js';
import { WorkerChild } from './peer-process.js';
import { insertInChunks, runOneOn } from './peer-session.js';
import type { System } from './system.js';

const workerScript = fileURLToPath(new URL('./bullmq-worker.js', import.meta.url));

/** BullMQ with its defaults (completed jobs kept, no rate limit). */
export function bullmqSystem(redis: () => RedisServer): System {
  return {
    key: 'bullmq',
    pontoon: false,
    description: 'BullMQ: one `Worker` (defaults) in a child process, producer in the harness',
    startMeasuredBy: "the job's `processedOn`, set by BullMQ when it moves the job to active",
    async open(concurrency, needs) {
      await redis().flush();
      const url = new URL(redis().url);
      const name = `bench-${Date.now()}`;
      const queue = new Queue(name, { connection: { host: url.hostname, port: Number(url.port) } });
      await queue.waitUntilReady();
      const worker = await WorkerChild.start(workerScript, { BENCH_REDIS_URL: redis().url, BENCH_QUEUE: name, BENCH_CONCURRENCY: String(concurrency) }, needs);
      const submitOne = async () => (await queue.add('noop', {})).id!;
      return {
        insertMany: (count) => insertInChunks(count, (size) => queue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data: {} })))),
        submitOne,
        runOne: () => runOneOn(worker, submitOne),
        async remaining() {
          const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed', 'waiting-children');
          return Object.values(counts).reduce((total, count) => total + count, 0);
        },
        startTimes: () => worker.startTimes(),
        cpuMs: () => ({ server: treeCpuMs(worker.pid), functions: 0, store: treeCpuMs(redis().pid) }),
        async close() {
          await worker.stop();
          await queue.close();
        },
      };
    },
  };
}
