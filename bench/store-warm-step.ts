/**
 * Issue 16, the warm path's store step alone, no HTTP: N queued no-op executions of one function
 * drained by completeAndClaimFunction in batches of B (settle the last batch, take the next), as
 * the runtime API does for a replica with concurrency B. Its time per execution is the floor the
 * SQLite store sets under the warm drain.
 *   node dist/bench/store-warm-step.js [N] [B]
 *
 * Measured (2 shared cores, alternating with the previous build in the same minutes, CPU µs per
 * execution, which moves less with the machine's load than the rate): before migration 8 and the
 * set-based batch, 196–300 µs (3,000–4,300/s); after, 118–177 µs (4,000–7,100/s). With every
 * listing index dropped (a probe, not a configuration) it was ~85 µs: the status listings' and the
 * dequeued index's rewrites at every move were more than half of the step, through the pages each
 * adds to a commit (114 KB of WAL per step of 8 before, 85 KB after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { commandFunction, succeeded } from './lib/store-fixtures.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 8);

const dir = mkdtempSync(join(tmpdir(), 'pontoon-step-'));
const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
try {
  await store.putFunction(commandFunction('noop', batch));
  for (let done = 0; done < total; done += 2000) {
    const inputs = Array.from({ length: Math.min(2000, total - done) }, () => ({ namespace: 'default', function: 'noop', input: null }));
    await store.enqueueExecutions(inputs, new Date().toISOString());
  }
  const claimOptions = () => ({ owner: 'bench', now: new Date().toISOString(), leaseMs: 60_000, limit: batch, function: { namespace: 'default', name: 'noop' } });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let claimed = await store.claimFunctionExecutions(claimOptions());
  let drained = 0;
  while (claimed.length > 0) {
    const now = new Date().toISOString();
    const step = await store.completeAndClaimFunction(
      claimed.map((claim) => succeeded(claim, now)),
      claimOptions(),
    );
    drained += claimed.length;
    claimed = step.claimed;
  }
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      executions: drained,
      batch,
      perSecond: Math.round(drained / (elapsedMs / 1000)),
      usPerExecution: Math.round((1000 * elapsedMs) / drained),
      cpuUsPerExecution: Math.round((used.user + used.system) / drained),
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
