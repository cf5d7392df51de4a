/** Child process: one BullMQ Worker with the benchmark's concurrency and a no-op processor. */
import { Worker } from 'bullmq';
import { serveParent } from './peer-process.js';

const url = new URL(process.env.BENCH_REDIS_URL!);
const concurrency = Number(process.env.BENCH_CONCURRENCY);
let worker: Worker | undefined;
const parent = serveParent(async () => {
  await worker?.close();
});
try {
  worker = new Worker(
    process.env.BENCH_QUEUE!,
    async (job) => {
      // processedOn: when BullMQ moved the job to active for this worker.
      parent.started(job.id!, job.processedOn ?? Date.now());
      return null;
    },
    { connection: { host: url.hostname, port: Number(url.port) }, concurrency },
  );
  worker.on('completed', (job) => parent.done(job.id!));
  worker.on('error', (error) => console.error('bullmq worker:', error));
  await worker.waitUntilReady();
  parent.ready();
} catch (thrown) {
  parent.failed(thrown);
}
