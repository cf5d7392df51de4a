/**
 * The warm path's store step alone, no HTTP: N queued no-op executions of one function drained by
 * completeAndClaimFunction in batches of B (settle the last batch, take the next), as a replica's
 * runtime API would. Per-execution time is the floor the store sets under the warm drain.
 *   node dist/bench/store-warm-step.js [N] [B] [sqlite|postgres-url]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FunctionDocument } from '../src/domain/function-spec.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AttemptCompletion, ClaimedAttempt, Store } from '../src/store/store.js';

const total = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 8);

const document: FunctionDocument = {
  apiVersion: 'pontoon.dev/v1',
  kind: 'Function',
  metadata: { name: 'noop', namespace: 'default' },
  spec: {
    runtime: 'command',
    command: ['true'],
    timeout: '1m',
    retry: { limit: 0, backoff: { initial: '1s', factor: 2, max: '1m', jitter: false }, on: ['failure'], nonRetryableExitCodes: [] },
    parallelism: batch,
    priority: 0,
  },
};

function completionOf(claim: ClaimedAttempt): AttemptCompletion {
  return {
    executionId: claim.execution.id,
    attempt: claim.attempt,
    status: 'succeeded',
    exitCode: 0,
    reason: null,
    error: null,
    result: null,
    finishedAt: new Date().toISOString(),
    settlement: { next: 'finish', status: 'succeeded', notified: true },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'pontoon-step-'));
const store: Store = openSqliteStore({ file: join(dir, 'pontoon.db') });
await store.putFunction(document);
if (process.env.DROPIDX) { const { default: Database } = await import('better-sqlite3'); const side = new Database(join(dir, 'pontoon.db')); for (const name of process.env.DROPIDX.split(',')) side.exec(`DROP INDEX ${name}`); side.close(); }
for (let done = 0; done < total; done += 2000) {
  await store.enqueueExecutions(Array.from({ length: Math.min(2000, total - done) }, () => ({ namespace: 'default', function: 'noop', input: null })), new Date().toISOString());
}
const claimOptions = () => ({ owner: 'bench', now: new Date().toISOString(), leaseMs: 60_000, limit: batch, function: { namespace: 'default', name: 'noop' } });
const { statSync } = await import('node:fs');
const walSize = () => { try { return statSync(join(dir, 'pontoon.db-wal')).size; } catch { return 0; } };
const walBefore = walSize();
const started = performance.now();
const cpu = process.cpuUsage();
let claimed = await store.claimFunctionExecutions(claimOptions());
let done = 0;
while (claimed.length > 0) {
  const step = await store.completeAndClaimFunction(claimed.map(completionOf), claimOptions());
  done += claimed.length;
  claimed = step.claimed;
}
const elapsed = performance.now() - started;
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ total: done, batch, perSecond: Math.round(done / (elapsed / 1000)), usPerExecution: Math.round((1000 * elapsed) / done), cpuUsPerExecution: Math.round((used.user + used.system) / done) }));
console.log('wal KB per step', ((walSize() - walBefore) / 1024 / (total / batch)).toFixed(1));
rmSync(dir, { recursive: true, force: true });
