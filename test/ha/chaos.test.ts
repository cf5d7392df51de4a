import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isTerminal } from '../../src/domain/execution.js';
import { dropSchemas, freshSchema, pgQuery, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { api, killHard, startController, stopController, type Controller } from './controllers.js';

const skip = pgSkipReason();
const executions = 5_000;
const capacity = 8;
const chaosMs = 24_000;
const killEveryMs = 2_500;

describe('high availability under chaos', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'pontoon-chaos-'));
  const controllers: (Controller | undefined)[] = [];
  after(async () => {
    await Promise.all(controllers.map((controller) => controller && killHard(controller)));
    rmSync(root, { recursive: true, force: true });
    await dropSchemas();
  });

  it('loses no execution and records each success once while controllers are killed -9 and restarted', async () => {
    const store = `${testPgUrl}?schema=${freshSchema('chaos')}`;
    const sideEffects = join(root, 'side-effects.txt');
    // The controllers run as root, so their functions run as dynamic users: those must reach the
    // script and append to the side-effects file.
    chmodSync(root, 0o755);
    writeFileSync(sideEffects, '');
    chmodSync(sideEffects, 0o666);
    const script = join(root, 'work.sh');
    // Lines shorter than PIPE_BUF appended with O_APPEND never interleave, even from many processes.
    writeFileSync(script, `#!/bin/sh\nsleep 0.05\necho "$PONTOON_EXECUTION_ID" >> ${JSON.stringify(sideEffects)}\n`, { mode: 0o755 });
    const start = (index: number) => startController({ store, dataDir: join(root, `controller-${index}`), capacity, lease: '3s' });
    for (const index of [0, 1, 2]) controllers[index] = await start(index);

    const first = controllers[0]!;
    await api(first.url, 'PUT', '/v1/namespaces/default/functions/append', {
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'append' },
      spec: { runtime: 'command', command: [script], parallelism: 1000, timeout: '30s', retry: { limit: 20, on: ['lost', 'failure'], backoff: { initial: '100ms', max: '1s', jitter: false } } },
    });
    const began = Date.now();
    const ids: string[] = [];
    for (let offset = 0; offset < executions; offset += 1000) {
      const target = controllers[(offset / 1000) % 3]!;
      const batch = await api(target.url, 'POST', '/v1/namespaces/default/functions/append/batch', { inputs: Array.from({ length: 1000 }, (_, i) => offset + i) });
      ids.push(...batch.items.map((execution: { id: string }) => execution.id));
    }
    assert.equal(ids.length, executions);

    // The chaos: every few seconds one random running controller dies hard and is started again
    // on its data dir (its restart runs while the chaos goes on).
    let kills = 0;
    const restarts: Promise<void>[] = [];
    const chaosEnd = Date.now() + chaosMs;
    while (Date.now() < chaosEnd) {
      await new Promise((resolve) => setTimeout(resolve, killEveryMs));
      const up = [0, 1, 2].filter((index) => controllers[index] !== undefined);
      if (up.length === 0) continue;
      const index = up[Math.floor(Math.random() * up.length)];
      const victim = controllers[index]!;
      controllers[index] = undefined;
      await killHard(victim);
      kills++;
      restarts.push(start(index).then((controller) => void (controllers[index] = controller)));
    }
    await Promise.all(restarts);

    // Then every execution must end, on whichever controllers are left.
    const schema = new URL(store).searchParams.get('schema')!;
    const until = Date.now() + 90_000;
    let open = Infinity;
    while (open > 0) {
      assert.ok(Date.now() < until, `${open} executions still not terminal 90 s after the chaos`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const [row] = await pgQuery<{ open: number }>(`SELECT COUNT(*)::int AS open FROM "${schema}".executions WHERE status IN ('queued', 'running')`);
      open = row.open;
    }
    const tookMs = Date.now() - began;

    const stored = await pgQuery<{ id: string; status: string; successes: number; attempts: number; lost: number }>(
      `SELECT e.id, e.status,
              COUNT(*) FILTER (WHERE a.status = 'succeeded')::int AS successes,
              COUNT(a.number)::int AS attempts,
              COUNT(*) FILTER (WHERE a.status = 'lost')::int AS lost
       FROM "${schema}".executions e LEFT JOIN "${schema}".attempts a ON a.execution_id = e.id
       GROUP BY e.id, e.status`,
    );
    assert.equal(stored.length, executions, 'every acknowledged execution is in the store');
    assert.deepEqual(new Set(stored.map((row) => row.id)), new Set(ids));
    assert.ok(stored.every((row) => isTerminal(row.status as never)));
    const notSucceeded = stored.filter((row) => row.status !== 'succeeded');
    assert.deepEqual(notSucceeded, [], 'every execution succeeded');
    const notOnce = stored.filter((row) => row.successes !== 1);
    assert.deepEqual(notOnce, [], 'each success is recorded exactly once');

    const lines = readFileSync(sideEffects, 'utf8').split('\n').filter(Boolean);
    const times = new Map<string, number>();
    for (const id of lines) times.set(id, (times.get(id) ?? 0) + 1);
    const missing = ids.filter((id) => !times.has(id));
    assert.deepEqual(missing, [], 'every succeeded execution left its side effect');
    const duplicates = [...times.values()].reduce((sum, count) => sum + count - 1, 0);
    const lostAttempts = stored.reduce((sum, row) => sum + row.lost, 0);
    const figures = {
      executions,
      controllers: 3,
      capacityPerController: capacity,
      kills,
      lostAttempts,
      extraAttempts: stored.reduce((sum, row) => sum + row.attempts - 1, 0),
      duplicateSideEffects: duplicates,
      duplicateBound: kills * capacity,
      seconds: Math.round(tookMs / 100) / 10,
    };
    process.stdout.write(`chaos figures: ${JSON.stringify(figures)}\n`);
    assert.ok(duplicates <= kills * capacity, `${duplicates} duplicate side effects, more than kills × capacity = ${kills * capacity}`);

    for (const controller of controllers) if (controller) await stopController(controller);
  });
});
