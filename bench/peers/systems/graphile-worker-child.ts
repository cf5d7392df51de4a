/** Child process: Graphile Worker's runner with the benchmark's concurrency and a no-op task. */
import { Logger, run, type Runner } from 'graphile-worker';
import { serveParent } from './peer-process.js';

const concurrency = Number(process.env.BENCH_CONCURRENCY);
const preset = JSON.parse(process.env.BENCH_GRAPHILE_PRESET || '{}');
// Warnings and errors only: its default logs a line per job, which Pontoon's server (at
// --log-level warn) and BullMQ do not.
const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`graphile-worker ${level}: ${message}`);
});
let runner: Runner | undefined;
const parent = serveParent(async () => {
  await runner?.stop();
});
try {
  runner = await run({
    connectionString: process.env.BENCH_PG_URL!,
    concurrency,
    noHandleSignals: true,
    logger: quietLogger,
    preset,
    taskList: {
      noop: async (_payload, helpers) => {
        // The handler's own clock: with the local queue a job's locked_at is when it was fetched
        // into the queue, earlier than its start.
        parent.started(String(helpers.job.id), Date.now());
      },
    },
  });
  runner.events.on('job:success', ({ job }) => parent.done(String(job.id)));
  parent.ready();
} catch (thrown) {
  parent.failed(thrown);
}
